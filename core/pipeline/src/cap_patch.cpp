#include "cap_patch.h"

#include <cstring>
#include <unordered_set>

namespace h3d::detail {
namespace {

std::uint64_t positionKey(const Vec3& p) {
  std::uint32_t b[3];
  std::memcpy(b, &p.x, 4);
  std::memcpy(b + 1, &p.y, 4);
  std::memcpy(b + 2, &p.z, 4);
  std::uint64_t h = 1469598103934665603ull;
  for (std::uint32_t x : b) h = (h ^ x) * 1099511628211ull;
  return h;
}

std::uint64_t halfEdge(std::uint32_t a, std::uint32_t b) {
  return (static_cast<std::uint64_t>(a) << 32) | b;
}

}  // namespace

PatchFinder::PatchFinder(const Mesh& mesh, const std::vector<int>& labels)
    : mesh_(mesh), labels_(labels) {
  byPosition_.reserve(mesh.vertices.size());
  for (std::uint32_t v = 0; v < mesh.vertices.size(); ++v) {
    auto [it, added] = byPosition_.try_emplace(positionKey(mesh.vertices[v]), v);
    if (!added) it->second = UINT32_MAX;  // two vertices there (or a hash clash): not used
  }
  faceOf_.reserve(mesh.faces.size() * 3);
  for (std::uint32_t f = 0; f < mesh.faces.size(); ++f)
    for (int e = 0; e < 3; ++e) {
      auto [it, added] =
          faceOf_.try_emplace(halfEdge(mesh.faces[f][e], mesh.faces[f][(e + 1) % 3]), f);
      if (!added) it->second = UINT32_MAX;  // used twice: not an oriented surface here
    }
}

CapPatchSurface PatchFinder::find(const std::vector<Vec3>& loop, int part, double mostArea) const {
  const std::size_t m = loop.size();
  std::vector<std::uint32_t> ids(m);
  for (std::size_t i = 0; i < m; ++i) {
    auto it = byPosition_.find(positionKey(loop[i]));
    if (it == byPosition_.end() || it->second == UINT32_MAX ||
        !(mesh_.vertices[it->second] == loop[i]))
      return {};
    ids[i] = it->second;
  }
  // the loop's half-edges seen from beyond (b -> a for the part's a -> b)
  std::unordered_set<std::uint64_t> rim;
  std::vector<std::uint32_t> queue;
  std::unordered_set<std::uint32_t> seen;
  for (std::size_t i = 0; i < m; ++i) {
    const std::uint32_t a = ids[i], b = ids[(i + 1) % m];
    rim.insert(halfEdge(b, a));
    auto it = faceOf_.find(halfEdge(b, a));
    if (it == faceOf_.end() || it->second == UINT32_MAX) return {};
    const std::uint32_t f = it->second;
    if (f >= labels_.size() || labels_[f] == part) return {};
    if (seen.insert(f).second) queue.push_back(f);
  }
  double area = 0;
  for (std::size_t q = 0; q < queue.size(); ++q) {
    const Triangle& t = mesh_.faces[queue[q]];
    const Vec3 &a = mesh_.vertices[t[0]], &b = mesh_.vertices[t[1]], &c = mesh_.vertices[t[2]];
    area += 0.5 * length(cross(b - a, c - a));
    if (area > mostArea) return {};
    for (int e = 0; e < 3; ++e) {
      const std::uint32_t u = t[e], v = t[(e + 1) % 3];
      if (rim.count(halfEdge(u, v))) continue;
      auto it = faceOf_.find(halfEdge(v, u));
      if (it == faceOf_.end() || it->second == UINT32_MAX) return {};  // an open or odd edge
      const std::uint32_t g = it->second;
      if (g >= labels_.size() || labels_[g] == part) return {};  // the part again: not an island
      if (seen.insert(g).second) queue.push_back(g);
    }
  }
  CapPatchSurface out;
  std::unordered_map<std::uint32_t, std::uint32_t> local;
  for (std::size_t i = 0; i < m; ++i) {
    if (!local.emplace(ids[i], static_cast<std::uint32_t>(i)).second) return {};
    out.vertices.push_back(loop[i]);
  }
  std::unordered_set<std::uint64_t> edges;
  for (std::uint32_t f : queue) {
    Triangle t = mesh_.faces[f];
    for (auto& v : t) {
      auto [it, added] = local.try_emplace(v, static_cast<std::uint32_t>(out.vertices.size()));
      if (added) out.vertices.push_back(mesh_.vertices[v]);
      v = it->second;
    }
    for (int e = 0; e < 3; ++e)
      edges.insert(halfEdge(std::min(t[e], t[(e + 1) % 3]), std::max(t[e], t[(e + 1) % 3])));
    out.faces.push_back(t);
  }
  const long euler = static_cast<long>(out.vertices.size()) - static_cast<long>(edges.size()) +
                     static_cast<long>(out.faces.size());
  if (euler != 1) return {};
  return out;
}

}  // namespace h3d::detail
