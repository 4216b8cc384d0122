#include "h3dpart/surface_query.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace h3d::detail {

Vec3 closestOnTriangle(const Vec3& p, const Vec3& a, const Vec3& b, const Vec3& c) {
  // Ericson, Real-Time Collision Detection, 5.1.5: by Voronoi region
  const Vec3 ab = b - a, ac = c - a, ap = p - a;
  const float d1 = dot(ab, ap), d2 = dot(ac, ap);
  if (d1 <= 0 && d2 <= 0) return a;
  const Vec3 bp = p - b;
  const float d3 = dot(ab, bp), d4 = dot(ac, bp);
  if (d3 >= 0 && d4 <= d3) return b;
  const float vc = d1 * d4 - d3 * d2;
  if (vc <= 0 && d1 >= 0 && d3 <= 0) return a + ab * (d1 / (d1 - d3));
  const Vec3 cp = p - c;
  const float d5 = dot(ab, cp), d6 = dot(ac, cp);
  if (d6 >= 0 && d5 <= d6) return c;
  const float vb = d5 * d2 - d1 * d6;
  if (vb <= 0 && d2 >= 0 && d6 <= 0) return a + ac * (d2 / (d2 - d6));
  const float va = d3 * d6 - d5 * d4;
  if (va <= 0 && (d4 - d3) >= 0 && (d5 - d6) >= 0)
    return b + (c - b) * ((d4 - d3) / ((d4 - d3) + (d5 - d6)));
  const float denom = va + vb + vc;
  if (!(std::fabs(denom) > 0)) return a;
  return a + ab * (vb / denom) + ac * (vc / denom);
}

SurfaceQuery::SurfaceQuery(const Mesh& mesh) : mesh_(mesh) {
  const Box3 box = mesh.bounds();
  if (box.empty() || mesh.faces.empty()) return;
  // about two triangles per occupied cell on a surface
  const Vec3 size = box.size();
  const float extent = std::max({size.x, size.y, size.z, 1e-6f});
  const double area = std::max(mesh.area(), 1e-12);
  cell_ = std::max(
      static_cast<float>(std::sqrt(2.0 * area / static_cast<double>(mesh.faces.size()))) * 2.f,
      extent / 512.f);
  origin_ = box.lo;
  for (int a = 0; a < 3; ++a) dims_[a] = std::max(1, static_cast<int>(size[a] / cell_) + 1);
  const long cells = static_cast<long>(dims_[0]) * dims_[1] * dims_[2];
  std::vector<std::uint32_t> count(static_cast<std::size_t>(cells) + 1, 0);
  auto range = [&](std::size_t f, int lo[3], int hi[3]) {
    Box3 b;
    for (auto v : mesh.faces[f]) b.add(mesh.vertices[v]);
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::clamp(static_cast<int>((b.lo[a] - origin_[a]) / cell_), 0, dims_[a] - 1);
      hi[a] = std::clamp(static_cast<int>((b.hi[a] - origin_[a]) / cell_), 0, dims_[a] - 1);
    }
  };
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) {
      start_.assign(static_cast<std::size_t>(cells) + 1, 0);
      for (long c = 0; c < cells; ++c)
        start_[static_cast<std::size_t>(c) + 1] =
            start_[static_cast<std::size_t>(c)] + count[static_cast<std::size_t>(c)];
      items_.resize(start_.back());
      std::fill(count.begin(), count.end(), 0);
    }
    for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
      int lo[3], hi[3];
      range(f, lo, hi);
      for (int z = lo[2]; z <= hi[2]; ++z)
        for (int y = lo[1]; y <= hi[1]; ++y)
          for (int x = lo[0]; x <= hi[0]; ++x) {
            const auto c = static_cast<std::size_t>(cellIndex(x, y, z));
            if (pass == 1) items_[start_[c] + count[c]] = static_cast<std::uint32_t>(f);
            ++count[c];
          }
    }
  }
}

Nearest SurfaceQuery::nearest(const Vec3& p, float radius) const {
  float best = std::numeric_limits<float>::infinity();
  float sign = 1.f;
  float bestAlong = -1.f;
  Nearest result;
  if (start_.empty()) return result;
  // growing cubes of cells, so a near surface costs a few cells however
  // large the radius allowed
  for (float reach = std::min(cell_, radius);; reach = std::min(2.f * reach, radius)) {
    int lo[3], hi[3];
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::clamp(static_cast<int>(std::floor((p[a] - reach - origin_[a]) / cell_)), 0,
                         dims_[a] - 1);
      hi[a] = std::clamp(static_cast<int>(std::floor((p[a] + reach - origin_[a]) / cell_)), 0,
                         dims_[a] - 1);
    }
    std::uint32_t last = UINT32_MAX;
    for (int z = lo[2]; z <= hi[2]; ++z)
      for (int y = lo[1]; y <= hi[1]; ++y)
        for (int x = lo[0]; x <= hi[0]; ++x) {
          const auto c = static_cast<std::size_t>(cellIndex(x, y, z));
          for (std::uint32_t i = start_[c]; i < start_[c + 1]; ++i) {
            const std::uint32_t f = items_[i];
            if (f == last) continue;
            last = f;
            const Triangle& t = mesh_.faces[f];
            const Vec3 q = closestOnTriangle(p, mesh_.vertices[t[0]], mesh_.vertices[t[1]],
                                             mesh_.vertices[t[2]]);
            const float d = length(p - q);
            if (d > radius || d > best * 1.0001f + 1e-9f) continue;
            // at a shared edge or corner, the face seen most squarely decides the side
            const Vec3 n = normalized(cross(mesh_.vertices[t[1]] - mesh_.vertices[t[0]],
                                            mesh_.vertices[t[2]] - mesh_.vertices[t[0]]));
            const float along = d > 0 ? dot(p - q, n) / d : 0.f;
            if (d < best * 0.9999f - 1e-9f || std::fabs(along) > bestAlong) {
              if (d < best) result.point = q;
              best = std::min(best, d);
              bestAlong = std::fabs(along);
              sign = along < 0 ? -1.f : 1.f;
              result.normal = n;
            }
          }
        }
    if (best <= reach || reach >= radius) break;
  }
  if (best != std::numeric_limits<float>::infinity()) result.distance = best * sign;
  return result;
}

}  // namespace h3d::detail
