#pragma once
// Nearest-triangle and nearest-point queries (private to the generator): a
// tree of axis-aligned boxes over the triangles (or points), searched nearest
// box first, so a query costs about log n boxes however far the surface is.
#include <cmath>
#include <cstdint>
#include <vector>

#include "h3dpart/mesh.h"

namespace h3d::detail {

// The nearest point of a mesh to a query point.
struct Nearest {
  float distance = INFINITY;  // signed: negative inside (see signedDistance)
  Vec3 point{0, 0, 0};        // on the triangle
  Vec3 normal{0, 0, 1};       // that triangle's unit normal
  bool found() const { return distance != INFINITY; }
};

// One node of a box tree: a leaf holds items [first, first + count) of the
// tree's item order; an inner node (count 0) has its children at first and
// first + 1.
struct BoxNode {
  Vec3 lo{0, 0, 0}, hi{0, 0, 0};
  std::uint32_t first = 0, count = 0;
};

class SurfaceQuery {
 public:
  explicit SurfaceQuery(const Mesh& mesh);
  // Distance from p to the nearest triangle within `radius`, negative on the
  // side its normal points away from (inside a closed, outward mesh);
  // +infinity when no triangle is that near.
  float signedDistance(const Vec3& p, float radius) const { return nearest(p, radius).distance; }
  // The same, with the nearest point and its triangle's normal.
  Nearest nearest(const Vec3& p, float radius) const;

 private:
  const Mesh& mesh_;
  std::vector<BoxNode> nodes_;
  std::vector<std::uint32_t> items_;  // triangle indices in tree order
  std::vector<Vec3> normals_;         // unit normal per triangle
};

// Distance to the nearest of a fixed set of points.
class NearestPoints {
 public:
  explicit NearestPoints(std::vector<Vec3> points);
  // +infinity when the set is empty.
  float distance(const Vec3& p) const;

 private:
  std::vector<Vec3> points_;  // in tree order
  std::vector<BoxNode> nodes_;
};

// The point of triangle (a, b, c) nearest to p.
Vec3 closestOnTriangle(const Vec3& p, const Vec3& a, const Vec3& b, const Vec3& c);

}  // namespace h3d::detail
