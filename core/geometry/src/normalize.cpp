#include "h3dpart/normalize.h"

#include <algorithm>

namespace h3d {

Normalization Normalization::fit(const Box3& box) {
  Normalization n;
  if (box.empty()) return n;
  n.center = box.center();
  const Vec3 s = box.size();
  const float extent = std::max({s.x, s.y, s.z});
  n.scale = extent > 0 ? 1.f / extent : 1.f;
  return n;
}

Box3 Normalization::apply(const Box3& b) const {
  Box3 out;
  if (b.empty()) return out;
  out.add(apply(b.lo));
  out.add(apply(b.hi));
  return out;
}

Box3 Normalization::invert(const Box3& b) const {
  Box3 out;
  if (b.empty()) return out;
  out.add(invert(b.lo));
  out.add(invert(b.hi));
  return out;
}

void Normalization::applyInPlace(Mesh& mesh) const {
  for (Vec3& v : mesh.vertices) v = apply(v);
}

void Normalization::invertInPlace(Mesh& mesh) const {
  for (Vec3& v : mesh.vertices) v = invert(v);
}

}  // namespace h3d
