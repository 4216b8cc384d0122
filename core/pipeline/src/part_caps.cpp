#include "part_caps.h"

#include <Eigen/Sparse>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "cap_quadric.h"
#include "cap_refine.h"
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
// A tube joins two border loops instead (rings from one loop to the other,
// the last ring the second loop reversed); `border` is every loop vertex.
struct Cap {
  std::vector<std::vector<std::uint32_t>> rings;
  std::vector<std::uint32_t> border;
  std::uint32_t centre = 0;
  std::vector<Triangle> faces;
  bool tube = false;
};

// The nearest-point index over a cap's border vertices.
NearestPoints borderIndex(const Cap& cap, const std::vector<Vec3>& vertices) {
  std::vector<Vec3> points;
  points.reserve(cap.border.size());
  for (std::uint32_t v : cap.border) points.push_back(vertices[v]);
  return NearestPoints(std::move(points));
}

// Parameters 0, 1/n, ..., (n-1)/n.
std::vector<double> uniform(std::size_t n) {
  std::vector<double> u(n);
  for (std::size_t i = 0; i < n; ++i) u[i] = static_cast<double>(i) / static_cast<double>(n);
  return u;
}

// Triangles between ring `a` (outer) and ring `b` (inner), both in the same
// cyclic direction, with their parameters along the ring (from 0, below 1);
// each step advances the ring whose next vertex comes first.
void strip(const std::vector<std::uint32_t>& a, const std::vector<double>& ua,
           const std::vector<std::uint32_t>& b, const std::vector<double>& ub,
           std::vector<Triangle>& faces) {
  const std::size_t na = a.size(), nb = b.size();
  std::size_t j = 0, k = 0;
  while (j < na || k < nb) {
    const double nextA = j + 1 < na ? ua[j + 1] : 1.0;
    const double nextB = k + 1 < nb ? ub[k + 1] : 1.0;
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

// How far in a cap vertex should be: what the check wants.
constexpr float kDepthPerBorderDistance = kCheckDepthPerBorderDistance;
// A tube runs along its neighbour's surface from inside (a bore's wall), so
// it dives in more steeply, out of reach of that surface's shading.
constexpr float kTubeDepthPerBorderDistance = 0.3f;

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
                  const std::vector<Vec3>& vertices, float depthPerBorderDistance) {
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
      p[c] = inside(p[c], deeper[c] * depthPerBorderDistance * toBorder(p[c]));
  };
  auto facesShowing = [&](bool mark) {
    std::size_t showing = 0;
    for (const Triangle& t : faces) {
      const Vec3 centre = (at(t[0]) + at(t[1]) + at(t[2])) * (1.f / 3.f);
      const float want = 0.5f * depthPerBorderDistance * toBorder(centre);
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
  for (std::uint32_t v : cap.border)
    for (std::uint32_t u : surfaceNeighbours[v]) nb[v].insert(u);
  std::unordered_map<std::uint32_t, int> column;
  for (const auto& [v, n] : nb)
    if (v >= firstNew) column.emplace(v, static_cast<int>(column.size()));
  const int free = static_cast<int>(column.size());
  if (free == 0) return true;
  std::vector<std::uint32_t> rows(cap.border);
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
  // The part's own quadric if (nearly) hidden, else halfway unless exposed:
  // then flatter (a thin neighbour), then sunk under the membrane, deeper
  // towards its middle (an island) -- the first nearly hidden, else the least exposed.
  const NearestPoints border = borderIndex(cap, vertices);
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
  double nearlyHidden = 0;  // a share of the vertices' distances from the border
  for (const auto& [v, c] : column) {
    toBorder[static_cast<std::size_t>(c)] = border.distance(at(flat, v));
    nearlyHidden += kNearlyHidden * toBorder[static_cast<std::size_t>(c)];
  }
  struct Shape {
    double bulge, sink;
  };
  // unchecked: halfway; checked: the thin plate first (the deepest that hides)
  static constexpr Shape kShapes[] = {{1.0, 0},        {0.75, 0},       {kBulge, 0},
                                      {kBulge / 2, 0}, {kBulge / 5, 0}, {0, 0},
                                      {0, 0.15},       {0, 0.3},        {0, 0.6}};
  std::vector<Vec3> inner(static_cast<std::size_t>(free));
  std::vector<float> innerToBorder(static_cast<std::size_t>(free));
  Eigen::MatrixXd chosen = flat;
  double fewest = check && !cap.tube ? onPartQuadric(cap.border, vertices, surfaceNeighbours,
                                                     firstNew, border, capNormal, check, chosen)
                                     : INFINITY;
  if (fewest > nearlyHidden) fewest = INFINITY, chosen.resize(0, 0);
  for (const Shape& shape : kShapes) {
    if (&shape == kShapes && fewest <= nearlyHidden) break;  // on the quadric
    if (!check && shape.bulge > kBulge) continue;
    // a tube is the membrane moved in: the surface it leaves from (the face
    // around a bore) goes the other way, and it has no one side to sink to
    if (cap.tube && (shape.sink > 0 || shape.bulge > 0)) continue;
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
    if (exposed <= nearlyHidden) break;
  }
  if (fewest > 0 && fewest != INFINITY && inside)
    followInside(nb, column, cap.faces, border, check, inside, fewest, chosen, vertices,
                 cap.tube ? kTubeDepthPerBorderDistance : kDepthPerBorderDistance);
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

// Arc-length parameters of a closed loop (0 at its first vertex, below 1)
// and its perimeter.
double loopParameters(const std::vector<std::uint32_t>& loop, const std::vector<Vec3>& vertices,
                      std::vector<double>& u) {
  u.assign(loop.size(), 0.0);
  double perimeter = 0;
  for (std::size_t i = 0; i < loop.size(); ++i) {
    u[i] = perimeter;
    perimeter += length(vertices[loop[(i + 1) % loop.size()]] - vertices[loop[i]]);
  }
  if (perimeter > 0)
    for (double& x : u) x /= perimeter;
  return perimeter;
}

// The point at parameter t (0..1) along a loop with parameters u.
Vec3 pointAlong(const std::vector<std::uint32_t>& loop, const std::vector<double>& u,
                const std::vector<Vec3>& vertices, double t) {
  t -= std::floor(t);
  const std::size_t i =
      static_cast<std::size_t>(std::upper_bound(u.begin(), u.end(), t) - u.begin()) - 1;
  const double next = i + 1 < u.size() ? u[i + 1] : 1.0;
  const double w = next > u[i] ? (t - u[i]) / (next - u[i]) : 0.0;
  const Vec3& a = vertices[loop[i]];
  const Vec3& b = vertices[loop[(i + 1) % loop.size()]];
  return a + (b - a) * static_cast<float>(w);
}

// A polar cap over one border loop: rings shrinking to a centre, all at the
// loop's centroid until faired.
Cap discCap(const std::vector<std::uint32_t>& loop, std::vector<Vec3>& vertices) {
  Cap cap;
  std::vector<double> u;
  loopParameters(loop, vertices, u);
  const int m = static_cast<int>(loop.size());
  // rings (about one per 2 pi border vertices, at least 3, so a small cap
  // can bend to follow a curved neighbour from inside, or dive under the
  // rim of a recess)
  const int ringCount = std::clamp(static_cast<int>(std::lround(m / (2.0 * M_PI))), 3, 8);
  Vec3 centroid{0, 0, 0};
  for (std::uint32_t v : loop) centroid += vertices[v];
  centroid = centroid / static_cast<float>(m);
  cap.rings.push_back(loop);
  cap.border = loop;
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
  for (std::size_t r = 0; r + 1 < cap.rings.size(); ++r)
    strip(cap.rings[r], r == 0 ? u : uniform(cap.rings[r].size()), cap.rings[r + 1],
          uniform(cap.rings[r + 1].size()), cap.faces);
  const auto& last = cap.rings.back();
  for (std::size_t j = 0; j < last.size(); ++j)
    cap.faces.push_back({last[(j + 1) % last.size()], last[j], cap.centre});
  return cap;
}

// A tube from loop `a` to loop `b` (a part whose hidden side is a bore or a
// sleeve: two borders, open air between them): `b` is walked backwards from
// the vertex that lines it up best with `a`, so the tube uses both loops'
// edges the other way round; rings in between, straight from one loop to
// the other until faired.
Cap tubeCap(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b,
            std::vector<Vec3>& vertices) {
  Cap cap;
  cap.tube = true;
  std::vector<double> ua, ub;
  const double perimeterA = loopParameters(a, vertices, ua);
  std::vector<std::uint32_t> reversed(b.rbegin(), b.rend());
  const double perimeterB = loopParameters(reversed, vertices, ub);
  // the start of the reversed loop that lines up best (sampled)
  constexpr int kSamples = 32;
  std::vector<Vec3> onA(kSamples);
  for (int k = 0; k < kSamples; ++k)
    onA[static_cast<std::size_t>(k)] =
        pointAlong(a, ua, vertices, static_cast<double>(k) / kSamples);
  const std::size_t step = std::max<std::size_t>(1, reversed.size() / 256);
  double bestCost = INFINITY, bestShift = 0, gap = 0;
  for (std::size_t s = 0; s < reversed.size(); s += step) {
    double cost = 0, sum = 0;
    for (int k = 0; k < kSamples; ++k) {
      const Vec3 q = pointAlong(reversed, ub, vertices, ub[s] + static_cast<double>(k) / kSamples);
      const float d = length(q - onA[static_cast<std::size_t>(k)]);
      cost += static_cast<double>(d) * d;
      sum += d;
    }
    if (cost < bestCost) {
      bestCost = cost;
      bestShift = ub[s];
      gap = sum / kSamples;
    }
  }
  const auto shift =
      static_cast<std::size_t>(std::lower_bound(ub.begin(), ub.end(), bestShift) - ub.begin());
  std::rotate(reversed.begin(), reversed.begin() + static_cast<long>(shift), reversed.end());
  loopParameters(reversed, vertices, ub);
  const double edge = 0.5 * (perimeterA / static_cast<double>(a.size()) +
                             perimeterB / static_cast<double>(b.size()));
  const int between =
      std::clamp(static_cast<int>(std::lround(gap / std::max(edge, 1e-12))) - 1, 1, 8);
  cap.border = a;
  cap.border.insert(cap.border.end(), b.begin(), b.end());
  cap.rings.push_back(a);
  for (int r = 1; r <= between; ++r) {
    const double w = static_cast<double>(r) / (between + 1);
    const int size =
        std::max(3, static_cast<int>(std::lround(static_cast<double>(a.size()) * (1 - w) +
                                                 static_cast<double>(b.size()) * w)));
    std::vector<std::uint32_t> ring;
    for (int i = 0; i < size; ++i) {
      const double t = static_cast<double>(i) / size;
      const Vec3 p = pointAlong(a, ua, vertices, t) * static_cast<float>(1 - w) +
                     pointAlong(reversed, ub, vertices, t) * static_cast<float>(w);
      ring.push_back(static_cast<std::uint32_t>(vertices.size()));
      vertices.push_back(p);
    }
    cap.rings.push_back(std::move(ring));
  }
  cap.rings.push_back(reversed);
  for (std::size_t r = 0; r + 1 < cap.rings.size(); ++r)
    strip(cap.rings[r], r == 0 ? ua : uniform(cap.rings[r].size()), cap.rings[r + 1],
          r + 2 == cap.rings.size() ? ub : uniform(cap.rings[r + 1].size()), cap.faces);
  return cap;
}

// How exposed a faired cap is: the check over its new vertices and the
// centres of its faces (a face between hidden vertices can still span open
// air).
double capScore(const Cap& cap, const std::vector<Vec3>& vertices, std::uint32_t firstNew,
                const CapCheck& check) {
  const NearestPoints border = borderIndex(cap, vertices);
  std::vector<Vec3> points;
  std::unordered_set<std::uint32_t> seen;
  for (const Triangle& t : cap.faces) {
    for (std::uint32_t v : t)
      if (v >= firstNew && seen.insert(v).second) points.push_back(vertices[v]);
    points.push_back((vertices[t[0]] + vertices[t[1]] + vertices[t[2]]) * (1.f / 3.f));
  }
  std::vector<float> toBorder(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) toBorder[i] = border.distance(points[i]);
  return check(points, toBorder);
}

// A tube is taken when it shows less than this share of what the two caps
// it replaces show.
constexpr double kTubeShare = 0.25;
// Loops that try tubes: at least this many vertices, at most this many per part.
constexpr std::size_t kSmallestLoop = 12, kMostShowing = 24;

// Loops whose caps show are joined in pairs by tubes where a tube shows
// less than kTubeShare of the two caps: each loop (of at least
// kSmallestLoop vertices, the kMostShowing that show most) tries its nearest
// showing loops (by centroid, perimeters within 4x, centroids within 4x
// the sum of the loops' radii, open air halfway between their centres),
// the best gains first.
// Returns, per loop, the loop it is joined with (or -1).
std::vector<int> pairByTubes(const std::vector<std::vector<std::uint32_t>>& loops,
                             const std::vector<double>& discScore,
                             const std::vector<std::vector<std::uint32_t>>& neighbours,
                             std::uint32_t firstNew, std::vector<Vec3>& vertices,
                             const CapCheck& check, const CapInside& inside,
                             std::vector<Cap>& tubes) {
  constexpr std::size_t kTries = 2;
  const std::size_t n = loops.size();
  std::vector<Vec3> centroid(n, Vec3{0, 0, 0});
  std::vector<double> perimeter(n, 0);
  std::vector<double> u;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::uint32_t v : loops[i]) centroid[i] += vertices[v];
    centroid[i] = centroid[i] / static_cast<float>(loops[i].size());
    perimeter[i] = loopParameters(loops[i], vertices, u);
  }
  // a loop of a few vertices (a speck of another label) gets its cap; of
  // the others, the kMostShowing that show most try tubes
  std::vector<std::size_t> showing;
  for (std::size_t i = 0; i < n; ++i)
    if (discScore[i] > 0 && loops[i].size() >= kSmallestLoop) showing.push_back(i);
  if (showing.size() > kMostShowing) {
    std::partial_sort(showing.begin(), showing.begin() + static_cast<long>(kMostShowing),
                      showing.end(),
                      [&](std::size_t x, std::size_t y) { return discScore[x] > discScore[y]; });
    showing.resize(kMostShowing);
  }
  struct Trial {
    double gain;
    std::size_t a, b, tube;
  };
  std::vector<Trial> trials;
  std::set<std::pair<std::size_t, std::size_t>> tried;
  for (std::size_t i : showing) {
    std::vector<std::size_t> others;
    for (std::size_t j : showing)
      if (j != i && perimeter[j] < 4 * perimeter[i] && perimeter[i] < 4 * perimeter[j] &&
          length(centroid[j] - centroid[i]) < 4 * (perimeter[i] + perimeter[j]) / (2 * M_PI))
        others.push_back(j);
    const std::size_t keep = std::min(kTries, others.size());
    std::partial_sort(others.begin(), others.begin() + static_cast<long>(keep), others.end(),
                      [&](std::size_t x, std::size_t y) {
                        return length(centroid[x] - centroid[i]) <
                               length(centroid[y] - centroid[i]);
                      });
    for (std::size_t o = 0; o < keep; ++o) {
      const std::size_t j = others[o];
      if (!tried.insert(std::minmax(i, j)).second) continue;
      // a bore has open air between its rims; a bar cut at both ends has
      // its own inside there (a tube would hollow it)
      const Vec3 middle = (centroid[i] + centroid[j]) * 0.5f;
      if (!(check({middle}, {0.5f * length(centroid[j] - centroid[i])}) > 0)) continue;
      Cap tube = tubeCap(loops[i], loops[j], vertices);
      if (!fair(tube, neighbours, firstNew, vertices, check, inside)) continue;
      const double score = capScore(tube, vertices, firstNew, check);
      const double both = discScore[i] + discScore[j];
      if (score < kTubeShare * both) {
        trials.push_back({both - score, i, j, tubes.size()});
        tubes.push_back(std::move(tube));
      }
    }
  }
  std::sort(trials.begin(), trials.end(),
            [](const Trial& x, const Trial& y) { return x.gain > y.gain; });
  std::vector<int> partner(n, -1);
  for (const Trial& t : trials) {
    if (partner[t.a] >= 0 || partner[t.b] >= 0) continue;
    partner[t.a] = static_cast<int>(t.tube);
    partner[t.b] = static_cast<int>(t.tube);
  }
  return partner;
}

// How deep a patch cap's inner vertex is moved in, per unit of its distance
// from the border (the check wants 0.15 of it; more, so the faces between
// the moved vertices stay in too: 0.3 left the bust PSB 309's eye 2.2 %
// covered, 0.5 1.6 %); along the surface's normal, where the shape is
// found that deep there, deeper (with faces refined, 0.5 left the bearing
// PSB 357's socket floor 1.0 % covered, 0.8 0.9 %).
constexpr float kPatchDepthPerBorderDistance = 0.5f, kPatchDepthAlongNormal = 0.8f;
// A patch is tried when it is at most this many times the disc's area.
constexpr double kMostPatchArea = 4.0;

double capArea(const Cap& cap, const std::vector<Vec3>& vertices) {
  double area = 0;
  for (const Triangle& t : cap.faces)
    area += 0.5 * length(cross(vertices[t[1]] - vertices[t[0]], vertices[t[2]] - vertices[t[0]]));
  return area;
}

// Replaces the faired disc `disc` by the input's surface beyond its loop
// moved in (see CapPatch) unless the check finds that more exposed (the
// check looks at vertices and face centres only, so a disc it finds hidden
// may still cross the air of a socket between them); `score`
// is the disc's figure (computed here when `scored` is false) and becomes
// the cap's.
void patchInstead(Cap& disc, double& score, bool scored, std::vector<Vec3>& vertices,
                  std::uint32_t firstNew, const CapCheck& check, const CapInside& inside,
                  const CapPatch& patch, const CapDistance& distance) {
  const std::vector<std::uint32_t>& loop = disc.rings.front();
  std::vector<Vec3> positions;
  positions.reserve(loop.size());
  for (std::uint32_t v : loop) positions.push_back(vertices[v]);
  const CapPatchSurface beyond = patch(positions, kMostPatchArea * capArea(disc, vertices));
  if (beyond.faces.empty() || beyond.vertices.size() <= loop.size()) return;
  if (!scored) score = capScore(disc, vertices, firstNew, check);
  const std::size_t before = vertices.size();
  Cap cap;
  cap.rings.push_back(loop);
  cap.border = loop;
  const NearestPoints border = borderIndex(cap, vertices);
  std::vector<Vec3> normals(beyond.vertices.size(), Vec3{0, 0, 0});
  for (const Triangle& t : beyond.faces) {
    const Vec3 n = cross(beyond.vertices[t[1]] - beyond.vertices[t[0]],
                         beyond.vertices[t[2]] - beyond.vertices[t[0]]);
    for (std::uint32_t v : t) normals[v] += n;
  }
  std::vector<std::uint32_t> index(beyond.vertices.size());
  for (std::size_t i = 0; i < beyond.vertices.size(); ++i) {
    if (i < loop.size()) {
      index[i] = loop[i];
      continue;
    }
    const Vec3& p = beyond.vertices[i];
    index[i] = static_cast<std::uint32_t>(vertices.size());
    // along the surface's own normal there first: at a crease (a socket's
    // floor meeting its wall) the nearest face may be either side, and a
    // move along the wall's normal alone stays level with the floor
    const float toBorder = border.distance(p);
    Vec3 moved = p;
    if (distance && length(normals[i]) > 0) {
      const float want = kPatchDepthAlongNormal * toBorder;
      const Vec3 along = p - normalized(normals[i]) * want;
      if (distance(along, 2 * want) <= -0.5f * want) moved = along;
    }
    // (shallower where the shape is too thin for that: inside() leaves it)
    for (float depth = kPatchDepthPerBorderDistance * toBorder, tries = 0; moved == p && tries < 3;
         depth *= 0.4f, ++tries)
      moved = inside(p, depth);
    vertices.push_back(moved);
  }
  for (const Triangle& t : beyond.faces)
    cap.faces.push_back({index[t[0]], index[t[1]], index[t[2]]});
  const double patchScore = capScore(cap, vertices, firstNew, check);
  if (patchScore <= score) {
    score = patchScore;
    disc = std::move(cap);
  } else {
    vertices.resize(before);
  }
}

// A loop that passes one position twice (the two copies of a vertex where
// two islands of other parts touched: a figure of eight) is closed as two
// loops, each with the copies' zero-length edge, which the two caps share
// (the other way round each): one disc over the figure of eight would span
// both islands and the gap between them.
void splitAtPinches(std::vector<std::uint32_t> loop, const std::vector<Vec3>& vertices,
                    std::vector<std::vector<std::uint32_t>>& loops) {
  const std::size_t m = loop.size();
  std::unordered_map<std::uint64_t, std::size_t> at;
  for (std::size_t j = 0; j < m; ++j) {
    const Vec3& p = vertices[loop[j]];
    std::uint64_t key = 1469598103934665603ull;
    for (const float c : {p.x, p.y, p.z}) {
      std::uint32_t b;
      std::memcpy(&b, &c, 4);
      key = (key ^ b) * 1099511628211ull;
    }
    auto [it, added] = at.try_emplace(key, j);
    const std::size_t i = it->second;
    if (added || !(vertices[loop[i]] == p) || j - i < 2 || m - (j - i) < 2) continue;
    std::vector<std::uint32_t> first(loop.begin() + static_cast<long>(i),
                                     loop.begin() + static_cast<long>(j) + 1);
    std::vector<std::uint32_t> second(loop.begin() + static_cast<long>(j), loop.end());
    second.insert(second.end(), loop.begin(), loop.begin() + static_cast<long>(i) + 1);
    splitAtPinches(std::move(first), vertices, loops);
    splitAtPinches(std::move(second), vertices, loops);
    return;
  }
  loops.push_back(std::move(loop));
}

}  // namespace

bool closeWithCaps(Mesh& result, std::size_t* capFaces, const CapCheck& check,
                   const CapInside& inside, const CapPatch& patch, const CapDistance& distance) {
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
  std::vector<char> seen(n, 0);
  const auto firstNew = static_cast<std::uint32_t>(n);
  std::vector<std::vector<std::uint32_t>> loops;
  for (std::uint64_t start = 0; start < n; ++start) {
    if (borderNext[start] == UINT32_MAX || seen[start]) continue;
    std::vector<std::uint32_t> loop;
    for (auto v = static_cast<std::uint32_t>(start); !seen[v]; v = borderNext[v]) {
      seen[v] = 1;
      loop.push_back(v);
      if (borderNext[v] == UINT32_MAX) return false;
    }
    if (loop.front() != borderNext[loop.back()] || loop.size() < 3) return false;
    std::vector<double> u;
    if (!(loopParameters(loop, vertices, u) > 0)) return false;
    splitAtPinches(std::move(loop), vertices, loops);
  }
  std::vector<Cap> discs;
  std::vector<double> discScore(loops.size(), 0);
  for (std::size_t i = 0; i < loops.size(); ++i) {
    discs.push_back(discCap(loops[i], vertices));
    if (!fair(discs.back(), neighbours, firstNew, vertices, check, inside)) return false;
    // (faces and all: a cap whose vertices hide may still cross its neighbour)
    if (check && loops.size() > 1 && loops[i].size() >= kSmallestLoop)
      discScore[i] = capScore(discs.back(), vertices, firstNew, check);
    if (check && inside && patch && loops[i].size() >= kSmallestLoop)
      patchInstead(discs.back(), discScore[i], loops.size() > 1, vertices, firstNew, check, inside,
                   patch, distance);
  }
  std::vector<Cap> tubes;
  std::vector<int> tubeOf(loops.size(), -1);
  if (check && loops.size() > 1)
    tubeOf = pairByTubes(loops, discScore, neighbours, firstNew, vertices, check, inside, tubes);
  // with tubes where they were taken, else (or when that is not a closed
  // 2-manifold) every loop with its cap
  std::vector<char> discRefined(loops.size(), 0);
  for (const bool withTubes : {true, false}) {
    if (withTubes && tubes.empty()) continue;
    std::vector<Triangle> added;
    std::vector<char> tubeUsed(tubes.size(), 0);
    for (std::size_t i = 0; i < loops.size(); ++i) {
      const int t = withTubes ? tubeOf[i] : -1;
      if (t < 0) {
        if (check && inside && !discRefined[i]) {
          discRefined[i] = 1;
          refineShowingFaces(discs[i].faces, discs[i].border, vertices, firstNew, check, inside,
                             distance);
        }
        added.insert(added.end(), discs[i].faces.begin(), discs[i].faces.end());
      } else if (!tubeUsed[static_cast<std::size_t>(t)]) {
        tubeUsed[static_cast<std::size_t>(t)] = 1;
        Cap& tube = tubes[static_cast<std::size_t>(t)];
        if (check && inside)
          refineShowingFaces(tube.faces, tube.border, vertices, firstNew, check, inside, distance);
        added.insert(added.end(), tube.faces.begin(), tube.faces.end());
      }
    }
    Mesh closed;
    closed.vertices = vertices;
    closed.faces = surface.faces;
    closed.faces.insert(closed.faces.end(), added.begin(), added.end());
    closed.dropUnusedVertices(firstNew);  // caps and tubes tried and not taken
    if (!isClosedManifold(closed)) continue;
    if (capFaces) *capFaces = added.size();
    // a vertex split where the part's border touched itself keeps one
    // position for both copies: welded by position elsewhere it would pinch
    closed.separateCoincidentVertices();
    result = std::move(closed);
    return true;
  }
  return false;
}

}  // namespace h3d::detail
