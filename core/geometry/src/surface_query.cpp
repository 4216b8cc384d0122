#include "h3dpart/surface_query.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

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

namespace {

constexpr std::uint32_t kLeafSize = 4;

// Builds a box tree over items with the given boxes: each node splits its
// items at the median of their box centres along the node's longest axis of
// centres (so the depth is about log2(n / kLeafSize), at most 32 levels).
// `order` gets the items in tree order.
std::vector<BoxNode> buildTree(const std::vector<Box3>& boxes, std::vector<std::uint32_t>& order) {
  std::vector<BoxNode> nodes;
  order.resize(boxes.size());
  std::iota(order.begin(), order.end(), 0u);
  if (boxes.empty()) return nodes;
  std::vector<Vec3> centre(boxes.size());
  for (std::size_t i = 0; i < boxes.size(); ++i) centre[i] = boxes[i].center();
  nodes.reserve(2 * boxes.size() / kLeafSize + 2);
  nodes.emplace_back();
  struct Job {
    std::uint32_t node, begin, end;
  };
  std::vector<Job> jobs{{0, 0, static_cast<std::uint32_t>(boxes.size())}};
  while (!jobs.empty()) {
    const Job job = jobs.back();
    jobs.pop_back();
    Box3 bounds, centres;
    for (std::uint32_t i = job.begin; i < job.end; ++i) {
      bounds.add(boxes[order[i]].lo);
      bounds.add(boxes[order[i]].hi);
      centres.add(centre[order[i]]);
    }
    nodes[job.node].lo = bounds.lo;
    nodes[job.node].hi = bounds.hi;
    if (job.end - job.begin <= kLeafSize) {
      nodes[job.node].first = job.begin;
      nodes[job.node].count = job.end - job.begin;
      continue;
    }
    const Vec3 extent = centres.size();
    const int axis =
        extent.x >= extent.y && extent.x >= extent.z ? 0 : (extent.y >= extent.z ? 1 : 2);
    const std::uint32_t mid = job.begin + (job.end - job.begin) / 2;
    std::nth_element(
        order.begin() + job.begin, order.begin() + mid, order.begin() + job.end,
        [&](std::uint32_t a, std::uint32_t b) { return centre[a][axis] < centre[b][axis]; });
    const auto left = static_cast<std::uint32_t>(nodes.size());
    nodes.emplace_back();
    nodes.emplace_back();
    nodes[job.node].first = left;
    nodes[job.node].count = 0;
    jobs.push_back({left, job.begin, mid});
    jobs.push_back({left + 1, mid, job.end});
  }
  return nodes;
}

float boxDistance2(const BoxNode& n, const Vec3& p) {
  float d2 = 0;
  for (int a = 0; a < 3; ++a) {
    const float d = std::max({n.lo[a] - p[a], 0.f, p[a] - n.hi[a]});
    d2 += d * d;
  }
  return d2;
}

// Visits the leaves of `nodes` nearest box first while a leaf could hold an
// item nearer than `bound()` (squared): `leaf(node)` tests its items and may
// lower the bound.
template <class Bound, class Leaf>
void searchTree(const std::vector<BoxNode>& nodes, const Vec3& p, Bound bound, Leaf leaf) {
  if (nodes.empty()) return;
  struct Entry {
    std::uint32_t node;
    float d2;
  };
  std::array<Entry, 80> stack;  // depth <= 33, at most one pending sibling per level
  std::size_t top = 0;
  stack[top++] = {0, boxDistance2(nodes[0], p)};
  while (top > 0) {
    const Entry e = stack[--top];
    if (e.d2 > bound()) continue;
    const BoxNode& n = nodes[e.node];
    if (n.count > 0) {
      leaf(n);
      continue;
    }
    const float dl = boxDistance2(nodes[n.first], p), dr = boxDistance2(nodes[n.first + 1], p);
    const Entry near{dl <= dr ? n.first : n.first + 1, std::min(dl, dr)};
    const Entry far{dl <= dr ? n.first + 1 : n.first, std::max(dl, dr)};
    const float b = bound();
    if (far.d2 <= b) stack[top++] = far;
    if (near.d2 <= b) stack[top++] = near;
  }
}

}  // namespace

SurfaceQuery::SurfaceQuery(const Mesh& mesh) : mesh_(mesh) {
  std::vector<Box3> boxes(mesh.faces.size());
  normals_.resize(mesh.faces.size());
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    const Triangle& t = mesh.faces[f];
    for (auto v : t) boxes[f].add(mesh.vertices[v]);
    normals_[f] = normalized(cross(mesh.vertices[t[1]] - mesh.vertices[t[0]],
                                   mesh.vertices[t[2]] - mesh.vertices[t[0]]));
  }
  nodes_ = buildTree(boxes, items_);
}

Nearest SurfaceQuery::nearest(const Vec3& p, float radius) const {
  float best = std::numeric_limits<float>::infinity();
  float sign = 1.f;
  float bestAlong = -1.f;
  Nearest result;
  auto bound = [&] {
    const float b = std::min(radius, best * 1.0001f + 1e-9f);
    return b * b;
  };
  searchTree(nodes_, p, bound, [&](const BoxNode& leaf) {
    for (std::uint32_t i = leaf.first; i < leaf.first + leaf.count; ++i) {
      const std::uint32_t f = items_[i];
      const Triangle& t = mesh_.faces[f];
      const Vec3 q =
          closestOnTriangle(p, mesh_.vertices[t[0]], mesh_.vertices[t[1]], mesh_.vertices[t[2]]);
      const float d = length(p - q);
      if (d > radius || d > best * 1.0001f + 1e-9f) continue;
      // at a shared edge or corner, the face seen most squarely decides the side
      const Vec3& n = normals_[f];
      const float along = d > 0 ? dot(p - q, n) / d : 0.f;
      if (d < best * 0.9999f - 1e-9f || std::fabs(along) > bestAlong) {
        if (d < best) result.point = q;
        best = std::min(best, d);
        bestAlong = std::fabs(along);
        sign = along < 0 ? -1.f : 1.f;
        result.normal = n;
      }
    }
  });
  if (best != std::numeric_limits<float>::infinity()) result.distance = best * sign;
  return result;
}

NearestPoints::NearestPoints(std::vector<Vec3> points) {
  std::vector<Box3> boxes(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) boxes[i].add(points[i]);
  std::vector<std::uint32_t> order;
  nodes_ = buildTree(boxes, order);
  points_.resize(points.size());
  for (std::size_t i = 0; i < order.size(); ++i) points_[i] = points[order[i]];
}

float NearestPoints::distance(const Vec3& p) const {
  float best2 = std::numeric_limits<float>::infinity();
  searchTree(
      nodes_, p, [&] { return best2; },
      [&](const BoxNode& leaf) {
        for (std::uint32_t i = leaf.first; i < leaf.first + leaf.count; ++i) {
          const Vec3 d = points_[i] - p;
          best2 = std::min(best2, dot(d, d));
        }
      });
  return std::sqrt(best2);
}

}  // namespace h3d::detail
