#include "h3dpart/mesh.h"

namespace h3d {

Box3 Mesh::bounds() const {
  Box3 box;
  for (const Vec3& v : vertices) box.add(v);
  return box;
}

Vec3 Mesh::faceNormal(std::size_t f) const {
  const Triangle& t = faces[f];
  return normalized(cross(vertices[t[1]] - vertices[t[0]], vertices[t[2]] - vertices[t[0]]));
}

Vec3 Mesh::faceCentroid(std::size_t f) const {
  const Triangle& t = faces[f];
  return (vertices[t[0]] + vertices[t[1]] + vertices[t[2]]) / 3.f;
}

double Mesh::faceArea(std::size_t f) const {
  const Triangle& t = faces[f];
  return 0.5 * length(cross(vertices[t[1]] - vertices[t[0]], vertices[t[2]] - vertices[t[0]]));
}

void Mesh::dropUnusedVertices(std::uint32_t keepFirst) {
  std::vector<std::uint32_t> remap(vertices.size(), UINT32_MAX);
  for (std::uint32_t v = 0; v < keepFirst; ++v) remap[v] = v;
  std::vector<Vec3> kept(vertices.begin(), vertices.begin() + keepFirst);
  for (Triangle& t : faces)
    for (auto& v : t) {
      if (remap[v] == UINT32_MAX) {
        remap[v] = static_cast<std::uint32_t>(kept.size());
        kept.push_back(vertices[v]);
      }
      v = remap[v];
    }
  vertices = std::move(kept);
}

double Mesh::area() const {
  double sum = 0;
  for (std::size_t f = 0; f < faces.size(); ++f) sum += faceArea(f);
  return sum;
}

}  // namespace h3d
