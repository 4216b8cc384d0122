// Parts made from the input's own triangles: caps that close a part where a
// neighbour cut it (closed, hidden inside the neighbour, shaped like the
// part), and the triangle budget (simplification keeps a closed 2-manifold
// without self-intersections).
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "cap_patch.h"
#include "cap_quadric.h"
#include "h3dpart/marching.h"
#include "h3dpart/simplify.h"
#include "part_caps.h"
#include "shape_fixtures.h"

using namespace h3d;

namespace {

Mesh marched(const fixtures::Sdf& f, int n) {
  detail::ScalarGrid g;
  g.nx = g.ny = g.nz = n;
  g.step = 2.f / static_cast<float>(n - 1);
  g.origin = {-1, -1, -1};
  g.values.resize(static_cast<std::size_t>(n) * n * n);
  for (int k = 0; k < n; ++k)
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < n; ++i) g.values[g.index(i, j, k)] = f(g.position(i, j, k));
  g.closeBorder(1.f);
  return detail::marchTetrahedra(g);
}

long euler(const Mesh& m) {
  std::set<std::pair<std::uint32_t, std::uint32_t>> edges;
  for (const auto& t : m.faces)
    for (int e = 0; e < 3; ++e) edges.insert(std::minmax(t[e], t[(e + 1) % 3]));
  std::set<std::uint32_t> used;
  for (const auto& t : m.faces) used.insert(t.begin(), t.end());
  return static_cast<long>(used.size()) - static_cast<long>(edges.size()) +
         static_cast<long>(m.faces.size());
}

// Segment pq against triangle abc (Moller-Trumbore), strictly inside both.
bool segmentHitsTriangle(const Vec3& p, const Vec3& q, const Vec3& a, const Vec3& b,
                         const Vec3& c) {
  const Vec3 d = q - p, e1 = b - a, e2 = c - a;
  const Vec3 h = cross(d, e2);
  const float det = dot(e1, h);
  if (std::fabs(det) < 1e-12f) return false;
  const float inv = 1.f / det;
  const Vec3 s = p - a;
  const float u = dot(s, h) * inv;
  if (u <= 1e-6f || u >= 1 - 1e-6f) return false;
  const Vec3 qv = cross(s, e1);
  const float v = dot(d, qv) * inv;
  if (v <= 1e-6f || u + v >= 1 - 1e-6f) return false;
  const float t = dot(e2, qv) * inv;
  return t > 1e-6f && t < 1 - 1e-6f;
}

// Pairs of triangles that share no vertex and cross each other (brute force).
std::size_t selfIntersections(const Mesh& m) {
  std::vector<Box3> boxes(m.faces.size());
  for (std::size_t f = 0; f < m.faces.size(); ++f)
    for (auto v : m.faces[f]) boxes[f].add(m.vertices[v]);
  std::size_t hits = 0;
  for (std::size_t f = 0; f < m.faces.size(); ++f)
    for (std::size_t g = f + 1; g < m.faces.size(); ++g) {
      const auto &A = m.faces[f], &B = m.faces[g];
      bool shared = false;
      for (auto x : A)
        for (auto y : B) shared = shared || x == y;
      if (shared) continue;
      bool apart = false;
      for (int a = 0; a < 3; ++a)
        apart = apart || boxes[f].hi[a] < boxes[g].lo[a] || boxes[g].hi[a] < boxes[f].lo[a];
      if (apart) continue;
      bool cross = false;
      for (int e = 0; e < 3 && !cross; ++e) {
        cross = segmentHitsTriangle(m.vertices[A[e]], m.vertices[A[(e + 1) % 3]], m.vertices[B[0]],
                                    m.vertices[B[1]], m.vertices[B[2]]) ||
                segmentHitsTriangle(m.vertices[B[e]], m.vertices[B[(e + 1) % 3]], m.vertices[A[0]],
                                    m.vertices[A[1]], m.vertices[A[2]]);
      }
      hits += cross ? 1 : 0;
    }
  return hits;
}

// A check and an inside move from a signed distance (what the generator
// does with the whole input's surface): a cap vertex shows unless it is
// inside by min(0.15 x its distance from the border, `enough`).
detail::CapCheck sdfCheck(const fixtures::Sdf& f, float enough) {
  return [f, enough](const std::vector<Vec3>& inner, const std::vector<float>& toBorder) {
    double exposed = 0;
    for (std::size_t i = 0; i < inner.size(); ++i) {
      const float depth = std::min(0.15f * toBorder[i], enough);
      const float d = f(inner[i]);
      if (d > -depth) exposed += static_cast<double>(d + depth);
    }
    return exposed;
  };
}

detail::CapInside sdfInside(const fixtures::Sdf& f) {
  return [f](const Vec3& p, float depth) {
    constexpr float h = 1e-3f;
    const Vec3 g{f(p + Vec3{h, 0, 0}) - f(p - Vec3{h, 0, 0}),
                 f(p + Vec3{0, h, 0}) - f(p - Vec3{0, h, 0}),
                 f(p + Vec3{0, 0, h}) - f(p - Vec3{0, 0, h})};
    const float d = f(p);
    if (d <= -depth || !(length(g) > 0)) return p;
    const Vec3 q = p - normalized(g) * (d + depth);
    return f(q) < d ? q : p;
  };
}

// The border of a surface with one border loop, in the direction of its
// border half-edges.
std::vector<Vec3> borderLoop(const Mesh& m) {
  std::set<std::pair<std::uint32_t, std::uint32_t>> halfEdges;
  for (const auto& t : m.faces)
    for (int e = 0; e < 3; ++e) halfEdges.insert({t[e], t[(e + 1) % 3]});
  std::map<std::uint32_t, std::uint32_t> next;
  for (const auto& [a, b] : halfEdges)
    if (!halfEdges.count({b, a})) next[a] = b;
  std::vector<Vec3> out;
  if (next.empty()) return out;
  std::uint32_t v = next.begin()->first;
  do {
    out.push_back(m.vertices[v]);
    v = next[v];
  } while (v != next.begin()->first && out.size() <= next.size());
  return out;
}

}  // namespace

class TestPartSurface : public QObject {
  Q_OBJECT
  fixtures::Shape table_;

 private Q_SLOTS:
  void initTestCase() {
    table_ = fixtures::fuse(fixtures::table(), 0.02f);
    QVERIFY(detail::isClosedManifold(table_.mesh));
  }

  void closedAfterSimplification_data() {
    QTest::addColumn<int>("shape");
    QTest::addColumn<int>("budget");
    for (int budget : {1500, 400, 60}) {
      QTest::newRow(qPrintable(QString("sphere %1").arg(budget))) << 0 << budget;
      QTest::newRow(qPrintable(QString("torus %1").arg(budget))) << 1 << budget;
      QTest::newRow(qPrintable(QString("table %1").arg(budget))) << 2 << budget;
    }
  }
  void closedAfterSimplification() {
    QFETCH(int, shape);
    QFETCH(int, budget);
    Mesh m = shape == 0   ? marched(fixtures::sphere({0, 0, 0}, 0.6f), 40)
             : shape == 1 ? marched(fixtures::torusY({0, 0, 0}, 0.5f, 0.2f), 48)
                          : table_.mesh;
    QVERIFY(detail::isClosedManifold(m));
    const long before = euler(m);
    const std::size_t start = m.faces.size();
    QVERIFY(start > static_cast<std::size_t>(budget) * 3);
    const std::size_t got = detail::simplifyToBudget(m, static_cast<std::size_t>(budget));
    QCOMPARE(got, m.faces.size());
    QVERIFY2(got <= static_cast<std::size_t>(budget),
             qPrintable(QString("%1 triangles for a budget of %2").arg(got).arg(budget)));
    QVERIFY(got > static_cast<std::size_t>(budget) / 2);  // it did not collapse the shape away
    QVERIFY(detail::isClosedManifold(m));
    QCOMPARE(euler(m), before);  // same topology (genus)
    QCOMPARE(selfIntersections(m), std::size_t(0));
    if (shape == 0) {  // still a sphere of radius 0.6
      for (const Vec3& v : m.vertices) QVERIFY(std::fabs(length(v) - 0.6f) < 0.05f);
    }
  }

  void budgetAboveTheMeshChangesNothing() {
    Mesh m = marched(fixtures::sphere({0, 0, 0}, 0.6f), 20);
    const Mesh copy = m;
    QCOMPARE(detail::simplifyToBudget(m, m.faces.size() + 10), copy.faces.size());
    QVERIFY(m.vertices == copy.vertices);
  }

  // A leg of the fused table, cut where it meets the top: its own triangles
  // are kept and the cut is closed by a cap that domes up into the top (the
  // neighbour), not a flat lid and not out of the shape.
  void capOnALegCutByTheTop() {
    const Mesh leg = detail::facesWithLabel(table_.mesh, table_.labels, 1);
    Mesh closed = leg;
    std::size_t capFaces = 0;
    QVERIFY(!detail::isClosedManifold(leg));
    QVERIFY(detail::closeWithCaps(closed, &capFaces));
    QVERIFY(detail::isClosedManifold(closed));
    QVERIFY(capFaces > 0);
    QCOMPARE(closed.faces.size(), leg.faces.size() + capFaces);
    for (std::size_t f = 0; f < leg.faces.size(); ++f) QVERIFY(closed.faces[f] == leg.faces[f]);
    // the border: the highest original vertices (where the leg met the top)
    float borderZ = -1e9f;
    for (const Vec3& v : leg.vertices) borderZ = std::max(borderZ, v.z);
    const fixtures::Sdf top = fixtures::table().front();
    float apex = -1e9f;
    for (std::size_t v = leg.vertices.size(); v < closed.vertices.size(); ++v) {
      const Vec3& p = closed.vertices[v];
      apex = std::max(apex, p.z);
      QVERIFY2(top(p) < 0.01f, "a cap vertex outside the table top");  // hidden in the neighbour
      QVERIFY(std::hypot(p.x + 0.6f, p.y + 0.32f) < 0.09f);            // over the leg
    }
    QVERIFY2(apex > borderZ, qPrintable(QString("apex %1, border %2").arg(apex).arg(borderZ)));
  }

  // A tube cut across its smooth side (the lower half of a capsule, the upper
  // half its neighbour): the cap domes up into the neighbour, inside the
  // shape, instead of a flat lid at the cut.
  void capOnATubeCutAcrossItsSide() {
    const fixtures::Sdf capsule = fixtures::capsule({0, 0, -0.5f}, {0, 0, 0.5f}, 0.3f);
    const Mesh whole = marched(capsule, 48);
    std::vector<int> labels(whole.faces.size());
    for (std::size_t f = 0; f < whole.faces.size(); ++f)
      labels[f] = whole.faceCentroid(f).z < 0.f ? 0 : 1;
    Mesh lower = detail::facesWithLabel(whole, labels, 0);
    float borderZ = -1e9f;
    for (const Vec3& v : lower.vertices) borderZ = std::max(borderZ, v.z);
    const std::size_t own = lower.vertices.size();
    std::size_t capFaces = 0;
    QVERIFY(detail::closeWithCaps(lower, &capFaces));
    QVERIFY(detail::isClosedManifold(lower));
    QVERIFY(capFaces > 0);
    float apex = -1e9f;
    for (std::size_t v = own; v < lower.vertices.size(); ++v) {
      const Vec3& p = lower.vertices[v];
      apex = std::max(apex, p.z);
      QVERIFY2(capsule(p) < 0.f, "a cap vertex outside the shape");
      QVERIFY(p.z > borderZ - 0.05f);
    }
    // a dome (about a seventh of the radius high: it meets the side at an angle)
    QVERIFY2(apex > borderZ + 0.03f && apex < borderZ + 0.3f,
             qPrintable(QString("apex %1, border %2").arg(apex).arg(borderZ)));
  }

  // A slab whose top face has another part in its middle (an island in a
  // flat surface): the membrane over the hole would lie exactly on the
  // island's visible surface; with a check that counts cap vertices not
  // inside the shape, the cap sinks under it.
  void capSinksUnderAnIsland() {
    const fixtures::Sdf slab = fixtures::box({0, 0, 0}, {0.6f, 0.6f, 0.2f});
    const Mesh whole = marched(slab, 41);
    std::vector<int> labels(whole.faces.size());
    for (std::size_t f = 0; f < whole.faces.size(); ++f) {
      const Vec3 c = whole.faceCentroid(f);
      labels[f] = c.z > 0.19f && std::fabs(c.x) < 0.3f && std::fabs(c.y) < 0.3f ? 1 : 0;
    }
    const Mesh body = detail::facesWithLabel(whole, labels, 0);
    Mesh free = body;
    QVERIFY(detail::closeWithCaps(free));
    // the cap's centre is its last vertex
    QVERIFY2(slab(free.vertices.back()) > -0.01f,
             qPrintable(QString("unchecked %1").arg(slab(free.vertices.back()))));
    std::size_t calls = 0;
    const detail::CapCheck check = [&](const std::vector<Vec3>& inner,
                                       const std::vector<float>& toBorder) {
      ++calls;
      std::size_t out = 0;
      for (std::size_t i = 0; i < inner.size(); ++i)
        out += slab(inner[i]) > -0.15f * toBorder[i] ? 1 : 0;
      return out;
    };
    Mesh checked = body;
    QVERIFY(detail::closeWithCaps(checked, nullptr, check));
    QVERIFY(calls > 1);  // the first cap was refused
    QVERIFY(detail::isClosedManifold(checked));
    QVERIFY2(slab(checked.vertices.back()) < -0.04f,
             qPrintable(QString("checked %1").arg(slab(checked.vertices.back()))));
    for (std::size_t v = body.vertices.size(); v < checked.vertices.size(); ++v)
      QVERIFY(slab(checked.vertices[v]) < 0.001f);  // nowhere out of the slab
  }

  // The table top loses four discs where the legs were: four caps, each
  // following the top's flat underside (the part really is flat there).
  void capsOnHolesFollowAFlatPart() {
    Mesh topPart = detail::facesWithLabel(table_.mesh, table_.labels, 0);
    const std::size_t own = topPart.vertices.size();
    std::size_t capFaces = 0;
    QVERIFY(detail::closeWithCaps(topPart, &capFaces));
    QVERIFY(detail::isClosedManifold(topPart));
    for (std::size_t v = own; v < topPart.vertices.size(); ++v)
      QVERIFY2(std::fabs(topPart.vertices[v].z - 0.7f) < 0.02f,
               qPrintable(QString("cap vertex at z %1").arg(topPart.vertices[v].z)));
  }

  // Two triangles touching at one vertex (a border that touches itself):
  // the vertex is split, one copy per fan, and each side gets its own cap;
  // the copies are moved apart a hair (1 % into their own fans), so a weld
  // by position does not pinch them again.
  void pinchedBorderIsSplit() {
    Mesh bowtie;
    bowtie.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {-1, 0, 0}, {0, -1, 0}};
    bowtie.faces = {{0, 1, 2}, {0, 3, 4}};
    std::size_t capFaces = 0;
    QVERIFY(detail::closeWithCaps(bowtie, &capFaces));
    QVERIFY(detail::isClosedManifold(bowtie));
    QVERIFY(capFaces >= 2);
    QCOMPARE(bowtie.faces[0][0] == bowtie.faces[1][0], false);
    const Vec3 a = bowtie.vertices[bowtie.faces[0][0]], b = bowtie.vertices[bowtie.faces[1][0]];
    QVERIFY(!(a == b));
    QVERIFY2(length(a - b) < 0.05f, qPrintable(QString::number(length(a - b))));
    QVERIFY(a.x > 0 && b.x < 0);  // each copy into its own fan
  }

  void refusesAnUnorientedSurface() {
    Mesh twice;  // a triangle used twice the same way
    twice.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
    twice.faces = {{0, 1, 2}, {0, 1, 2}};
    const Mesh copy = twice;
    QVERIFY(!detail::closeWithCaps(twice));
    QVERIFY(twice.faces == copy.faces && twice.vertices == copy.vertices);
    Mesh flipped;  // two faces sharing an edge the same way round
    flipped.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {1, 1, 0}};
    flipped.faces = {{0, 1, 2}, {0, 1, 3}};
    QVERIFY(!detail::closeWithCaps(flipped));
  }

  // A block with a bore whose wall is a part of its own: the block's two
  // borders are the bore's rims, and caps over them would span the open
  // bore. With the check, one tube joins the two rims instead, behind the
  // bore wall inside the block (no vertex out in the bore, none off the
  // block), closed; without it, each rim gets its own cap across the bore.
  void tubeJoinsTheRimsOfABore() {
    const fixtures::Sdf outer = fixtures::box({0, 0, 0}, {0.5f, 0.5f, 0.2f});
    const fixtures::Sdf bore = fixtures::cylinderZ({0, 0, 0}, 0.2f, 0.5f);
    const fixtures::Sdf block = [=](const Vec3& p) { return std::max(outer(p), -bore(p)); };
    const Mesh whole = marched(block, 21);
    QVERIFY(detail::isClosedManifold(whole));
    std::vector<int> labels(whole.faces.size());
    for (std::size_t f = 0; f < whole.faces.size(); ++f) {
      const Vec3 c = whole.faceCentroid(f);
      labels[f] = std::hypot(c.x, c.y) < 0.23f && std::fabs(c.z) < 0.17f ? 1 : 0;
    }
    const Mesh body = detail::facesWithLabel(whole, labels, 0);
    const auto own = static_cast<std::uint32_t>(body.vertices.size());

    Mesh discs = body;
    QVERIFY(detail::closeWithCaps(discs));
    float nearestAxis = 1e9f;
    for (std::size_t v = own; v < discs.vertices.size(); ++v)
      nearestAxis = std::min(nearestAxis, std::hypot(discs.vertices[v].x, discs.vertices[v].y));
    QVERIFY2(nearestAxis < 0.05f, qPrintable(QString("unchecked caps reach %1").arg(nearestAxis)));

    Mesh tube = body;
    std::size_t capFaces = 0;
    QVERIFY(detail::closeWithCaps(tube, &capFaces, sdfCheck(block, 0.02f), sdfInside(block)));
    QVERIFY(detail::isClosedManifold(tube));
    QVERIFY(capFaces > 0);
    for (std::size_t f = 0; f < body.faces.size(); ++f) QVERIFY(tube.faces[f] == body.faces[f]);
    float lowest = 1e9f, highest = -1e9f;
    for (std::size_t v = own; v < tube.vertices.size(); ++v) {
      const Vec3& p = tube.vertices[v];
      QVERIFY2(
          std::hypot(p.x, p.y) > 0.19f,
          qPrintable(
              QString("a cap vertex in the bore, %1 from its axis").arg(std::hypot(p.x, p.y))));
      QVERIFY2(block(p) < 0.005f,
               qPrintable(QString("a cap vertex off the block, %1").arg(block(p))));
      lowest = std::min(lowest, p.z);
      highest = std::max(highest, p.z);
    }
    QVERIFY2(
        highest - lowest > 0.25f,
        qPrintable(QString("the cap spans z %1..%2, not rim to rim").arg(lowest).arg(highest)));
    // one piece (two caps would be two), no face across the bore
    std::vector<int> piece(tube.vertices.size(), -1);
    int pieces = 0;
    for (std::size_t f = body.faces.size(); f < tube.faces.size(); ++f) {
      const Triangle& t = tube.faces[f];
      const Vec3 c =
          (tube.vertices[t[0]] + tube.vertices[t[1]] + tube.vertices[t[2]]) * (1.f / 3.f);
      QVERIFY2(std::hypot(c.x, c.y) > 0.19f, "a cap face across the bore");
      int id = -1;
      for (auto v : t)
        if (piece[v] >= 0) id = piece[v];
      if (id < 0) id = pieces++;
      for (auto v : t) {
        if (piece[v] >= 0 && piece[v] != id) {
          const int old = piece[v];
          for (int& q : piece)
            if (q == old) q = id;
        }
        piece[v] = id;
      }
    }
    std::set<int> distinct;
    for (std::size_t v = own; v < tube.vertices.size(); ++v) distinct.insert(piece[v]);
    QCOMPARE(distinct.size(), std::size_t(1));
    // every cap face is used by the surface: no stray vertices left
    std::vector<char> used(tube.vertices.size(), 0);
    for (const Triangle& t : tube.faces)
      for (auto v : t) used[v] = 1;
    QVERIFY(std::all_of(used.begin(), used.end(), [](char u) { return u != 0; }));
  }

  // A slab with 36 islands on its top (each a part of its own): the slab
  // part has 36 border loops, every one's cap tried and checked, and tubes
  // tried between neighbours; it closes (the test's time-out is the hang
  // guard) and no cap comes out of the slab.
  void manyBorderLoopsClose() {
    const fixtures::Sdf slab = fixtures::box({0, 0, 0}, {0.8f, 0.8f, 0.15f});
    const Mesh whole = marched(slab, 96);
    std::vector<int> labels(whole.faces.size(), 0);
    for (std::size_t f = 0; f < whole.faces.size(); ++f) {
      const Vec3 c = whole.faceCentroid(f);
      if (c.z < 0.14f) continue;
      const float cx = (c.x + 0.75f) / 0.25f, cy = (c.y + 0.75f) / 0.25f;
      const float fx = cx - std::round(cx), fy = cy - std::round(cy);
      if (cx > -0.5f && cx < 6.5f && cy > -0.5f && cy < 6.5f && std::fabs(fx) < 0.3f &&
          std::fabs(fy) < 0.3f && std::round(cx) <= 5 && std::round(cy) <= 5)
        labels[f] = 1;
    }
    const Mesh body = detail::facesWithLabel(whole, labels, 0);
    Mesh closed = body;
    std::size_t capFaces = 0;
    QVERIFY(detail::closeWithCaps(closed, &capFaces, sdfCheck(slab, 0.02f), sdfInside(slab)));
    QVERIFY(detail::isClosedManifold(closed));
    QVERIFY(capFaces >= 36);
    for (std::size_t v = body.vertices.size(); v < closed.vertices.size(); ++v)
      QVERIFY(slab(closed.vertices[v]) < 0.002f);
  }

  // A slab with a round socket in its top whose surface is a part of its
  // own (an eye in a head): the finder returns the socket's faces beyond
  // the slab's loop (a disc, the loop's vertices first, nothing of the slab),
  // nothing for the socket's own loop (beyond it lies the whole slab, larger
  // than asked for); the slab closed with that surface moved in behind
  // itself is a closed 2-manifold with its own triangles kept, a cap of the
  // socket's resolution, and every cap vertex inside the shape.
  void capFollowsASocketFromInside() {
    const fixtures::Sdf slab = fixtures::box({0, 0, 0}, {0.6f, 0.6f, 0.2f});
    const fixtures::Sdf ball = fixtures::sphere({0, 0, 0.22f}, 0.3f);
    const fixtures::Sdf block = [=](const Vec3& p) { return std::max(slab(p), -ball(p)); };
    const Mesh whole = marched(block, 31);
    QVERIFY(detail::isClosedManifold(whole));
    std::vector<int> labels(whole.faces.size());
    std::size_t socketFaces = 0;
    for (std::size_t f = 0; f < whole.faces.size(); ++f) {
      const Vec3 c = whole.faceCentroid(f);
      labels[f] = std::hypot(c.x, c.y) < 0.3f && c.z > -0.15f && c.z < 0.19f ? 1 : 0;
      socketFaces += static_cast<std::size_t>(labels[f]);
    }
    const Mesh body = detail::facesWithLabel(whole, labels, 0);
    const std::vector<Vec3> loop = borderLoop(body);
    QVERIFY(loop.size() >= 12);
    const detail::PatchFinder finder(whole, labels);
    const detail::CapPatchSurface beyond = finder.find(loop, 0, 1e9);
    QCOMPARE(beyond.faces.size(), socketFaces);
    for (std::size_t i = 0; i < loop.size(); ++i) QVERIFY(beyond.vertices[i] == loop[i]);
    for (const Vec3& v : beyond.vertices) QVERIFY(std::fabs(ball(v)) < 0.02f);
    const std::vector<Vec3> reversed(loop.rbegin(), loop.rend());
    QVERIFY(finder.find(reversed, 1, 1.0).faces.empty());     // the slab: larger than 1
    QVERIFY(!finder.find(reversed, 1, 100.0).faces.empty());  // a disc too (a sphere less one)
    QVERIFY(finder.find(loop, 1, 1e9).faces.empty());         // beyond lies part 1 itself

    // a check that counts the cap's points well out of the shape: the disc
    // and the moved-in socket tie, and the socket is taken
    const detail::CapCheck check = [&](const std::vector<Vec3>& inner, const std::vector<float>&) {
      std::size_t out = 0;
      for (const Vec3& p : inner) out += block(p) > 0.01f ? 1 : 0;
      return static_cast<double>(out);
    };
    const detail::CapPatch patch = [&](const std::vector<Vec3>& l, double mostArea) {
      return finder.find(l, 0, mostArea);
    };
    Mesh closed = body;
    std::size_t capFaces = 0;
    QVERIFY(detail::closeWithCaps(closed, &capFaces, check, sdfInside(block), patch));
    QVERIFY(detail::isClosedManifold(closed));
    QCOMPARE(capFaces, socketFaces);
    QCOMPARE(closed.faces.size(), body.faces.size() + capFaces);
    for (std::size_t f = 0; f < body.faces.size(); ++f) QVERIFY(closed.faces[f] == body.faces[f]);
    for (std::size_t v = body.vertices.size(); v < closed.vertices.size(); ++v)
      QVERIFY2(block(closed.vertices[v]) < 0.002f,
               qPrintable(
                   QString("a cap vertex out of the shape by %1").arg(block(closed.vertices[v]))));
  }

  // The same socket without the patch: a disc cap over the socket's loop
  // must dive under the bowl (a concave neighbour) from inside; its faces
  // are long enough that a chord between hidden vertices would cross the
  // bowl or run just under it, so points across every face (not only its
  // vertices and centre) must be well inside the shape, and the cap stays
  // closed and manifold.
  void capUnderAConcaveNeighbourStaysInside() {
    const fixtures::Sdf slab = fixtures::box({0, 0, 0}, {0.6f, 0.6f, 0.2f});
    const fixtures::Sdf ball = fixtures::sphere({0, 0, 0.22f}, 0.3f);
    const fixtures::Sdf block = [=](const Vec3& p) { return std::max(slab(p), -ball(p)); };
    const Mesh whole = marched(block, 31);
    std::vector<int> labels(whole.faces.size());
    for (std::size_t f = 0; f < whole.faces.size(); ++f) {
      const Vec3 c = whole.faceCentroid(f);
      labels[f] = std::hypot(c.x, c.y) < 0.3f && c.z > -0.15f && c.z < 0.19f ? 1 : 0;
    }
    const Mesh body = detail::facesWithLabel(whole, labels, 0);
    Mesh closed = body;
    std::size_t capFaces = 0;
    QVERIFY(detail::closeWithCaps(closed, &capFaces, sdfCheck(block, 0.02f), sdfInside(block)));
    QVERIFY(detail::isClosedManifold(closed));
    QCOMPARE(closed.faces.size(), body.faces.size() + capFaces);
    for (std::size_t f = 0; f < body.faces.size(); ++f) QVERIFY(closed.faces[f] == body.faces[f]);
    const std::vector<Vec3> loop = borderLoop(body);
    auto nearBorder = [&](const Vec3& p) {
      for (const Vec3& q : loop)
        if (length(p - q) < 0.05f) return true;
      return false;
    };
    constexpr int kSteps = 8;
    std::size_t outside = 0, tested = 0;
    float worst = -1e9f;
    for (std::size_t f = body.faces.size(); f < closed.faces.size(); ++f) {
      const Triangle& t = closed.faces[f];
      for (int i = 0; i <= kSteps; ++i)
        for (int j = 0; i + j <= kSteps; ++j) {
          const float u = static_cast<float>(i) / kSteps, v = static_cast<float>(j) / kSteps;
          const Vec3 p = closed.vertices[t[0]] * (1 - u - v) + closed.vertices[t[1]] * u +
                         closed.vertices[t[2]] * v;
          // under the bowl, off the border (which lies on the marched
          // surface, a little off the exact one)
          if (ball(p) > 0.03f || nearBorder(p)) continue;
          ++tested;
          worst = std::max(worst, block(p));
          outside += block(p) > -0.008f ? 1 : 0;  // shows through, or z-fights
        }
    }
    QVERIFY(tested > 100);
    // (under 1 %, as the generate bench's neighbour-shell cover; vertices and
    // face centres alone left 2 % of them)
    QVERIFY2(outside * 100 < tested,
             qPrintable(QString("%1 of %2 cap points not inside the shape, up to %3")
                            .arg(outside)
                            .arg(tested)
                            .arg(worst)));
  }

  // The quadric a cap over a large hole may follow: a band of a sphere (what
  // shows of a ball sunk into its neighbour) fits, and a ray from the band's
  // plane meets the sphere's hidden bottom; a box's corner fits none.
  void quadricFitsASphereNotABoxCorner() {
    const Vec3 centre{0.1f, -0.2f, 0.15f};
    const float radius = 0.4f;
    std::vector<Vec3> band;
    for (int i = 0; i < 24; ++i)
      for (int j = 0; j < 6; ++j) {
        const float phi = 6.2831853f * static_cast<float>(i) / 24.f;
        const float z = -0.15f + 0.05f * static_cast<float>(j);  // just above the cut at -0.15
        const float r = std::sqrt(radius * radius - z * z);
        band.push_back(centre + Vec3{r * std::cos(phi), r * std::sin(phi), z});
      }
    const auto sphere = detail::fitQuadric(band, 0.005);
    QVERIFY(sphere.has_value());
    for (const Vec3& p : band) QVERIFY(std::fabs(sphere->value(p)) < 1e-3);
    const auto down = sphere->hit(centre + Vec3{0, 0, -0.15f}, Vec3{0, 0, -1});
    QVERIFY(down.has_value());
    QVERIFY2(std::fabs(*down - 0.25) < 0.01, qPrintable(QString("hit at %1").arg(*down)));

    std::vector<Vec3> corner;
    for (int i = 0; i < 8; ++i)
      for (int j = 0; j < 8; ++j) {
        const float u = 0.1f * static_cast<float>(i), v = 0.1f * static_cast<float>(j);
        corner.push_back({u, v, 0});
        corner.push_back({u, 0, v});
        corner.push_back({0, u, v});
      }
    QVERIFY(!detail::fitQuadric(corner, 0.005).has_value());
  }

  // A cube whose top has two square islands of other parts touching at one
  // corner: the cube part's border is a figure of eight through the copies
  // of that corner. It is closed by one cap per island (sharing the copies'
  // zero-length edge), each within its own square on the top, not one disc
  // spanning both and the cube's own top between them.
  void figureOfEightBorderGetsACapPerIsland() {
    constexpr int kCells = 10;
    Mesh cube;
    std::map<std::tuple<int, int, int>, std::uint32_t> index;
    auto vertex = [&](int x, int y, int z) {
      auto [it, added] =
          index.try_emplace({x, y, z}, static_cast<std::uint32_t>(cube.vertices.size()));
      if (added)
        cube.vertices.push_back(
            Vec3{static_cast<float>(x), static_cast<float>(y), static_cast<float>(z)} *
                (2.f / kCells) -
            Vec3{1, 1, 1});
      return it->second;
    };
    std::vector<int> labels;
    // each face of the cube: an axis, a side, and its grid (counter-clockwise seen from outside)
    for (int axis = 0; axis < 3; ++axis)
      for (int side = 0; side < 2; ++side)
        for (int i = 0; i < kCells; ++i)
          for (int j = 0; j < kCells; ++j) {
            auto at = [&](int a, int b) {
              int c[3];
              c[axis] = side * kCells;
              c[(axis + 1) % 3] = side ? a : b;
              c[(axis + 2) % 3] = side ? b : a;
              return vertex(c[0], c[1], c[2]);
            };
            const std::uint32_t q[4] = {at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)};
            cube.faces.push_back({q[0], q[1], q[2]});
            cube.faces.push_back({q[0], q[2], q[3]});
            int label = 0;
            if (axis == 2 && side == 1) {  // the top: islands [2,5)^2 and [5,8)^2 of cells
              const int x = side ? i : j, y = side ? j : i;
              if (x >= 2 && x < 5 && y >= 2 && y < 5) label = 1;
              if (x >= 5 && x < 8 && y >= 5 && y < 8) label = 2;
            }
            labels.push_back(label);
            labels.push_back(label);
          }
    QVERIFY(detail::isClosedManifold(cube));
    const Mesh body = detail::facesWithLabel(cube, labels, 0);
    Mesh closed = body;
    std::size_t capFaces = 0;
    QVERIFY(detail::closeWithCaps(closed, &capFaces));
    QVERIFY(detail::isClosedManifold(closed));
    QVERIFY(capFaces > 0);
    // the islands, in cube coordinates: x, y in [-0.6, 0] and [0, 0.6]
    auto island = [](const Vec3& p) {
      constexpr float e = 0.02f;
      if (p.x > -0.6f - e && p.x < e && p.y > -0.6f - e && p.y < e) return 1;
      if (p.x > -e && p.x < 0.6f + e && p.y > -e && p.y < 0.6f + e) return 2;
      return 0;
    };
    for (std::size_t f = body.faces.size(); f < closed.faces.size(); ++f) {
      const Triangle& t = closed.faces[f];
      const Vec3 c =
          (closed.vertices[t[0]] + closed.vertices[t[1]] + closed.vertices[t[2]]) * (1.f / 3.f);
      const int in = island(c);
      QVERIFY2(
          in != 0 && std::fabs(c.z - 1.f) < 0.05f,
          qPrintable(QString("a cap face at %1 %2 %3, over no island").arg(c.x).arg(c.y).arg(c.z)));
      for (auto v : t) {
        const Vec3& p = closed.vertices[v];
        const bool corner = std::fabs(p.x) < 0.02f && std::fabs(p.y) < 0.02f;
        QVERIFY2(corner || island(p) == in, "a cap face across both islands");
      }
    }
  }

  void alreadyClosedNeedsNoCap() {
    Mesh m = marched(fixtures::sphere({0, 0, 0}, 0.5f), 16);
    const std::size_t n = m.faces.size();
    std::size_t capFaces = 7;
    QVERIFY(detail::closeWithCaps(m, &capFaces));
    QCOMPARE(capFaces, std::size_t(0));
    QCOMPARE(m.faces.size(), n);
  }
};

QTEST_GUILESS_MAIN(TestPartSurface)
#include "test_part_surface.moc"
