#pragma once
// Area-weighted random sampling of a mesh surface, with the face normal of
// each sample. Deterministic: same mesh, count and seed give the same points.
#include <cstdint>
#include <vector>

#include "h3dpart/mesh.h"

namespace h3d {

struct SurfaceSamples {
  std::vector<Vec3> points;
  std::vector<Vec3> normals;
  std::vector<std::uint32_t> faces;  // the face each sample lies on
  std::size_t size() const { return points.size(); }
};

SurfaceSamples sampleSurface(const Mesh& mesh, std::size_t count, std::uint64_t seed);

}  // namespace h3d
