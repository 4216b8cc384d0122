#pragma once
// Caps whose faces cross a neighbour's surface between hidden vertices
// (private to the generator; see closeWithCaps in part_caps.h).
#include <cstdint>
#include <vector>

#include "h3dpart/mesh.h"
#include "part_caps.h"

namespace h3d::detail {

// Where a point of a cap face shows though the face's vertices hide (a chord
// across a concave neighbour, a long face over a bump): the face's new
// vertices (index >= firstNew) are moved deeper, and a face that still shows
// has its longest edge not on the border split at its middle, the new
// vertex moved in too (both faces at that edge are cap faces, so the cap
// stays closed and manifold), a few rounds, adding at most about as many
// faces as the cap had. `border` is the cap's border vertices. Kept unless
// the check finds the cap's new vertices more exposed after, or two of its
// vertices meet (the surface would touch itself); returns whether
// it changed the cap. `distance` (optional) spares the points of a face
// whose centre is deep enough for all of it.
bool refineShowingFaces(std::vector<Triangle>& faces, const std::vector<std::uint32_t>& border,
                        std::vector<Vec3>& vertices, std::uint32_t firstNew, const CapCheck& check,
                        const CapInside& inside, const CapDistance& distance);

}  // namespace h3d::detail
