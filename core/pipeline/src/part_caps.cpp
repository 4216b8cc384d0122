#include "part_caps.h"

#include <Eigen/Sparse>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>

#include "h3dpart/marching.h"
#include "h3dpart/surface_query.h"
#include "h3dpart/union_find.h"

namespace h3d::detail {

Mesh facesWithLabel(const Mesh& mesh, const std::vector<int>& labels, int part) {
  Mesh out;
  std::vector<std::uint32_t> remap(mesh.vertices.size(), UINT32_MAX);
  for (std::size_t f = 0; f < mesh.faces.size() && f < labels.size(); ++f) {
    if (labels[f] != part) continue;
    Triangle t = mesh.faces[f];
    for (auto& v : t) {
      if (remap[v] == UINT32_MAX) {
        remap[v] = static_cast<std::uint32_t>(out.vertices.size());
        out.vertices.push_back(mesh.vertices[v]);
      }
      v = remap[v];
    }
    out.faces.push_back(t);
  }
  return out;
}

namespace {

// One cap under construction: its rings (ring 0 is the border loop, in the
// direction of the surface's border half-edges), the centre, and its faces.
struct Cap {
  std::vector<std::vector<std::uint32_t>> rings;
  std::uint32_t centre = 0;
  std::vector<Triangle> faces;
};

// Triangles between ring `a` (outer) and ring `b` (inner), both in the same
// cyclic direction; each step advances the ring whose next vertex comes first
// by its parameter along the ring.
void strip(const std::vector<std::uint32_t>& a, const std::vector<double>& ua,
           const std::vector<std::uint32_t>& b, std::vector<Triangle>& faces) {
  const std::size_t na = a.size(), nb = b.size();
  std::size_t j = 0, k = 0;
  while (j < na || k < nb) {
    const double nextA = j + 1 < na ? ua[j + 1] : 1.0;
    const double nextB = static_cast<double>(k + 1) / static_cast<double>(nb);
    if (k == nb || (j < na && nextA <= nextB)) {
      faces.push_back({a[(j + 1) % na], a[j], b[k % nb]});
      ++j;
    } else {
      faces.push_back({b[k], b[(k + 1) % nb], a[j % na]});
      ++k;
    }
  }
}

// How far the cap goes from the membrane towards the thin plate (0..1).
constexpr double kBulge = 0.5;

// How far in a cap vertex should be: a share of its distance from the
// border, so the cap dives in as it leaves the border.
constexpr float kDepthPerBorderDistance = 0.15f;

// The cap `x` (free vertices by column) moved inside the shape: each vertex
// taken to about kDepthPerBorderDistance of its distance from the border
// inside, then every vertex pulled halfway to the mean of its neighbours, in
// turns, and a last move in; then deeper where a face's centre still shows.
// Replaces `x` when the check finds its vertices no more exposed than
// `fewest` (the check's figure for `x`) and fewer faces show.
void followInside(const std::unordered_map<std::uint32_t, std::unordered_set<std::uint32_t>>& nb,
                  const std::unordered_map<std::uint32_t, int>& column,
                  const std::vector<Triangle>& faces, const NearestPoints& border,
                  const CapCheck& check, const CapInside& inside, double fewest, Eigen::MatrixXd& x,
                  const std::vector<Vec3>& vertices) {
  const std::size_t free = column.size();
  std::vector<Vec3> p(free), next(free);
  std::vector<std::vector<int>> freeNb(free);
  std::vector<Vec3> fixedSum(free, Vec3{0, 0, 0});
  std::vector<float> count(free, 0.f);
  for (const auto& [v, c] : column) {
    const auto uc = static_cast<std::size_t>(c);
    p[uc] =
        Vec3{static_cast<float>(x(c, 0)), static_cast<float>(x(c, 1)), static_cast<float>(x(c, 2))};
    for (std::uint32_t u : nb.at(v)) {
      auto it = column.find(u);
      if (it != column.end())
        freeNb[uc].push_back(it->second);
      else
        fixedSum[uc] += vertices[u];
      count[uc] += 1.f;
    }
  }
  auto toBorder = [&](const Vec3& q) { return border.distance(q); };
  std::vector<float> deeper(free, 1.f);  // raised where a face between vertices showed
  auto at = [&](std::uint32_t v) {
    auto it = column.find(v);
    return it == column.end() ? vertices[v] : p[static_cast<std::size_t>(it->second)];
  };
  auto moveIn = [&] {
    for (std::size_t c = 0; c < free; ++c)
      p[c] = inside(p[c], deeper[c] * kDepthPerBorderDistance * toBorder(p[c]));
  };
  auto facesShowing = [&](bool mark) {
    std::size_t showing = 0;
    for (const Triangle& t : faces) {
      const Vec3 centre = (at(t[0]) + at(t[1]) + at(t[2])) * (1.f / 3.f);
      const float want = 0.5f * kDepthPerBorderDistance * toBorder(centre);
      if (want <= 0 || inside(centre, want) == centre) continue;
      ++showing;
      if (!mark) continue;
      for (std::uint32_t v : t) {
        auto it = column.find(v);
        if (it != column.end()) {
          float& d = deeper[static_cast<std::size_t>(it->second)];
          d = std::min(d * 1.6f, 5.f);
        }
      }
    }
    return showing;
  };
  const std::size_t facesBefore = facesShowing(false);
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    moveIn();
    for (std::size_t c = 0; c < free; ++c) {
      Vec3 mean = fixedSum[c];
      for (int u : freeNb[c]) mean += p[static_cast<std::size_t>(u)];
      next[c] = count[c] > 0 ? p[c] * 0.5f + mean * (0.5f / count[c]) : p[c];
    }
    p.swap(next);
  }
  moveIn();
  // Vertices inside do not make faces inside where the shape is concave (a
  // chord under a socket's surface): the vertices of a face whose centre
  // shows go deeper, a few times.
  for (int pass = 0; pass < 3 && facesShowing(true) > 0; ++pass) moveIn();
  std::vector<float> distances(free);
  for (std::size_t c = 0; c < free; ++c) distances[c] = toBorder(p[c]);
  const double refined = check(p, distances);
  const std::size_t showing = facesShowing(false);
  if (refined > fewest || (refined == fewest && showing >= facesBefore)) return;
  for (std::size_t c = 0; c < free; ++c)
    for (int a = 0; a < 3; ++a) x(static_cast<long>(c), a) = p[c][a];
}

// Positions of the cap's free vertices (every ring but the border, and the
// centre): the thin plate minimises sum |L x|^2 over the border and free
// vertices (L the uniform Laplacian over the cap plus the surface edges at
// the border), the membrane solves L x = 0 on the free vertices.
bool fair(const Cap& cap, const std::vector<std::vector<std::uint32_t>>& surfaceNeighbours,
          std::uint32_t firstNew, std::vector<Vec3>& vertices, const CapCheck& check,
          const CapInside& inside) {
  std::unordered_map<std::uint32_t, std::unordered_set<std::uint32_t>> nb;
  for (const Triangle& t : cap.faces)
    for (int e = 0; e < 3; ++e) {
      nb[t[e]].insert(t[(e + 1) % 3]);
      nb[t[(e + 1) % 3]].insert(t[e]);
    }
  for (std::uint32_t v : cap.rings.front())
    for (std::uint32_t u : surfaceNeighbours[v]) nb[v].insert(u);
  std::unordered_map<std::uint32_t, int> column;
  for (const auto& [v, n] : nb)
    if (v >= firstNew) column.emplace(v, static_cast<int>(column.size()));
  const int free = static_cast<int>(column.size());
  if (free == 0) return true;
  std::vector<std::uint32_t> rows(cap.rings.front());
  for (const auto& [v, c] : column) rows.push_back(v);
  std::vector<Eigen::Triplet<double>> triplets;
  Eigen::MatrixXd fixedPart = Eigen::MatrixXd::Zero(static_cast<long>(rows.size()), 3);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& around = nb[rows[r]];
    const double w = 1.0 / static_cast<double>(around.size());
    auto add = [&](std::uint32_t v, double coefficient) {
      auto it = column.find(v);
      if (it != column.end()) {
        triplets.emplace_back(static_cast<int>(r), it->second, coefficient);
      } else {
        for (int a = 0; a < 3; ++a)
          fixedPart(static_cast<long>(r), a) += coefficient * vertices[v][a];
      }
    };
    add(rows[r], -1.0);
    for (std::uint32_t u : around) add(u, w);
  }
  Eigen::SparseMatrix<double> A(static_cast<long>(rows.size()), free);
  A.setFromTriplets(triplets.begin(), triplets.end());
  Eigen::SparseMatrix<double> normal = A.transpose() * A;
  for (int c = 0; c < free; ++c) normal.coeffRef(c, c) += 1e-10;
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> solver(normal);
  if (solver.info() != Eigen::Success) return false;
  const Eigen::MatrixXd rhs = -(A.transpose() * fixedPart);
  const Eigen::MatrixXd thinPlate = solver.solve(rhs);
  if (solver.info() != Eigen::Success || !thinPlate.allFinite()) return false;
  // The membrane (L x = 0 on the free vertices) spans the border without
  // leaving it along the surface; the cap is taken between the two, so it
  // still follows the part's shape but meets the surface at an angle instead
  // of hugging it (where a cut crossed a smooth surface, a tangent cap would
  // run just under the neighbour's visible surface and show through it).
  const Eigen::SparseMatrix<double> membrane = A.bottomRows(free);
  Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
  lu.compute(membrane);
  if (lu.info() != Eigen::Success) return false;
  const Eigen::MatrixXd flat = lu.solve(Eigen::MatrixXd(-fixedPart.bottomRows(free)));
  if (lu.info() != Eigen::Success || !flat.allFinite()) return false;
  // Halfway, unless the check finds cap vertices outside the shape: then
  // flatter (a neighbour thinner than the dome), then sunk under the membrane
  // along the cap's normal, deeper towards its middle (a part that was an
  // island in its neighbour's surface: the neighbour's cap over the hole
  // would lie on the island's visible surface) -- the first the check finds
  // hidden, else the one with the fewest exposed vertices.
  std::vector<Vec3> borderPoints;
  for (std::uint32_t v : cap.rings.front()) borderPoints.push_back(vertices[v]);
  const NearestPoints border(std::move(borderPoints));
  auto at = [&](const Eigen::MatrixXd& x, std::uint32_t v) {
    auto it = column.find(v);
    if (it == column.end()) return vertices[v];
    const int c = it->second;
    return Vec3{static_cast<float>(x(c, 0)), static_cast<float>(x(c, 1)),
                static_cast<float>(x(c, 2))};
  };
  Vec3 capNormal{0, 0, 0};
  for (const Triangle& t : cap.faces)
    capNormal += cross(at(flat, t[1]) - at(flat, t[0]), at(flat, t[2]) - at(flat, t[0]));
  capNormal = normalized(capNormal);
  std::vector<float> toBorder(static_cast<std::size_t>(free), 0.f);
  for (const auto& [v, c] : column)
    toBorder[static_cast<std::size_t>(c)] = border.distance(at(flat, v));
  struct Shape {
    double bulge, sink;
  };
  // unchecked: halfway; checked: the thin plate first (the deepest that hides)
  static constexpr Shape kShapes[] = {{1.0, 0},        {0.75, 0},       {kBulge, 0},
                                      {kBulge / 2, 0}, {kBulge / 5, 0}, {0, 0},
                                      {0, 0.15},       {0, 0.3},        {0, 0.6}};
  std::vector<Vec3> inner(static_cast<std::size_t>(free));
  std::vector<float> innerToBorder(static_cast<std::size_t>(free));
  double fewest = INFINITY;
  Eigen::MatrixXd chosen;
  for (const Shape& shape : kShapes) {
    if (!check && shape.bulge > kBulge) continue;
    Eigen::MatrixXd x = flat + shape.bulge * (thinPlate - flat);
    for (int c = 0; c < free; ++c)
      for (int a = 0; a < 3; ++a)
        x(c, a) -= shape.sink * toBorder[static_cast<std::size_t>(c)] * capNormal[a];
    if (!check) {
      chosen = x;
      break;
    }
    for (int c = 0; c < free; ++c) {
      const auto uc = static_cast<std::size_t>(c);
      inner[uc] = Vec3{static_cast<float>(x(c, 0)), static_cast<float>(x(c, 1)),
                       static_cast<float>(x(c, 2))};
      innerToBorder[uc] = border.distance(inner[uc]);
    }
    const double exposed = check(inner, innerToBorder);
    if (exposed < fewest) {
      fewest = exposed;
      chosen = x;
    }
    if (exposed == 0) break;
  }
  if (fewest > 0 && fewest != INFINITY && inside)
    followInside(nb, column, cap.faces, border, check, inside, fewest, chosen, vertices);
  for (const auto& [v, c] : column)
    vertices[v] = Vec3{static_cast<float>(chosen(c, 0)), static_cast<float>(chosen(c, 1)),
                       static_cast<float>(chosen(c, 2))};
  return true;
}

// Where the faces around a vertex form more than one fan (the part's border
// touches itself there), each further fan gets its own copy of the vertex,
// so every border loop is simple. False for a face with a repeated vertex or
// a half-edge used twice (not an oriented manifold).
bool splitPinchedVertices(Mesh& mesh) {
  const std::uint64_t n = mesh.vertices.size();
  // half-edge (a -> b) -> face * 3 + corner of a
  std::unordered_map<std::uint64_t, std::uint32_t> halfEdges;
  halfEdges.reserve(mesh.faces.size() * 3);
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    const Triangle& t = mesh.faces[f];
    if (t[0] == t[1] || t[1] == t[2] || t[0] == t[2]) return false;
    for (int e = 0; e < 3; ++e)
      if (!halfEdges.emplace(t[e] * n + t[(e + 1) % 3], static_cast<std::uint32_t>(3 * f + e))
               .second)
        return false;
  }
  // corners at one vertex are in one fan when their faces share an edge there
  UnionFind fans(mesh.faces.size() * 3);
  for (const auto& [key, corner] : halfEdges) {
    const std::uint64_t a = key / n, b = key % n;
    auto opposite = halfEdges.find(b * n + a);
    if (opposite == halfEdges.end()) continue;
    const std::uint32_t f = corner / 3, i = corner % 3;
    const std::uint32_t g = opposite->second / 3, j = opposite->second % 3;
    fans.unite(3 * f + i, 3 * g + (j + 1) % 3);  // both at a
  }
  std::vector<std::uint32_t> firstRoot(n, UINT32_MAX);
  std::unordered_map<std::uint32_t, std::uint32_t> copyOf;  // fan root -> new vertex
  for (std::size_t c = 0; c < mesh.faces.size() * 3; ++c) {
    std::uint32_t& v = mesh.faces[c / 3][c % 3];
    const std::uint32_t root = fans.find(static_cast<std::uint32_t>(c));
    if (firstRoot[v] == UINT32_MAX) firstRoot[v] = root;
    if (firstRoot[v] == root) continue;
    auto [it, added] = copyOf.try_emplace(root, static_cast<std::uint32_t>(mesh.vertices.size()));
    if (added) mesh.vertices.push_back(mesh.vertices[v]);
    v = it->second;
  }
  return true;
}

}  // namespace

bool closeWithCaps(Mesh& result, std::size_t* capFaces, const CapCheck& check,
                   const CapInside& inside) {
  if (capFaces) *capFaces = 0;
  if (result.faces.empty()) return false;
  Mesh surface = result;
  if (!splitPinchedVertices(surface)) return false;
  const std::uint64_t n = surface.vertices.size();
  std::unordered_set<std::uint64_t> halfEdges;
  halfEdges.reserve(surface.faces.size() * 3);
  for (const Triangle& t : surface.faces)
    for (int e = 0; e < 3; ++e) halfEdges.insert(t[e] * n + t[(e + 1) % 3]);
  // border half-edges: one leaving each border vertex, or the border is not simple
  std::vector<std::uint32_t> borderNext(n, UINT32_MAX);
  std::vector<std::vector<std::uint32_t>> neighbours(n);
  for (const std::uint64_t key : halfEdges) {
    const auto a = static_cast<std::uint32_t>(key / n), b = static_cast<std::uint32_t>(key % n);
    neighbours[a].push_back(b);
    if (!halfEdges.count(static_cast<std::uint64_t>(b) * n + a)) {
      neighbours[b].push_back(a);  // a border edge is seen from one side only
      if (borderNext[a] != UINT32_MAX) return false;
      borderNext[a] = b;
    }
  }
  for (auto& list : neighbours) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  std::vector<Vec3> vertices = surface.vertices;
  std::vector<Triangle> added;
  std::vector<char> seen(n, 0);
  const auto firstNew = static_cast<std::uint32_t>(n);
  for (std::uint64_t start = 0; start < n; ++start) {
    if (borderNext[start] == UINT32_MAX || seen[start]) continue;
    Cap cap;
    std::vector<std::uint32_t> loop;
    for (auto v = static_cast<std::uint32_t>(start); !seen[v]; v = borderNext[v]) {
      seen[v] = 1;
      loop.push_back(v);
      if (borderNext[v] == UINT32_MAX) return false;
    }
    if (loop.front() != borderNext[loop.back()] || loop.size() < 3) return false;
    // ring 0's parameter: arc length along the loop
    std::vector<double> u(loop.size(), 0.0);
    double perimeter = 0;
    for (std::size_t i = 0; i < loop.size(); ++i) {
      u[i] = perimeter;
      perimeter += length(vertices[loop[(i + 1) % loop.size()]] - vertices[loop[i]]);
    }
    if (!(perimeter > 0)) return false;
    for (double& x : u) x /= perimeter;
    const int m = static_cast<int>(loop.size());
    // rings (at least 2, so a small cap can bend to follow a curved
    // neighbour from inside)
    const int ringCount = std::clamp(static_cast<int>(std::lround(m / (4.0 * M_PI))), 2, 8);
    Vec3 centroid{0, 0, 0};
    for (std::uint32_t v : loop) centroid += vertices[v];
    centroid = centroid / static_cast<float>(m);
    cap.rings.push_back(loop);
    for (int r = 1; r < ringCount; ++r) {
      const int size = std::max(
          3, static_cast<int>(std::lround(m * static_cast<double>(ringCount - r) / ringCount)));
      std::vector<std::uint32_t> ring;
      for (int i = 0; i < size; ++i) {
        ring.push_back(static_cast<std::uint32_t>(vertices.size()));
        vertices.push_back(centroid);
      }
      cap.rings.push_back(std::move(ring));
    }
    cap.centre = static_cast<std::uint32_t>(vertices.size());
    vertices.push_back(centroid);
    for (std::size_t r = 0; r + 1 < cap.rings.size(); ++r) {
      std::vector<double> ur = u;
      if (r > 0) {
        const std::size_t s = cap.rings[r].size();
        ur.resize(s);
        for (std::size_t i = 0; i < s; ++i) ur[i] = static_cast<double>(i) / static_cast<double>(s);
      }
      strip(cap.rings[r], ur, cap.rings[r + 1], cap.faces);
    }
    const auto& last = cap.rings.back();
    for (std::size_t j = 0; j < last.size(); ++j)
      cap.faces.push_back({last[(j + 1) % last.size()], last[j], cap.centre});
    if (!fair(cap, neighbours, firstNew, vertices, check, inside)) return false;
    added.insert(added.end(), cap.faces.begin(), cap.faces.end());
  }
  Mesh closed;
  closed.vertices = std::move(vertices);
  closed.faces = surface.faces;
  closed.faces.insert(closed.faces.end(), added.begin(), added.end());
  if (!isClosedManifold(closed)) return false;
  if (capFaces) *capFaces = added.size();
  result = std::move(closed);
  return true;
}

}  // namespace h3d::detail
