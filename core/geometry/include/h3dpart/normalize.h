#pragma once
// Maps a mesh into the unit cube [-0.5, 0.5]^3 (uniform scale, centred on the
// bounding box) and back, so networks see a fixed scale and outputs land in
// the input's coordinates.
#include "h3dpart/mesh.h"

namespace h3d {

struct Normalization {
  Vec3 center{0, 0, 0};
  float scale = 1.f;  // normalized = (p - center) * scale

  static Normalization fit(const Box3& box);
  Vec3 apply(const Vec3& p) const { return (p - center) * scale; }
  Vec3 invert(const Vec3& q) const { return q / scale + center; }
  Box3 apply(const Box3& b) const;
  Box3 invert(const Box3& b) const;
  void applyInPlace(Mesh& mesh) const;
  void invertInPlace(Mesh& mesh) const;
};

}  // namespace h3d
