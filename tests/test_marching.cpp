// Marching tetrahedra: closed, consistently oriented 2-manifolds with the
// right topology on analytic fields; small-component removal.
#include <QtTest>

#include <cmath>
#include <functional>
#include <random>

#include "h3dpart/marching.h"
#include "h3dpart/surface_query.h"
#include "shape_fixtures.h"

using namespace h3d;
using h3d::detail::ScalarGrid;

namespace {

ScalarGrid sampleField(const std::function<float(const Vec3&)>& f, float lo, float hi, int n) {
  ScalarGrid g;
  g.nx = g.ny = g.nz = n;
  g.step = (hi - lo) / static_cast<float>(n - 1);
  g.origin = {lo, lo, lo};
  g.values.resize(static_cast<std::size_t>(n) * n * n);
  for (int k = 0; k < n; ++k)
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < n; ++i) g.values[g.index(i, j, k)] = f(g.position(i, j, k));
  return g;
}

double volume(const Mesh& m) {
  double v = 0;
  for (const auto& t : m.faces)
    v += dot(m.vertices[t[0]], cross(m.vertices[t[1]], m.vertices[t[2]]));
  return v / 6.0;
}

}  // namespace

class TestMarching : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void closedManifold_data() {
    QTest::addColumn<int>("shape");
    QTest::addColumn<int>("resolution");
    QTest::addColumn<int>("euler");
    QTest::addColumn<double>("expectedVolume");
    const double pi = 3.14159265358979;
    QTest::newRow("sphere coarse") << 0 << 12 << 2 << 4.0 / 3.0 * pi * 0.6 * 0.6 * 0.6;
    QTest::newRow("sphere fine") << 0 << 48 << 2 << 4.0 / 3.0 * pi * 0.6 * 0.6 * 0.6;
    QTest::newRow("torus") << 1 << 40 << 0 << 2.0 * pi * pi * 0.5 * 0.2 * 0.2;
    QTest::newRow("box") << 2 << 33 << 2 << 1.2 * 0.8 * 0.4;
    QTest::newRow("box on grid nodes") << 3 << 21 << 2 << 1.0 * 1.0 * 1.0;
    QTest::newRow("two spheres touching") << 4 << 30 << 2 << 0.0;
    QTest::newRow("fused table") << 5 << 0 << 2 << 0.0;
  }
  void closedManifold() {
    QFETCH(int, shape);
    QFETCH(int, resolution);
    QFETCH(int, euler);
    QFETCH(double, expectedVolume);
    Mesh m;
    std::function<float(const Vec3&)> f;
    switch (shape) {
      case 0:
        f = fixtures::sphere({0.01f, -0.02f, 0.03f}, 0.6f);
        break;
      case 1:
        f = fixtures::torusY({0, 0, 0}, 0.5f, 0.2f);
        break;
      case 2:
        f = fixtures::box({0, 0, 0}, {0.6f, 0.4f, 0.2f});
        break;
      case 3:
        f = fixtures::box({0, 0, 0}, {0.5f, 0.5f, 0.5f});
        break;  // faces exactly on grid planes
      case 4: {
        auto a = fixtures::sphere({-0.3f, 0, 0}, 0.3f);
        auto b = fixtures::sphere({0.3f, 0, 0}, 0.3f);  // touch in one point
        f = [a, b](const Vec3& p) { return std::min(a(p), b(p)); };
        break;
      }
      default:
        break;
    }
    if (shape == 5) {
      m = fixtures::fuse(fixtures::table(), 0.03f).mesh;
    } else {
      ScalarGrid g = sampleField(f, -1.f, 1.f, resolution);
      g.closeBorder(1.f);
      m = detail::marchTetrahedra(g);
    }
    QVERIFY(!m.faces.empty());
    QVERIFY(detail::isClosedManifold(m));
    const long chi = static_cast<long>(m.vertices.size()) - static_cast<long>(m.faces.size()) / 2;
    if (shape != 4) QCOMPARE(chi, static_cast<long>(euler));
    const double vol = volume(m);
    QVERIFY2(vol > 0, "faces must point outwards");
    if (expectedVolume > 0 && resolution >= 20)
      QVERIFY2(std::fabs(vol - expectedVolume) < 0.08 * expectedVolume,
               qPrintable(QString("volume %1, expected %2").arg(vol).arg(expectedVolume)));
  }

  void openBorderIsClosedByCloseBorder() {
    // a field that is inside everywhere on one face of the grid
    ScalarGrid g = sampleField([](const Vec3& p) { return p.z - 0.2f; }, -1.f, 1.f, 10);
    g.closeBorder(1.f);
    QVERIFY(detail::isClosedManifold(detail::marchTetrahedra(g)));
  }

  void emptyAndFullFields() {
    QVERIFY(detail::marchTetrahedra(sampleField([](const Vec3&) { return 1.f; }, -1, 1, 6))
                .faces.empty());
    QVERIFY(detail::marchTetrahedra(sampleField([](const Vec3&) { return -1.f; }, -1, 1, 6))
                .faces.empty());
    QVERIFY(detail::marchTetrahedra(ScalarGrid{}).faces.empty());
  }

  void removesSmallComponents() {
    auto big = fixtures::sphere({-0.4f, 0, 0}, 0.4f);
    auto small = fixtures::sphere({0.6f, 0, 0}, 0.08f);
    ScalarGrid g =
        sampleField([&](const Vec3& p) { return std::min(big(p), small(p)); }, -1, 1, 40);
    g.closeBorder(1.f);
    Mesh m = detail::marchTetrahedra(g);
    const std::size_t before = m.faces.size();
    QCOMPARE(detail::removeSmallComponents(m, 0.05), std::size_t(1));
    QVERIFY(m.faces.size() < before);
    QVERIFY(detail::isClosedManifold(m));
    QCOMPARE(detail::removeSmallComponents(m, 0.05), std::size_t(0));
  }

  void dropUnusedVerticesKeepsTheFirstAndRenumbers() {
    Mesh m;
    m.vertices = {{0, 0, 0}, {9, 9, 9}, {1, 0, 0}, {8, 8, 8}, {0, 1, 0}, {0, 0, 1}};
    m.faces = {{0, 2, 4}, {4, 2, 5}};
    Mesh keep = m;
    keep.dropUnusedVertices(2);  // 0 and 1 stay where they are, used or not
    QCOMPARE(keep.vertices.size(), std::size_t(5));
    QCOMPARE(keep.vertices[1], Vec3(9, 9, 9));
    m.dropUnusedVertices();
    QCOMPARE(m.vertices.size(), std::size_t(4));
    for (std::size_t f = 0; f < m.faces.size(); ++f)
      for (int k = 0; k < 3; ++k) QVERIFY(m.faces[f][k] < m.vertices.size());
    QCOMPARE(m.vertices[m.faces[1][2]], Vec3(0, 0, 1));
    QCOMPARE(m.faceArea(0), 0.5);  // the same triangles, renumbered
  }

  // Two tetrahedra meeting at one point through two vertices of the same
  // position: each copy moves into its own fan, the faces stay, and a weld
  // by position no longer joins them into a non-manifold vertex.
  void separatesCoincidentVertices() {
    Mesh bow;
    bow.vertices = {{0, 0, 0}, {1, 0, 0},  {0, 1, 0},  {0, 0, 1},
                    {0, 0, 0}, {-1, 0, 0}, {0, -1, 0}, {0, 0, -1}};
    bow.faces = {{0, 2, 1}, {0, 1, 3}, {0, 3, 2}, {1, 2, 3},
                 {4, 5, 6}, {4, 7, 5}, {4, 6, 7}, {5, 7, 6}};
    QVERIFY(detail::isClosedManifold(bow));
    Mesh moved = bow;
    QCOMPARE(moved.separateCoincidentVertices(0.01f), std::size_t(2));
    QCOMPARE(moved.faces, bow.faces);
    QVERIFY(detail::isClosedManifold(moved));
    QVERIFY(!(moved.vertices[0] == moved.vertices[4]));
    // each copy went 1 % of the way to its ring's centre (1/3, 1/3, 1/3) or its mirror
    QVERIFY(std::abs(moved.vertices[0].x - 0.01f / 3.f) < 1e-6f);
    QVERIFY(std::abs(moved.vertices[4].x + 0.01f / 3.f) < 1e-6f);
    for (std::uint32_t v : {1u, 2u, 3u, 5u, 6u, 7u}) QCOMPARE(moved.vertices[v], bow.vertices[v]);
    // nothing coincides: nothing moves
    QCOMPARE(moved.separateCoincidentVertices(), std::size_t(0));
  }

  void detectsOpenAndNonManifold() {
    Mesh open;
    open.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
    open.faces = {{0, 1, 2}};
    QVERIFY(!detail::isClosedManifold(open));
    // two tetrahedra sharing one vertex: closed edges, but not a manifold vertex
    Mesh bow;
    bow.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {-1, 0, 0}, {0, -1, 0}, {0, 0, -1}};
    bow.faces = {{0, 2, 1}, {0, 1, 3}, {0, 3, 2}, {1, 2, 3},
                 {0, 4, 5}, {0, 6, 4}, {0, 5, 6}, {4, 6, 5}};
    QVERIFY(!detail::isClosedManifold(bow));
    // a closed tetrahedron listed twice: every edge used twice the same way
    Mesh twice;
    twice.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    twice.faces = {{0, 2, 1}, {0, 1, 3}, {0, 3, 2}, {1, 2, 3}};
    QVERIFY(detail::isClosedManifold(twice));
    twice.faces.insert(twice.faces.end(), twice.faces.begin(), twice.faces.end());
    QVERIFY(!detail::isClosedManifold(twice));
  }

  // The box trees answer what a search of every triangle (every point)
  // answers: the nearest distance, its side (negative inside the torus),
  // nothing beyond the radius.
  void nearestQueriesMatchBruteForce() {
    const auto torus = fixtures::torusY({0, 0, 0}, 0.5f, 0.2f);
    ScalarGrid g = sampleField(torus, -1.f, 1.f, 40);
    g.closeBorder(1.f);
    const Mesh m = detail::marchTetrahedra(g);
    QVERIFY(m.faces.size() > 1000);
    const detail::SurfaceQuery query(m);
    const detail::NearestPoints points(m.vertices);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1.2f, 1.2f);
    for (int i = 0; i < 300; ++i) {
      const Vec3 p{u(rng), u(rng), u(rng)};
      float brute = INFINITY;
      for (const Triangle& t : m.faces)
        brute = std::min(brute,
                         length(p - detail::closestOnTriangle(p, m.vertices[t[0]], m.vertices[t[1]],
                                                              m.vertices[t[2]])));
      const detail::Nearest near = query.nearest(p, 10.f);
      QVERIFY(near.found());
      // (ties within 1e-4 of the distance go to the face seen most squarely)
      const float tie = 2e-4f * brute + 1e-6f;
      QVERIFY2(std::fabs(std::fabs(near.distance) - brute) < tie,
               qPrintable(QString("tree %1, brute force %2").arg(near.distance).arg(brute)));
      QVERIFY(std::fabs(length(near.point - p) - brute) < tie);
      if (std::fabs(torus(p)) > 0.05f) QCOMPARE(near.distance < 0, torus(p) < 0);
      // within a radius below the distance there is nothing
      if (brute > 0.01f) QVERIFY(!query.nearest(p, 0.9f * brute).found());
      float brutePoint = INFINITY;
      for (const Vec3& v : m.vertices) brutePoint = std::min(brutePoint, length(p - v));
      QVERIFY(std::fabs(points.distance(p) - brutePoint) < 1e-5f);
    }
    QVERIFY(std::isinf(detail::NearestPoints({}).distance({0, 0, 0})));
  }
};

QTEST_GUILESS_MAIN(TestMarching)
#include "test_marching.moc"
