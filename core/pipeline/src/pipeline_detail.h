#pragma once
// Helpers shared by the segment and generate pipelines (private).
#include <cstdint>
#include <string>
#include <vector>

#include "h3dpart/mesh.h"
#include "h3dpart/sampling.h"

namespace h3d::detail {

// Six times the signed volume enclosed by the mesh (negative when the faces
// are oriented inwards).
double signedVolume6(const Mesh& mesh);

// Samples with normals turned outwards when the mesh is oriented inwards.
SurfaceSamples orientedSamples(const Mesh& normalizedMesh, std::size_t count, std::uint64_t seed);

// Nearest-point queries over a fixed point set (uniform grid).
class PointGrid {
 public:
  explicit PointGrid(const std::vector<Vec3>& points, float targetPerCell = 4.f);
  // Index of the nearest point, or SIZE_MAX when the set is empty.
  std::size_t nearest(const Vec3& q) const;

 private:
  long cellOf(float v, int axis) const;
  const std::vector<Vec3>& points_;
  Vec3 lo_{0, 0, 0};
  float cell_ = 1.f;
  int dims_[3] = {1, 1, 1};
  std::vector<std::uint32_t> start_;  // per cell, into order_
  std::vector<std::uint32_t> order_;
};

// Pairs of faces that share an edge (each pair once).
std::vector<std::pair<std::uint32_t, std::uint32_t>> faceAdjacency(const Mesh& mesh);

}  // namespace h3d::detail
