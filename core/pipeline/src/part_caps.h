#pragma once
// Parts made from the input's own triangles (private to the generator): the
// faces of one label, closed where they met their neighbours by smooth caps.
#include <cstddef>
#include <functional>
#include <vector>

#include "h3dpart/mesh.h"

namespace h3d::detail {

// The faces of `mesh` whose label is `part`, as a mesh of their own
// (vertices compacted, face order kept).
Mesh facesWithLabel(const Mesh& mesh, const std::vector<int>& labels, int part);

// Closes every border loop of `surface` with a cap: a polar grid of rings
// whose inner vertices lie halfway between the membrane spanning the border
// and the thin plate (bi-Laplacian energy, with the border and the ring of
// surface vertices next to it held) that leaves the border along the
// surface's own tangent; so the cap bulges the way the part was going (a
// dome on a cut limb, the missing patch on a hole in a flat or curved part)
// but meets the surface at an angle. The surface's own triangles are kept
// (a vertex where the border touches itself becomes one copy per fan of
// faces, so every loop is simple). Returns false, leaving
// `surface` unchanged, when it is not an oriented surface (a half-edge used twice) or the result
// is not a closed 2-manifold; `capFaces` gets the triangles added.
// `check`, when given, counts the cap vertices that would show (outside the
// whole shape); a cap it finds exposed is made flatter (down to the membrane)
// until none are, or the least exposed.
// With a check, the fullest shape is tried first (the thin plate itself, so
// the cap continues the part the way it was going), then flatter, then sunk.
// `inside`, when given, moves a point to about `depth` inside the whole shape
// (less where the shape is thinner than that); when no shape is hidden, the
// fewest-exposed cap's vertices are moved in with it and smoothed, in turns,
// so the cap follows the inside of its neighbours (kept when the check finds
// it no more exposed).
// How deep the generator's check wants a cap vertex inside the shape, per
// unit of its distance from the border (up to a fixed depth): the cap dives
// in as it leaves the border. The moves in part_caps and cap_refine aim at it.
inline constexpr float kCheckDepthPerBorderDistance = 0.15f;
// A check returns how exposed the inner vertices are (0: hidden; a count of
// exposed vertices, or a sum of how far each is from hidden); `toBorder` is
// each inner vertex's distance from the nearest border vertex.
using CapCheck =
    std::function<double(const std::vector<Vec3>& inner, const std::vector<float>& toBorder)>;
using CapInside = std::function<Vec3(const Vec3& p, float depth)>;
// `patch`, when given, returns the input's surface beyond a border loop
// when that surface is a disc bounded by the loop alone (an eye in a head,
// the floor of a recess: another part filling a hole of this one), no
// larger than `mostArea`: its vertices (the loop's first, in the loop's
// order) and triangles, oriented as in the input; else nothing. With a
// check and an inside move, such a loop may be closed by that surface moved
// in behind itself (every inner vertex moved in by a share of its distance
// from the border) instead of a faired disc: the cap then follows the
// neighbour's visible surface from inside at the neighbour's own
// resolution, where a disc's long faces would cut across its concave spots
// (taken unless the check finds it more exposed than the disc).
struct CapPatchSurface {
  std::vector<Vec3> vertices;
  std::vector<Triangle> faces;
};
using CapPatch = std::function<CapPatchSurface(const std::vector<Vec3>& loop, double mostArea)>;
// With a check and an inside move, a cap face with a point that shows
// though its vertices hide (a chord across a concave neighbour) gets its
// vertices moved deeper and is split (see refineShowingFaces in
// cap_refine.h). `distance`, when given, is the signed distance to the
// whole shape within a radius (+infinity beyond it): a face whose centre is
// deep enough for all of the face is then taken as hidden by that one query.
using CapDistance = std::function<float(const Vec3& p, float radius)>;
bool closeWithCaps(Mesh& surface, std::size_t* capFaces = nullptr, const CapCheck& check = {},
                   const CapInside& inside = {}, const CapPatch& patch = {},
                   const CapDistance& distance = {});

}  // namespace h3d::detail
