// The pipeline on fused (single watertight surface) shapes with the default
// packages: part counts, a segmentation quality floor, prompts, closed
// generated parts, the naive baseline, refresh, cancellation, bad input.
#include <QtTest>

#include <atomic>
#include <cstdlib>

#include "h3dpart/errors.h"
#include "h3dpart/marching.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/pipeline.h"
#include "part_caps.h"
#include "shape_fixtures.h"

using namespace h3d;

namespace {

std::filesystem::path modelsDir() {
  if (const char* env = std::getenv("H3DPART_MODELS")) return env;
  return H3DPART_TEST_MODELS_DIR;
}

std::vector<fixtures::Sdf> shapeByName(const QString& name) {
  if (name == "table") return fixtures::table();
  if (name == "snowman") return fixtures::snowman();
  if (name == "mug") return fixtures::mug();
  return fixtures::robot();
}

// The part whose box is longest along `axis`.
int largestAlong(const Segmentation& seg, int axis) {
  int best = 0;
  for (int k = 1; k < seg.partCount(); ++k)
    if (seg.parts[std::size_t(k)].box.size()[axis] > seg.parts[std::size_t(best)].box.size()[axis])
      best = k;
  return best;
}

}  // namespace

class TestPipeline : public QObject {
  Q_OBJECT
  std::unique_ptr<ModelManager> models_;
  fixtures::Shape table_;

 private Q_SLOTS:
  void initTestCase() {
    ManagerConfig config;
    config.device = "cpu";
    models_ = std::make_unique<ModelManager>(config);
    const auto problems = models_->addPackages(modelsDir());
    QVERIFY2(problems.empty(), problems.empty() ? "" : problems.front().c_str());
    table_ = fixtures::fuse(fixtures::table(), 0.02f);
    QVERIFY(detail::isClosedManifold(table_.mesh));  // one fused watertight surface
  }

  void segmentsFusedTable() {
    Progress progress;
    SegmentOptions options;
    const Segmentation seg = segment(table_.mesh, *models_, options, progress);
    QCOMPARE(seg.faceLabels.size(), table_.mesh.faces.size());
    QVERIFY2(seg.partCount() >= 4 && seg.partCount() <= 7,
             qPrintable(QString::number(seg.partCount())));
    std::size_t faces = 0;
    for (const auto& p : seg.parts) {
      QVERIFY(p.faceCount > 0);
      QVERIFY(!p.box.empty());
      QVERIFY(p.confidence >= 0.f && p.confidence <= 1.f);
      QCOMPARE(p.name, "part_" + std::to_string(p.label));
      faces += p.faceCount;
    }
    QCOMPARE(faces, table_.mesh.faces.size());
    for (int l : seg.faceLabels) QVERIFY(l >= 0 && l < seg.partCount());
    // same input, same seed: same labels
    const Segmentation again = segment(table_.mesh, *models_, options, progress);
    QVERIFY(again.faceLabels == seg.faceLabels);
  }

  // Quality floor on a small fixed set: symmetric best-match face IoU.
  void segmentQuality_data() {
    QTest::addColumn<QString>("shape");
    QTest::addColumn<double>("minIoU");
    QTest::newRow("table") << "table" << 0.9;
    QTest::newRow("snowman") << "snowman" << 0.85;
    QTest::newRow("mug") << "mug" << 0.9;
    QTest::newRow("robot") << "robot" << 0.9;
  }
  void segmentQuality() {
    QFETCH(QString, shape);
    QFETCH(double, minIoU);
    const fixtures::Shape s = shape == "table" ? table_ : fixtures::fuse(shapeByName(shape), 0.02f);
    Progress progress;
    const Segmentation seg = segment(s.mesh, *models_, SegmentOptions{}, progress);
    const double iou = fixtures::symmetricIoU(s.labels, seg.faceLabels);
    qInfo("%s: %d parts (ground truth %d), IoU %.3f", qPrintable(shape), seg.partCount(), s.parts,
          iou);
    QVERIFY2(iou >= minIoU, qPrintable(QString("IoU %1 below %2").arg(iou).arg(minIoU)));
    QVERIFY(std::abs(seg.partCount() - s.parts) <= 1);
  }

  void promptSelectsThePartUnderThePoint() {
    Progress progress;
    // a point on the first leg's side (leg at x=-0.6, y=-0.32, radius 0.05)
    const std::vector<bool> flags = segmentPrompt(table_.mesh, Vec3{-0.65f, -0.32f, 0.3f}, *models_,
                                                  SegmentOptions{}, progress);
    QCOMPARE(flags.size(), table_.mesh.faces.size());
    std::size_t in = 0, inLeg = 0;
    for (std::size_t f = 0; f < flags.size(); ++f)
      if (flags[f]) {
        ++in;
        inLeg += table_.labels[f] == 1 ? 1 : 0;
      }
    QVERIFY(in > 0);
    QVERIFY2(static_cast<double>(inLeg) / static_cast<double>(in) > 0.9,
             "prompt mask should be the leg");
  }

  // Limbs that join the body in a smooth fillet (no concave crease) are split
  // off where they join: the thickness changes and the join is a narrow neck.
  void smoothJoinsAreSplit_data() {
    QTest::addColumn<float>("blend");
    QTest::newRow("fillet 0.08") << 0.08f;
    QTest::newRow("fillet 0.16") << 0.16f;
  }
  void smoothJoinsAreSplit() {
    QFETCH(float, blend);
    const fixtures::Shape s = fixtures::fuse(fixtures::capsuleFigure(), 0.02f, blend);
    QVERIFY(detail::isClosedManifold(s.mesh));
    Progress progress;
    const Segmentation seg = segment(s.mesh, *models_, SegmentOptions{}, progress);
    const double iou = fixtures::symmetricIoU(s.labels, seg.faceLabels);
    qInfo("capsule figure, blend %.2f: %d parts (ground truth %d), IoU %.3f", double(blend),
          seg.partCount(), s.parts, iou);
    QVERIFY2(iou >= 0.8, qPrintable(QString("IoU %1").arg(iou)));
    QVERIFY2(seg.partCount() >= s.parts - 1 && seg.partCount() <= s.parts + 2,
             qPrintable(QString::number(seg.partCount())));
  }

  // A click on a limb of the smooth figure gives that limb, several clicks in one run.
  void promptReturnsTheLimbUnderTheClick() {
    const fixtures::Shape s = fixtures::fuse(fixtures::capsuleFigure(), 0.02f, 0.16f);
    Progress progress;
    const std::vector<Vec3> clicks{{0.8f, 0.f, 0.86f}, {-0.41f, 0.f, -0.44f}};
    const std::vector<int> limbs{2, 5};
    const auto masks = segmentPrompts(s.mesh, clicks, *models_, SegmentOptions{}, progress);
    QCOMPARE(masks.size(), clicks.size());
    for (std::size_t c = 0; c < clicks.size(); ++c) {
      std::size_t in = 0, inLimb = 0, limb = 0;
      for (std::size_t f = 0; f < masks[c].size(); ++f) {
        const bool isLimb = s.labels[f] == limbs[c];
        limb += isLimb ? 1 : 0;
        if (masks[c][f]) {
          ++in;
          inLimb += isLimb ? 1 : 0;
        }
      }
      QVERIFY(in > 0);
      const double precision = double(inLimb) / double(in), recall = double(inLimb) / double(limb);
      QVERIFY2(precision > 0.8 && recall > 0.7,
               qPrintable(
                   QString("click %1: precision %2, recall %3").arg(c).arg(precision).arg(recall)));
    }
    // the one-point form agrees with the first mask
    QVERIFY(segmentPrompt(s.mesh, clicks[0], *models_, SegmentOptions{}, progress) == masks[0]);
  }

  void generatesClosedParts() {
    Progress progress;
    const Segmentation seg = segment(table_.mesh, *models_, SegmentOptions{}, progress);
    GenerateOptions options;
    options.resolution = 40;
    const GeneratedParts gen = generate(table_.mesh, seg, *models_, options, progress);
    QCOMPARE(static_cast<int>(gen.parts.size()), seg.partCount());
    for (const auto& part : gen.parts) {
      QVERIFY2(detail::isClosedManifold(part.mesh), part.name.c_str());
      // in input coordinates, near the part's own box
      const Box3 b = part.mesh.bounds();
      const Box3& pb = seg.parts[static_cast<std::size_t>(part.label)].box;
      for (int a = 0; a < 3; ++a) {
        QVERIFY(b.lo[a] > pb.lo[a] - 0.1f);
        QVERIFY(b.hi[a] < pb.hi[a] + 0.1f);
      }
    }
    // only some parts
    options.onlyParts = {0};
    QCOMPARE(generate(table_.mesh, seg, *models_, options, progress).parts.size(), std::size_t(1));
  }

  // The generator fills a part's own box: an edited (smaller) box bounds what it makes.
  void generateUsesEditedBoxes() {
    Progress progress;
    Segmentation seg = segment(table_.mesh, *models_, SegmentOptions{}, progress);
    const int tallest = largestAlong(seg, 1);
    Box3& box = seg.parts[std::size_t(tallest)].box;
    const float fullTop = box.hi.y;
    box.hi.y = (box.lo.y + box.hi.y) / 2;
    GenerateOptions options;
    options.resolution = 32;
    options.onlyParts = {tallest};
    const GeneratedParts gen = generate(table_.mesh, seg, *models_, options, progress);
    QCOMPARE(gen.parts.size(), std::size_t(1));
    const Box3 got = gen.parts.front().mesh.bounds();
    const float cell = box.size().y / 32 * 2;
    QVERIFY2(got.hi.y <= box.hi.y + cell,
             qPrintable(QString("top %1, edited box top %2").arg(got.hi.y).arg(box.hi.y)));
    QVERIFY(got.hi.y < fullTop - cell);
    QVERIFY(detail::isClosedManifold(gen.parts.front().mesh));
  }

  // A box cut thinner than a grid cell (half the table top at a coarse
  // resolution) still gets a few cells across: a slab, not scattered blobs.
  void thinEditedBoxStillMakesTheWholePiece() {
    Progress progress;
    Segmentation seg = segment(table_.mesh, *models_, SegmentOptions{}, progress);
    const int widest = largestAlong(seg, 0);
    Box3& box = seg.parts[std::size_t(widest)].box;
    box.lo.y = (box.lo.y + box.hi.y) / 2;  // the upper half of the top
    GenerateOptions options;
    options.resolution = 16;  // cells as thick as the whole top
    options.onlyParts = {widest};
    const GeneratedParts gen = generate(table_.mesh, seg, *models_, options, progress);
    QCOMPARE(gen.parts.size(), std::size_t(1));
    const Mesh& piece = gen.parts.front().mesh;
    QVERIFY(detail::isClosedManifold(piece));
    const Box3 got = piece.bounds();
    QVERIFY2(got.size().x > 0.8f * box.size().x && got.size().z > 0.8f * box.size().z,
             qPrintable(QString("piece %1 x %2 of box %3 x %4")
                            .arg(got.size().x)
                            .arg(got.size().z)
                            .arg(box.size().x)
                            .arg(box.size().z)));
  }

  // The triangle budget: every part at most the user's budget (closed), or
  // by default its own input triangles plus caps, kept as they were.
  void generateBudget_data() {
    QTest::addColumn<int>("maxTriangles");
    QTest::addColumn<bool>("keepVisible");
    QTest::newRow("automatic, input kept") << 0 << true;
    QTest::newRow("300 per part, input kept") << 300 << true;
    QTest::newRow("automatic, field") << 0 << false;
    QTest::newRow("200 per part, field") << 200 << false;
  }
  void generateBudget() {
    QFETCH(int, maxTriangles);
    QFETCH(bool, keepVisible);
    Segmentation seg;
    seg.faceLabels = table_.labels;
    refreshParts(table_.mesh, seg);
    GenerateOptions options;
    options.resolution = 32;
    options.maxTriangles = static_cast<std::size_t>(maxTriangles);
    options.keepVisibleSurface = keepVisible;
    Progress progress;
    const GeneratedParts gen = generate(table_.mesh, seg, *models_, options, progress);
    QCOMPARE(static_cast<int>(gen.parts.size()), seg.partCount());
    for (const auto& part : gen.parts) {
      const std::size_t in = seg.parts[std::size_t(part.label)].faceCount;
      const std::size_t out = part.mesh.faces.size();
      QVERIFY2(detail::isClosedManifold(part.mesh), part.name.c_str());
      if (maxTriangles > 0) {
        QVERIFY2(out <= std::size_t(maxTriangles), qPrintable(QString::number(out)));
        QVERIFY(out > std::size_t(maxTriangles) / 2);
      } else if (keepVisible) {
        QVERIFY(out > in);  // its own triangles and a cap or more
        QVERIFY2(out <= in + in / 2, qPrintable(QString("%1 for %2").arg(out).arg(in)));
        // the input's own triangles come first, as they were
        const Mesh own = detail::facesWithLabel(table_.mesh, seg.faceLabels, part.label);
        for (std::size_t f = 0; f < own.faces.size(); ++f)
          QVERIFY(part.mesh.faces[f] == own.faces[f]);
        QVERIFY(std::equal(own.vertices.begin(), own.vertices.end(), part.mesh.vertices.begin()));
      } else {
        QVERIFY2(out <= std::max<std::size_t>(in + in / 2, 500), qPrintable(QString::number(out)));
      }
    }
  }

  // A thick rod ending on a thin plate: the rod's cap where the plate cut it
  // stays inside the plate (a dome as high as on a free tube would come out
  // of the plate's far side and show there).
  // A thin plate with a wide island in its top face (the island another
  // part): the plate's cap over the hole can neither lie on the island (it
  // would show through it) nor dive as deep as a free cap (it would come out
  // underneath); it follows the plate's inside, and so do its faces.
  void capFollowsTheInsideOfAThinPlate() {
    const fixtures::Sdf plate = fixtures::box({0, 0, 0}, {0.7f, 0.7f, 0.04f});
    fixtures::Shape shape = fixtures::fuse({plate}, 0.02f);
    for (std::size_t f = 0; f < shape.mesh.faces.size(); ++f) {
      const Vec3 c = shape.mesh.faceCentroid(f);
      shape.labels[f] = c.z > 0.03f && std::fabs(c.x) < 0.4f && std::fabs(c.y) < 0.4f ? 1 : 0;
    }
    Segmentation seg;
    seg.faceLabels = shape.labels;
    refreshParts(shape.mesh, seg);
    GenerateOptions options;
    options.onlyParts = {0};
    Progress progress;
    const GeneratedParts gen = generate(shape.mesh, seg, *models_, options, progress);
    QCOMPARE(gen.parts.size(), std::size_t(1));
    const Mesh& body = gen.parts.front().mesh;
    QVERIFY(detail::isClosedManifold(body));
    const Mesh own = detail::facesWithLabel(shape.mesh, seg.faceLabels, 0);
    QVERIFY(body.vertices.size() > own.vertices.size());  // it has a cap
    std::vector<char> isCap(body.vertices.size(), 0);
    for (std::size_t v = own.vertices.size(); v < body.vertices.size(); ++v) {
      isCap[v] = 1;
      const Vec3& p = body.vertices[v];
      // inside; away from the island's rim, clearly under the island
      const float fromRim = std::min(0.4f - std::fabs(p.x), 0.4f - std::fabs(p.y));
      QVERIFY2(
          plate(p) < (fromRim > 0.1f ? -0.005f : 0.f),
          qPrintable(
              QString("cap vertex %1 %2 %3: plate %4").arg(p.x).arg(p.y).arg(p.z).arg(plate(p))));
    }
    std::size_t capFaces = 0;
    for (const Triangle& t : body.faces) {
      if (!isCap[t[0]] && !isCap[t[1]] && !isCap[t[2]]) continue;
      ++capFaces;
      const Vec3 c = (body.vertices[t[0]] + body.vertices[t[1]] + body.vertices[t[2]]) / 3.f;
      QVERIFY2(plate(c) < 0.f,
               qPrintable(QString("cap face at %1 %2 %3").arg(c.x).arg(c.y).arg(c.z)));
    }
    QVERIFY(capFaces > 0);
  }

  void capStaysInsideAThinNeighbour() {
    const std::vector<fixtures::Sdf> prims{fixtures::box({0, 0, 0.62f}, {0.7f, 0.7f, 0.03f}),
                                           fixtures::cylinderZ({0, 0, 0.2f}, 0.3f, 0.4f)};
    const fixtures::Shape shape = fixtures::fuse(prims, 0.02f);
    Segmentation seg;
    seg.faceLabels = shape.labels;
    refreshParts(shape.mesh, seg);
    GenerateOptions options;
    options.onlyParts = {1};
    Progress progress;
    const GeneratedParts gen = generate(shape.mesh, seg, *models_, options, progress);
    QCOMPARE(gen.parts.size(), std::size_t(1));
    const Mesh& rod = gen.parts.front().mesh;
    QVERIFY(detail::isClosedManifold(rod));
    const std::size_t own = detail::facesWithLabel(shape.mesh, seg.faceLabels, 1).vertices.size();
    QVERIFY(rod.vertices.size() > own);  // it has a cap
    for (std::size_t v = own; v < rod.vertices.size(); ++v) {
      const Vec3& p = rod.vertices[v];
      const float inside = std::min(prims[0](p), prims[1](p));
      QVERIFY2(
          inside < 0.005f,
          qPrintable(
              QString("cap vertex %1 %2 %3 outside by %4").arg(p.x).arg(p.y).arg(p.z).arg(inside)));
    }
  }

  void cutByLabelsAndRefresh() {
    Segmentation seg;
    seg.faceLabels.assign(table_.mesh.faces.size(), 0);
    for (std::size_t f = 0; f < seg.faceLabels.size(); ++f)
      seg.faceLabels[f] = table_.labels[f] == 0 ? 0 : 1;
    refreshParts(table_.mesh, seg);
    QCOMPARE(seg.partCount(), 2);
    const auto parts = cutByLabels(table_.mesh, seg);
    QCOMPARE(parts.size(), std::size_t(2));
    QCOMPARE(parts[0].mesh.faces.size() + parts[1].mesh.faces.size(), table_.mesh.faces.size());
    QCOMPARE(parts[1].name, std::string("part_1"));
  }

  void cancels() {
    std::atomic<bool> cancel{true};
    Progress progress({}, &cancel);
    QVERIFY_THROWS_EXCEPTION(CancelledError,
                             segment(table_.mesh, *models_, SegmentOptions{}, progress));
  }

  void refusesBadInput() {
    Progress progress;
    QVERIFY_THROWS_EXCEPTION(InputError, segment(Mesh{}, *models_, SegmentOptions{}, progress));
    Segmentation wrong;
    wrong.faceLabels = {0};
    QVERIFY_THROWS_EXCEPTION(InputError,
                             generate(table_.mesh, wrong, *models_, GenerateOptions{}, progress));
  }
};

QTEST_GUILESS_MAIN(TestPipeline)
#include "test_pipeline.moc"
