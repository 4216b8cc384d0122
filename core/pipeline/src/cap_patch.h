#pragma once
// The input's surface beyond a part's border loop (private to the
// generator), for caps that follow a neighbour's visible surface from
// inside (see CapPatch in part_caps.h).
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "h3dpart/mesh.h"
#include "part_caps.h"

namespace h3d::detail {

class PatchFinder {
 public:
  // `labels` per face of `mesh`; both must outlive the finder.
  PatchFinder(const Mesh& mesh, const std::vector<int>& labels);
  // The faces of other labels reached from `loop` (positions of a border
  // loop of part `part`, in the direction of its border half-edges) without
  // crossing the loop, when they touch `part` nowhere else, form a disc
  // (Euler characteristic 1) and add up to at most `mostArea`; else empty.
  CapPatchSurface find(const std::vector<Vec3>& loop, int part, double mostArea) const;

 private:
  const Mesh& mesh_;
  const std::vector<int>& labels_;
  std::unordered_map<std::uint64_t, std::uint32_t> byPosition_;  // UINT32_MAX: shared
  std::unordered_map<std::uint64_t, std::uint32_t> faceOf_;      // half-edge -> face
};

}  // namespace h3d::detail
