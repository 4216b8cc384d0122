#include "cap_refine.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "h3dpart/surface_query.h"

namespace h3d::detail {
namespace {

// Points tested on each cap face (barycentric): its centre, its edge
// midpoints and the points halfway from the centre to each corner.
constexpr float kFaceSamples[][3] = {{1 / 3.f, 1 / 3.f, 1 / 3.f},
                                     {0.5f, 0.5f, 0},
                                     {0, 0.5f, 0.5f},
                                     {0.5f, 0, 0.5f},
                                     {2 / 3.f, 1 / 6.f, 1 / 6.f},
                                     {1 / 6.f, 2 / 3.f, 1 / 6.f},
                                     {1 / 6.f, 1 / 6.f, 2 / 3.f}};
// How deep a moved vertex goes, per unit of its distance from the border
// (twice what the check wants), and how much deeper each time its face
// still shows.
constexpr float kDepthPerBorderDistance = 2 * kCheckDepthPerBorderDistance;
constexpr float kDeeperPerTurn = 1.6f, kMostDeeper = 6.f;
constexpr int kRounds = 10;

float distanceToSegment(const Vec3& p, const Vec3& a, const Vec3& b) {
  const Vec3 ab = b - a;
  const float l2 = dot(ab, ab);
  const float t = l2 > 0 ? std::clamp(dot(p - a, ab) / l2, 0.f, 1.f) : 0.f;
  return length(p - (a + ab * t));
}

std::uint64_t edgeKey(std::uint32_t a, std::uint32_t b) {
  if (a > b) std::swap(a, b);
  return (static_cast<std::uint64_t>(a) << 32) | b;
}

// How close two vertices of a cap may come, per unit of the cap's
// diagonal, before the surface counts as touching itself.
constexpr float kFoldTolerance = 1e-5f;

// True when a new vertex of `faces` (index >= firstNew) lies within
// kFoldTolerance of the cap's diagonal of another of its vertices (border
// copies of one point, where a loop passed it twice, do not count): moved deeper where the shape is
// thin, two cap vertices can land on the one point inside it (a fold; welded by position, the part
// would no longer be a closed 2-manifold).
bool touchesItself(const std::vector<Triangle>& faces, const std::vector<Vec3>& vertices,
                   std::uint32_t firstNew) {
  std::vector<std::uint32_t> used;
  for (const Triangle& t : faces) used.insert(used.end(), t.begin(), t.end());
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  Box3 box;
  for (std::uint32_t v : used) box.add(vertices[v]);
  const float tolerance = kFoldTolerance * std::max(box.diagonal(), 1e-12f);
  auto cell = [&](const Vec3& p, int a) {
    return static_cast<std::int64_t>(std::floor((p[a] - box.lo[a]) / tolerance));
  };
  auto key = [](std::int64_t x, std::int64_t y, std::int64_t z) {
    return static_cast<std::uint64_t>(x) * 73856093u ^ static_cast<std::uint64_t>(y) * 19349663u ^
           static_cast<std::uint64_t>(z) * 83492791u;
  };
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> cells;
  for (std::uint32_t v : used) {
    const Vec3& p = vertices[v];
    const std::int64_t x = cell(p, 0), y = cell(p, 1), z = cell(p, 2);
    for (std::int64_t dx = -1; dx <= 1; ++dx)
      for (std::int64_t dy = -1; dy <= 1; ++dy)
        for (std::int64_t dz = -1; dz <= 1; ++dz) {
          auto it = cells.find(key(x + dx, y + dy, z + dz));
          if (it == cells.end()) continue;
          for (std::uint32_t u : it->second)
            if ((u >= firstNew || v >= firstNew) && length(vertices[u] - p) < tolerance)
              return true;
        }
    cells[key(x, y, z)].push_back(v);
  }
  return false;
}

}  // namespace

bool refineShowingFaces(std::vector<Triangle>& faces, const std::vector<std::uint32_t>& border,
                        std::vector<Vec3>& vertices, std::uint32_t firstNew, const CapCheck& check,
                        const CapInside& inside, const CapDistance& distance) {
  std::vector<Vec3> borderPoints;
  borderPoints.reserve(border.size());
  for (std::uint32_t v : border) borderPoints.push_back(vertices[v]);
  const NearestPoints toBorder(std::move(borderPoints));
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> facesAt;  // edge -> faces
  for (std::size_t f = 0; f < faces.size(); ++f)
    for (int e = 0; e < 3; ++e)
      facesAt[edgeKey(faces[f][e], faces[f][(e + 1) % 3])].push_back(static_cast<std::uint32_t>(f));
  // a border edge has one cap face (the part's own triangle on its other
  // side); an edge between two border vertices with two is a chord across
  auto onBorder = [&](std::uint32_t a, std::uint32_t b) {
    if (a >= firstNew || b >= firstNew) return false;
    auto it = facesAt.find(edgeKey(a, b));
    return it != facesAt.end() && it->second.size() == 1;
  };
  auto shows = [&](const Triangle& t, const float* w) {
    // a border edge is the part's own surface: its midpoint is not tested
    for (int e = 0; e < 3; ++e)
      if (w[(e + 2) % 3] == 0 && onBorder(t[e], t[(e + 1) % 3])) return false;
    const Vec3 s = vertices[t[0]] * w[0] + vertices[t[1]] * w[1] + vertices[t[2]] * w[2];
    // (from the face's border edges too: a point beside one is as shallow
    // as it is near)
    float d = toBorder.distance(s);
    for (int e = 0; e < 3; ++e)
      if (onBorder(t[e], t[(e + 1) % 3]))
        d = std::min(d, distanceToSegment(s, vertices[t[e]], vertices[t[(e + 1) % 3]]));
    return d > 0 && check({s}, {d}) > 0;
  };
  // the most depth the check wants (what it finds missing at a border
  // vertex, on the surface, asked as if far from the border)
  const float deepestWant =
      border.empty() ? 0.f : 1.001f * static_cast<float>(check({vertices[border[0]]}, {1e30f}));
  auto faceShows = [&](const Triangle& t) {
    // a centre deeper than the check wants of any point of the face, plus
    // the face's reach from it, hides the whole face (signed distances
    // differ by at most the distance between the points)
    if (distance) {
      const Vec3 c = (vertices[t[0]] + vertices[t[1]] + vertices[t[2]]) * (1.f / 3.f);
      float r = 0;
      for (std::uint32_t v : t) r = std::max(r, length(vertices[v] - c));
      const float fromBorder = toBorder.distance(c);
      const float wanted =
          r + std::min(kCheckDepthPerBorderDistance * (fromBorder + r), deepestWant);
      // (the border is on the surface: it is found within that radius)
      if (distance(c, 1.01f * fromBorder + wanted) <= -wanted) return false;
    }
    for (const auto& w : kFaceSamples)
      if (shows(t, w)) return true;
    return false;
  };
  // how exposed the cap's new vertices are (moving them deeper should not
  // bring any out of the shape, where it is thin)
  auto score = [&](const std::vector<std::uint32_t>& own) {
    std::vector<Vec3> points;
    std::vector<float> distances;
    for (std::uint32_t v : own) {
      points.push_back(vertices[v]);
      distances.push_back(toBorder.distance(vertices[v]));
    }
    return check(points, distances);
  };

  std::vector<std::size_t> todo;
  for (std::size_t f = 0; f < faces.size(); ++f) {
    const Triangle& t = faces[f];
    if (faceShows(t)) todo.push_back(f);
  }
  if (todo.empty()) return false;
  std::vector<std::uint32_t> own;
  {
    std::unordered_set<std::uint32_t> seen;
    for (const Triangle& t : faces)
      for (std::uint32_t v : t)
        if (v >= firstNew && seen.insert(v).second) own.push_back(v);
  }
  const auto before = score(own);
  const std::vector<Triangle> oldFaces = faces;
  const std::vector<Vec3> oldVertices = vertices;
  const std::size_t mostFaces = 2 * faces.size();

  std::unordered_map<std::uint32_t, float> deeper;
  auto moveIn = [&](std::uint32_t v) {
    float& d = deeper.try_emplace(v, 1.f / kDeeperPerTurn).first->second;
    d = std::min(d * kDeeperPerTurn, kMostDeeper);
    vertices[v] = inside(vertices[v], d * kDepthPerBorderDistance * toBorder.distance(vertices[v]));
  };
  // splits edge a-b of every face at it (two cap faces) at a new vertex
  auto split = [&](std::uint32_t a, std::uint32_t b) {
    auto it = facesAt.find(edgeKey(a, b));
    if (it == facesAt.end()) return;
    const std::vector<std::uint32_t> around = it->second;
    facesAt.erase(it);
    const auto m = static_cast<std::uint32_t>(vertices.size());
    vertices.push_back((vertices[a] + vertices[b]) * 0.5f);
    for (std::uint32_t f : around) {
      const Triangle& t = faces[f];
      int e = 0;
      while (e < 3 && edgeKey(t[e], t[(e + 1) % 3]) != edgeKey(a, b)) ++e;
      if (e == 3) continue;  // (not at this edge: the bookkeeping keeps this from happening)
      const std::uint32_t x = t[e], y = t[(e + 1) % 3], c = t[(e + 2) % 3];
      const auto g = static_cast<std::uint32_t>(faces.size());
      faces[f] = {x, m, c};
      faces.push_back({m, y, c});
      facesAt[edgeKey(x, m)].push_back(f);
      facesAt[edgeKey(m, y)].push_back(g);
      facesAt[edgeKey(m, c)].push_back(f);
      facesAt[edgeKey(m, c)].push_back(g);
      for (std::uint32_t& h : facesAt[edgeKey(y, c)])
        if (h == f) h = g;
    }
    moveIn(m);
  };
  for (int round = 0; round < kRounds && !todo.empty(); ++round) {
    // first deeper, then (from the second round) split what still shows
    std::unordered_set<std::uint32_t> moved;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
    std::unordered_set<std::uint64_t> chosen;
    for (std::size_t f : todo) {
      const Triangle& t = faces[f];
      for (std::uint32_t v : t)
        if (v >= firstNew) moved.insert(v);
      if (round == 0) continue;
      int longest = -1;
      float length2 = 0;
      for (int e = 0; e < 3; ++e) {
        if (onBorder(t[e], t[(e + 1) % 3])) continue;
        const Vec3 d = vertices[t[(e + 1) % 3]] - vertices[t[e]];
        if (dot(d, d) > length2) {
          length2 = dot(d, d);
          longest = e;
        }
      }
      if (longest >= 0 && chosen.insert(edgeKey(t[longest], t[(longest + 1) % 3])).second)
        edges.emplace_back(t[longest], t[(longest + 1) % 3]);
    }
    for (std::uint32_t v : moved) moveIn(v);
    const std::size_t firstVertexAdded = vertices.size(), firstFaceAdded = faces.size();
    for (const auto& [a, b] : edges) {
      if (faces.size() + 2 > mostFaces) break;
      split(a, b);
    }
    // only faces at a moved or new vertex can have changed
    todo.clear();
    for (std::size_t f = 0; f < faces.size(); ++f) {
      const Triangle& t = faces[f];
      bool changed = f >= firstFaceAdded;
      for (std::uint32_t v : t) changed = changed || v >= firstVertexAdded || moved.count(v) > 0;
      if (changed && faceShows(t)) todo.push_back(f);
    }
  }
  const auto after = score(own);
  if (after <= before && !touchesItself(faces, vertices, firstNew)) return true;
  faces = oldFaces;
  vertices = oldVertices;
  return false;
}

}  // namespace h3d::detail
