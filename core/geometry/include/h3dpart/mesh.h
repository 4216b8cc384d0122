#pragma once
// Triangle mesh value types shared by every layer. Plain data, no Qt, no VTK.
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace h3d {

struct Vec3 {
  float x = 0, y = 0, z = 0;
  Vec3() = default;
  constexpr Vec3(float x_, float y_, float z_) : x(x_), y(y_), z(z_) {}
  float& operator[](int i) { return i == 0 ? x : (i == 1 ? y : z); }
  float operator[](int i) const { return i == 0 ? x : (i == 1 ? y : z); }
  Vec3 operator+(const Vec3& o) const { return {x + o.x, y + o.y, z + o.z}; }
  Vec3 operator-(const Vec3& o) const { return {x - o.x, y - o.y, z - o.z}; }
  Vec3 operator*(float s) const { return {x * s, y * s, z * s}; }
  Vec3 operator/(float s) const { return {x / s, y / s, z / s}; }
  Vec3& operator+=(const Vec3& o) {
    x += o.x;
    y += o.y;
    z += o.z;
    return *this;
  }
  bool operator==(const Vec3& o) const = default;
};

inline float dot(const Vec3& a, const Vec3& b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}
inline Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
inline float length(const Vec3& a) {
  return std::sqrt(dot(a, a));
}
inline Vec3 normalized(const Vec3& a) {
  const float l = length(a);
  return l > 0 ? a / l : Vec3{0, 0, 0};
}

// Axis-aligned box; empty() until a point is added.
struct Box3 {
  Vec3 lo{INFINITY, INFINITY, INFINITY};
  Vec3 hi{-INFINITY, -INFINITY, -INFINITY};
  bool empty() const { return lo.x > hi.x; }
  void add(const Vec3& p) {
    for (int i = 0; i < 3; ++i) {
      lo[i] = std::fmin(lo[i], p[i]);
      hi[i] = std::fmax(hi[i], p[i]);
    }
  }
  Vec3 center() const { return (lo + hi) * 0.5f; }
  Vec3 size() const { return hi - lo; }
  float diagonal() const { return empty() ? 0.f : length(hi - lo); }
};

using Triangle = std::array<std::uint32_t, 3>;

struct Mesh {
  std::vector<Vec3> vertices;
  std::vector<Triangle> faces;

  bool empty() const { return faces.empty(); }
  Box3 bounds() const;
  double area() const;
  Vec3 faceNormal(std::size_t f) const;  // unit normal, zero for degenerate faces
  double faceArea(std::size_t f) const;
  Vec3 faceCentroid(std::size_t f) const;
  // Drops the vertices no face uses and renumbers the faces; the first
  // `keepFirst` vertices keep their place (and their index) either way.
  void dropUnusedVertices(std::uint32_t keepFirst = 0);
  // Moves apart vertices that share one position (a pinch: two fans of a
  // closed part meeting at a point, kept as separate vertices): each goes
  // `share` of the way toward the centre of its own one-ring. Programs that
  // weld vertices by position would otherwise join them into a non-manifold
  // vertex. The faces are unchanged. Returns the vertices moved.
  std::size_t separateCoincidentVertices(float share = 0.01f);
};

// One output part: a mesh with a label and a display name.
struct PartMesh {
  int label = 0;
  std::string name;
  Mesh mesh;
};

}  // namespace h3d
