// Area-weighted surface sampling and unit-cube normalisation.
#include <QtTest>

#include "h3dpart/normalize.h"
#include "h3dpart/sampling.h"

using namespace h3d;

namespace {
// Two triangles in the z=0 plane with areas 0.5 and 1.5.
Mesh twoTriangles() {
  Mesh m;
  m.vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {2, 0, 0}, {5, 0, 0}, {2, 1, 0}};
  m.faces = {{0, 1, 2}, {3, 4, 5}};
  return m;
}
}  // namespace

class TestSampling : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void sameSeedSamePoints() {
    const Mesh m = twoTriangles();
    const auto a = sampleSurface(m, 500, 42), b = sampleSurface(m, 500, 42),
               c = sampleSurface(m, 500, 43);
    QVERIFY(a.points == b.points);
    QVERIFY(a.points != c.points);
  }

  void weightsByArea_data() {
    QTest::addColumn<int>("count");
    QTest::newRow("4k") << 4000;
    QTest::newRow("40k") << 40000;
  }
  void weightsByArea() {
    QFETCH(int, count);
    const auto s = sampleSurface(twoTriangles(), count, 7);
    QCOMPARE(int(s.size()), count);
    const double share = std::count(s.faces.begin(), s.faces.end(), 1u) / double(count);
    QVERIFY2(std::abs(share - 0.75) < 0.03, qPrintable(QString::number(share)));
  }

  void pointsLieOnTheirFacesWithUnitNormals() {
    const Mesh m = twoTriangles();
    const auto s = sampleSurface(m, 1000, 1);
    for (std::size_t i = 0; i < s.size(); ++i) {
      QCOMPARE(s.points[i].z, 0.f);
      QCOMPARE(s.normals[i], Vec3(0, 0, 1));
      const float x = s.points[i].x;
      QVERIFY(s.faces[i] == 0 ? x <= 1.0001f : x >= 1.9999f);
    }
  }

  void emptyMeshGivesNoSamples() { QCOMPARE(sampleSurface(Mesh{}, 10, 0).size(), std::size_t(0)); }

  void normalisationFitsUnitCubeAndInverts() {
    Mesh m = twoTriangles();
    for (Vec3& v : m.vertices) v = v * 37.f + Vec3(100, -4, 2);
    const Normalization n = Normalization::fit(m.bounds());
    Mesh unit = m;
    n.applyInPlace(unit);
    const Box3 b = unit.bounds();
    QVERIFY(std::abs(std::max({b.size().x, b.size().y, b.size().z}) - 1.f) < 1e-5f);
    QVERIFY(length(b.center()) < 1e-5f);
    n.invertInPlace(unit);
    for (std::size_t i = 0; i < m.vertices.size(); ++i)
      QVERIFY(length(unit.vertices[i] - m.vertices[i]) < 1e-3f);
  }
};

QTEST_GUILESS_MAIN(TestSampling)
#include "test_sampling.moc"
