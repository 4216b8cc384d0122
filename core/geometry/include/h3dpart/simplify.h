#pragma once
// Triangle budget for generated parts (private): quadric-error edge collapses
// through OpenMesh's decimater, which refuses every collapse that breaks the
// link condition (so a closed 2-manifold stays one) or flips a face.
#include <cstddef>

#include "h3dpart/mesh.h"

namespace h3d::detail {

// Collapses edges of `mesh` until it has at most `maxFaces` triangles or no
// collapse is allowed. A result that is not a closed 2-manifold while the
// input was one is not taken (the mesh stays as it was). Returns the number
// of triangles afterwards.
std::size_t simplifyToBudget(Mesh& mesh, std::size_t maxFaces);

}  // namespace h3d::detail
