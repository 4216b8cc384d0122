#pragma once
// Benchmark-style test shapes: unions of primitives fused into one watertight
// surface (marching tetrahedra on the minimum of their signed distances), with
// a ground-truth part label per triangle (the primitive nearest the surface).
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <vector>

#include "h3dpart/marching.h"
#include "h3dpart/mesh.h"

namespace fixtures {

using h3d::Vec3;
using Sdf = std::function<float(const Vec3&)>;

inline Sdf box(Vec3 c, Vec3 h) {
  return [c, h](const Vec3& p) {
    const Vec3 q{std::fabs(p.x - c.x) - h.x, std::fabs(p.y - c.y) - h.y,
                 std::fabs(p.z - c.z) - h.z};
    const Vec3 o{std::max(q.x, 0.f), std::max(q.y, 0.f), std::max(q.z, 0.f)};
    return h3d::length(o) + std::min(std::max({q.x, q.y, q.z}), 0.f);
  };
}
inline Sdf sphere(Vec3 c, float r) {
  return [c, r](const Vec3& p) { return h3d::length(p - c) - r; };
}
// cylinder along z
inline Sdf cylinderZ(Vec3 c, float r, float h) {
  return [c, r, h](const Vec3& p) {
    const float dr = std::hypot(p.x - c.x, p.y - c.y) - r;
    const float dz = std::fabs(p.z - c.z) - h;
    return std::hypot(std::max(dr, 0.f), std::max(dz, 0.f)) + std::min(std::max(dr, dz), 0.f);
  };
}
// capsule from a to b
inline Sdf capsule(Vec3 a, Vec3 b, float r) {
  return [a, b, r](const Vec3& p) {
    const Vec3 ab = b - a;
    const float t = std::clamp(h3d::dot(p - a, ab) / h3d::dot(ab, ab), 0.f, 1.f);
    return h3d::length(p - (a + ab * t)) - r;
  };
}
// torus around the y axis (ring in the xz plane)
inline Sdf torusY(Vec3 c, float R, float r) {
  return [c, R, r](const Vec3& p) {
    const Vec3 q = p - c;
    const float a = std::hypot(q.x, q.z) - R;
    return std::hypot(a, q.y) - r;
  };
}

struct Shape {
  h3d::Mesh mesh;
  std::vector<int> labels;  // ground truth per face
  int parts = 0;
};

// Polynomial smooth minimum: equal to min(a, b) where they differ by more
// than `k`, a rounded fillet of about k/4 where they meet.
inline float smoothMin(float a, float b, float k) {
  if (k <= 0) return std::min(a, b);
  const float h = std::max(k - std::fabs(a - b), 0.f) / k;
  return std::min(a, b) - h * h * k * 0.25f;
}

// `blend` > 0: a smooth union (parts meet in a fillet, no crease).
inline Shape fuse(const std::vector<Sdf>& prims, float step, float blend = 0.f) {
  // bounds by scanning a coarse grid
  h3d::Box3 box;
  for (float x = -2; x <= 2; x += 0.05f)
    for (float y = -2; y <= 2; y += 0.05f)
      for (float z = -2; z <= 2; z += 0.05f) {
        const Vec3 p{x, y, z};
        for (const auto& s : prims)
          if (s(p) < 0.05f) {
            box.add(p);
            break;
          }
      }
  h3d::detail::ScalarGrid g;
  g.step = step;
  g.origin = box.lo - Vec3{0.1f, 0.1f, 0.1f};
  const Vec3 size = box.size() + Vec3{0.2f, 0.2f, 0.2f};
  g.nx = static_cast<int>(size.x / step) + 2;
  g.ny = static_cast<int>(size.y / step) + 2;
  g.nz = static_cast<int>(size.z / step) + 2;
  g.values.resize(static_cast<std::size_t>(g.nx) * g.ny * g.nz);
  for (int k = 0; k < g.nz; ++k)
    for (int j = 0; j < g.ny; ++j)
      for (int i = 0; i < g.nx; ++i) {
        float v = 1e9f;
        const Vec3 p = g.position(i, j, k);
        for (const auto& s : prims) v = smoothMin(v, s(p), blend);
        g.values[g.index(i, j, k)] = v;
      }
  g.closeBorder(1.f);
  Shape out;
  out.mesh = h3d::detail::marchTetrahedra(g);
  out.parts = static_cast<int>(prims.size());
  out.labels.resize(out.mesh.faces.size());
  for (std::size_t f = 0; f < out.mesh.faces.size(); ++f) {
    const Vec3 c = out.mesh.faceCentroid(f);
    int best = 0;
    float bd = 1e9f;
    for (std::size_t s = 0; s < prims.size(); ++s) {
      const float d = std::fabs(prims[s](c));
      if (d < bd) {
        bd = d;
        best = static_cast<int>(s);
      }
    }
    out.labels[f] = best;
  }
  return out;
}

inline std::vector<Sdf> table() {
  std::vector<Sdf> p{box({0, 0, 0.75f}, {0.8f, 0.45f, 0.05f})};
  for (float x : {-0.6f, 0.6f})
    for (float y : {-0.32f, 0.32f}) p.push_back(cylinderZ({x, y, 0.35f}, 0.05f, 0.37f));
  return p;
}
inline std::vector<Sdf> snowman() {
  return {sphere({0, 0, 0.4f}, 0.42f), sphere({0, 0, 1.0f}, 0.3f), sphere({0, 0, 1.43f}, 0.2f),
          capsule({0.3f, 0, 1.05f}, {0.7f, 0, 1.25f}, 0.05f),
          capsule({-0.3f, 0, 1.05f}, {-0.7f, 0, 1.25f}, 0.05f)};
}
inline std::vector<Sdf> mug() {
  return {cylinderZ({0, 0, 0}, 0.35f, 0.45f), torusY({0.4f, 0, 0}, 0.22f, 0.06f)};
}
inline std::vector<Sdf> robot() {
  return {box({0, 0, 0.9f}, {0.3f, 0.2f, 0.35f}),
          box({0, 0, 1.42f}, {0.16f, 0.14f, 0.14f}),
          capsule({0.42f, 0, 0.7f}, {0.42f, 0, 1.2f}, 0.07f),
          capsule({-0.42f, 0, 0.7f}, {-0.42f, 0, 1.2f}, 0.07f),
          cylinderZ({0.15f, 0, 0.3f}, 0.09f, 0.32f),
          cylinderZ({-0.15f, 0, 0.3f}, 0.09f, 0.32f)};
}

// A capsule body with a capsule head, two arms and two legs, all thinner than
// the body: fused with a smooth union, the limbs join without a crease.
inline std::vector<Sdf> capsuleFigure() {
  return {capsule({0, 0, 0.55f}, {0, 0, 1.05f}, 0.24f),
          sphere({0, 0, 1.5f}, 0.17f),
          capsule({0.3f, 0, 1.05f}, {0.85f, 0, 0.75f}, 0.07f),
          capsule({-0.3f, 0, 1.05f}, {-0.85f, 0, 0.75f}, 0.07f),
          capsule({0.1f, 0, 0.4f}, {0.4f, 0, -0.35f}, 0.08f),
          capsule({-0.1f, 0, 0.4f}, {-0.4f, 0, -0.35f}, 0.08f)};
}

// Symmetric best-match IoU over faces: the mean over ground-truth parts and
// over predicted parts of each part's best IoU with the other side.
inline double symmetricIoU(const std::vector<int>& gt, const std::vector<int>& pred) {
  std::map<std::pair<int, int>, double> inter;
  std::map<int, double> gs, ps;
  for (std::size_t f = 0; f < gt.size(); ++f) {
    inter[{gt[f], pred[f]}] += 1;
    gs[gt[f]] += 1;
    ps[pred[f]] += 1;
  }
  std::map<int, double> gBest, pBest;
  for (const auto& [key, n] : inter) {
    const double iou = n / (gs[key.first] + ps[key.second] - n);
    gBest[key.first] = std::max(gBest[key.first], iou);
    pBest[key.second] = std::max(pBest[key.second], iou);
  }
  double g = 0, p = 0;
  for (const auto& [k, v] : gBest) g += v;
  for (const auto& [k, v] : pBest) p += v;
  return 0.5 * (g / static_cast<double>(gBest.size()) + p / static_cast<double>(pBest.size()));
}

}  // namespace fixtures
