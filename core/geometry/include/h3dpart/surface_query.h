#pragma once
// Nearest-triangle queries on a mesh (private to the generator): a uniform
// grid of triangle boxes, searched within a radius.
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
  Vec3 origin_{0, 0, 0};
  float cell_ = 1.f;
  int dims_[3] = {1, 1, 1};
  std::vector<std::uint32_t> start_;  // per cell, into items_ (CSR)
  std::vector<std::uint32_t> items_;
  long cellIndex(int x, int y, int z) const {
    return (static_cast<long>(z) * dims_[1] + y) * dims_[0] + x;
  }
};

// The point of triangle (a, b, c) nearest to p.
Vec3 closestOnTriangle(const Vec3& p, const Vec3& a, const Vec3& b, const Vec3& c);

}  // namespace h3d::detail
