#include "h3dpart/mesh.h"

#include <algorithm>

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

std::size_t Mesh::separateCoincidentVertices(float share) {
  // vertices sorted by position: a run of equal positions is one pinch
  std::vector<std::uint32_t> order(vertices.size());
  for (std::uint32_t v = 0; v < order.size(); ++v) order[v] = v;
  auto less = [&](std::uint32_t a, std::uint32_t b) {
    const Vec3 &p = vertices[a], &q = vertices[b];
    return p.x != q.x ? p.x < q.x : (p.y != q.y ? p.y < q.y : p.z < q.z);
  };
  std::sort(order.begin(), order.end(), less);
  std::vector<std::uint32_t> pinched;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i + 1;
    while (j < order.size() && !less(order[i], order[j])) ++j;
    if (j - i > 1)
      pinched.insert(pinched.end(), order.begin() + static_cast<long>(i),
                     order.begin() + static_cast<long>(j));
    i = j;
  }
  if (pinched.empty()) return 0;
  std::vector<char> isPinched(vertices.size(), 0);
  for (std::uint32_t v : pinched) isPinched[v] = 1;
  std::vector<Vec3> ringSum(vertices.size());
  std::vector<std::uint32_t> ringCount(vertices.size(), 0);
  for (const Triangle& t : faces)
    for (int c = 0; c < 3; ++c) {
      if (!isPinched[t[c]]) continue;
      for (int o : {1, 2}) ringSum[t[c]] = ringSum[t[c]] + vertices[t[(c + o) % 3]];
      ringCount[t[c]] += 2;
    }
  std::size_t moved = 0;
  for (std::uint32_t v : pinched) {
    if (ringCount[v] == 0) continue;  // unused: nothing to separate
    const Vec3 centre = ringSum[v] * (1.f / static_cast<float>(ringCount[v]));
    vertices[v] = vertices[v] + (centre - vertices[v]) * share;
    ++moved;
  }
  return moved;
}

double Mesh::area() const {
  double sum = 0;
  for (std::size_t f = 0; f < faces.size(); ++f) sum += faceArea(f);
  return sum;
}

}  // namespace h3d
