// The viewer under Xvfb (Mesa): it draws the sample mesh, matches a committed
// baseline image, colours parts, hides them, explodes them and names the
// part under the cursor.
#include <QtTest>
#include <memory>

#include "h3dpart/mesh_io.h"
#include "h3dpart/ui/mesh_viewer.h"
#include "ui_test_support.h"

using namespace h3d;
using h3d::ui::MeshViewer;

namespace {

const QString kBaseline = QStringLiteral(H3DPART_SOURCE_DIR "/tests/data/ui/viewer_table.png");

// Two halves of the mesh by face order: a segmentation without a model.
SegmentationPtr halves(const Mesh& mesh) {
  auto seg = std::make_shared<Segmentation>();
  seg->faceLabels.resize(mesh.faces.size());
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    const Vec3 c = (mesh.vertices[mesh.faces[f][0]] + mesh.vertices[mesh.faces[f][1]] +
                    mesh.vertices[mesh.faces[f][2]]) /
                   3.f;
    seg->faceLabels[f] = c.x < mesh.bounds().center().x ? 0 : 1;
  }
  seg->parts.resize(2);
  seg->parts[0].label = 0;
  seg->parts[0].name = "left";
  seg->parts[1].label = 1;
  seg->parts[1].name = "right";
  return seg;
}

}  // namespace

class TestUiViewer : public QObject {
  Q_OBJECT
  std::unique_ptr<MeshViewer> viewer_;
  MeshPtr mesh_;

  QImage frame() {
    QApplication::processEvents();
    return viewer_->renderImage();
  }

 private Q_SLOTS:
  void initTestCase() {
    mesh_ = std::make_shared<const Mesh>(importMesh(uitest::samplePath("table.glb").toStdString()));
    QVERIFY(!mesh_->empty());
    viewer_ = std::make_unique<MeshViewer>();
    viewer_->setFixedSize(480, 360);
    viewer_->show();
    QVERIFY(QTest::qWaitForWindowExposed(viewer_.get()));
  }

  void cleanupTestCase() { viewer_.reset(); }

  void emptyViewIsBackgroundOnly() {
    viewer_->setInput(nullptr);
    const QImage img = frame();
    QCOMPARE(img.size(), QSize(480, 360) * viewer_->devicePixelRatioF());
    QVERIFY2(uitest::foregroundShare(img) < 0.02, "an empty view should show only the background");
  }

  void sampleMeshIsDrawn() {
    viewer_->setInput(mesh_);
    const QImage img = frame();
    uitest::keepShot(img, "viewer_input");
    const double share = uitest::foregroundShare(img);
    QVERIFY2(share > 0.05, qPrintable(QStringLiteral("foreground share %1").arg(share)));
    QCOMPARE(viewer_->triangleCount(), mesh_->faces.size());
  }

  void matchesBaseline() {
    viewer_->setInput(mesh_);
    viewer_->resetView();
    const QImage img = frame();
    if (qEnvironmentVariableIsSet("H3DPART_UPDATE_BASELINES")) {
      QVERIFY(img.save(kBaseline));
      QSKIP("baseline written");
    }
    if (viewer_->devicePixelRatioF() != 1.0) QSKIP("the baseline is for a device pixel ratio of 1");
    const QImage baseline(kBaseline);
    QVERIFY2(!baseline.isNull(), qPrintable("missing baseline " + kBaseline));
    const uitest::ImageDiff d = uitest::compare(img, baseline);
    // Tolerant to Mesa versions (shading rounding), not to a wrong camera or mesh.
    QVERIFY2(d.meanAbs < 4.0 && d.badShare < 0.02,
             qPrintable(QStringLiteral("mean %1, bad share %2").arg(d.meanAbs).arg(d.badShare)));
  }

  void segmentedPartsGetTheirColours() {
    viewer_->setInput(mesh_, halves(*mesh_));
    QCOMPARE(viewer_->partLabels(), QVector<int>({0, 1}));
    QCOMPARE(viewer_->partName(0), QStringLiteral("left"));
    const QColor c0 = viewer_->partColor(0), c1 = viewer_->partColor(1);
    QVERIFY(c0 != c1);
    const QImage img = frame();
    uitest::keepShot(img, "viewer_segmented");
    QVERIFY(uitest::foregroundShare(img) > 0.05);
  }

  void hidingAPartChangesTheFrame() {
    viewer_->setInput(mesh_, halves(*mesh_));
    const QImage both = frame();
    viewer_->setPartVisible(1, false);
    const QImage one = frame();
    QVERIFY(!viewer_->partVisible(1));
    QVERIFY(uitest::foregroundShare(one) < uitest::foregroundShare(both) - 0.01);
    viewer_->setPartVisible(1, true);
    QVERIFY(uitest::compare(frame(), both).meanAbs < 0.5);
  }

  void explodeMovesPartsApart() {
    viewer_->setInput(mesh_, halves(*mesh_));
    const QImage assembled = frame();
    viewer_->setExplode(1.0);
    const QImage exploded = frame();
    uitest::keepShot(exploded, "viewer_exploded");
    QVERIFY(uitest::compare(assembled, exploded).badShare > 0.01);
    viewer_->setExplode(0.0);
  }

  void explodeKeepsEveryPartInView() {
    viewer_->setInput(mesh_, halves(*mesh_));
    viewer_->resetView();
    viewer_->setGridVisible(false);  // the floor and the axes marker reach the border
    viewer_->setAxesVisible(false);
    QSignalSpy changed(viewer_.get(), &ui::MeshViewer::explodeChanged);
    viewer_->setExplode(2.0);  // far apart: they would leave a reset view
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.first().first().toDouble(), 2.0);
    const QImage img = frame();
    // No part touches the frame's border: a margin of background all round.
    const QImage rgb = img.convertToFormat(QImage::Format_RGB32);
    auto background = [&](int x, int y) {
      const QColor p(rgb.pixel(x, y)), bg(rgb.pixel(0, y));
      return std::abs(p.red() - bg.red()) < 40 && std::abs(p.green() - bg.green()) < 40 &&
             std::abs(p.blue() - bg.blue()) < 40;
    };
    for (int x = 0; x < rgb.width(); x += 2) {
      QVERIFY2(background(x, 1), qPrintable(QString("top edge at x=%1").arg(x)));
      QVERIFY2(background(x, rgb.height() - 2), qPrintable(QString("bottom edge x=%1").arg(x)));
    }
    for (int y = 0; y < rgb.height(); y += 2) {
      QVERIFY2(background(1, y), qPrintable(QString("left edge at y=%1").arg(y)));
      QVERIFY2(background(rgb.width() - 2, y), qPrintable(QString("right edge y=%1").arg(y)));
    }
    viewer_->setExplode(2.0);  // no change: no signal
    QCOMPARE(changed.size(), 1);
    viewer_->setExplode(0.0);
    viewer_->setGridVisible(true);
    viewer_->setAxesVisible(true);
    viewer_->resetView();
  }

  void shadingWireframeAxesGrid() {
    viewer_->setInput(mesh_);
    const QImage smooth = frame();
    viewer_->setSmoothShading(false);
    viewer_->setWireframe(true);
    const QImage wire = frame();
    uitest::keepShot(wire, "viewer_flat_wireframe");
    QVERIFY(uitest::compare(smooth, wire).meanAbs > 0.5);
    viewer_->setSmoothShading(true);
    viewer_->setWireframe(false);
    viewer_->setAxesVisible(false);
    viewer_->setGridVisible(false);
    const QImage bare = frame();
    QVERIFY(uitest::compare(smooth, bare).meanAbs > 0.05);
    viewer_->setAxesVisible(true);
    viewer_->setGridVisible(true);
  }

  void hoverNamesThePartUnderTheCursor() {
    viewer_->setInput(mesh_, halves(*mesh_));
    QSignalSpy spy(viewer_.get(), &MeshViewer::hoveredPartChanged);
    // Find a pixel well inside the left part (its neighbours match too), from
    // the frame itself.
    const QImage img = frame().convertToFormat(QImage::Format_RGB32);
    const QColor left = viewer_->partColor(0);
    auto isLeft = [&](int x, int y) {
      if (x < 0 || y < 0 || x >= img.width() || y >= img.height()) return false;
      const QColor p(img.pixel(x, y));
      return std::abs(p.hueF() - left.hueF()) < 0.03 && p.saturationF() > 0.3;
    };
    const int m = int(8 * viewer_->devicePixelRatioF());
    QPoint target(-1, -1);
    for (int y = 0; y < img.height() && target.x() < 0; y += 3)
      for (int x = 0; x < img.width() / 2 && target.x() < 0; x += 3)
        if (isLeft(x, y) && isLeft(x - m, y - m) && isLeft(x + m, y + m) && isLeft(x - m, y + m) &&
            isLeft(x + m, y - m))
          target = QPoint(x, y);
    QVERIFY2(target.x() >= 0, "no pixel of the left part found");
    const double dpr = viewer_->devicePixelRatioF();
    QTest::mouseMove(viewer_.get(), QPoint(int(target.x() / dpr), int(target.y() / dpr)));
    QTRY_COMPARE_WITH_TIMEOUT(viewer_->hoveredPart(), 0, 3000);
    QVERIFY(!spy.isEmpty());
    QCOMPARE(spy.last().at(1).toString(), QStringLiteral("left"));
    uitest::keepShot(frame(), "viewer_hover");
  }

  void generatedLayerAndToggle() {
    viewer_->setInput(mesh_, halves(*mesh_));
    auto generated = std::make_shared<GeneratedParts>();
    PartMesh part;
    part.label = 0;
    part.name = "left";
    part.mesh = *mesh_;
    generated->parts.push_back(part);
    viewer_->setGenerated(generated);
    viewer_->setShowGenerated(true);
    QCOMPARE(viewer_->partLabels(), QVector<int>({0}));
    viewer_->setShowGenerated(false);
    QCOMPARE(viewer_->partLabels(), QVector<int>({0, 1}));
    viewer_->setGenerated(nullptr);
    QVERIFY(!viewer_->hasGenerated());
  }
};

H3D_UI_TEST_MAIN(TestUiViewer)
#include "test_ui_viewer.moc"
