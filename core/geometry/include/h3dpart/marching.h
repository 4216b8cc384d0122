#pragma once
// Iso-surface extraction and mesh clean-up for the part generator (private).
#include <cstddef>
#include <vector>

#include "h3dpart/mesh.h"

namespace h3d::detail {

// A scalar field sampled on a regular grid: value(i, j, k) at
// origin + step * (i, j, k), stored x fastest. Negative = inside.
struct ScalarGrid {
  int nx = 0, ny = 0, nz = 0;
  Vec3 origin{0, 0, 0};
  float step = 1.f;
  std::vector<float> values;

  std::size_t index(int i, int j, int k) const {
    return static_cast<std::size_t>(i) +
           static_cast<std::size_t>(nx) *
               (static_cast<std::size_t>(j) + static_cast<std::size_t>(ny) * k);
  }
  Vec3 position(int i, int j, int k) const {
    return origin +
           Vec3{static_cast<float>(i), static_cast<float>(j), static_cast<float>(k)} * step;
  }
  // Sets every value on the grid's outer layer to `value` (positive = outside).
  void closeBorder(float value);
};

// Marching tetrahedra over the Kuhn split of every cell (6 tetrahedra along
// the cell's main diagonal, the same in every cell, so faces match). Vertices
// are keyed by the grid edge they lie on, so the surface is a closed,
// consistently oriented (outward) 2-manifold whenever the border is outside.
Mesh marchTetrahedra(const ScalarGrid& grid);

// Connected components of the mesh (by shared vertices); the ones whose area
// is below `minFraction` of the largest are removed. Returns how many went.
std::size_t removeSmallComponents(Mesh& mesh, double minFraction);

// True when every edge has exactly two faces using it in opposite directions
// and the faces around every vertex form one fan.
bool isClosedManifold(const Mesh& mesh);

}  // namespace h3d::detail
