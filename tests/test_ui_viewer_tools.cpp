// The viewer's editing tools under Xvfb (Mesa): picking, clicks per tool, the
// brush, lasso and rectangle selections (front-facing, not occluded), part
// styles, the preview overlay, the selection tint, the box widget and the
// incremental rebuild of setInput.
#include <QElapsedTimer>
#include <QtTest>
#include <algorithm>
#include <climits>
#include <cmath>
#include <memory>
#include <set>

#include "h3dpart/ui/mesh_viewer.h"
#include "ui_test_support.h"

using namespace h3d;
using h3d::ui::MeshViewer;
using h3d::ui::PartStyle;
using h3d::ui::ViewerTool;

namespace {

constexpr int kFacesPerBox = 12;
// Sides in face order: -x, +x, -y, +y, -z, +z; two triangles each.
enum Side { kMinusX, kPlusX, kMinusY, kPlusY, kMinusZ, kPlusZ };

std::uint32_t faceOf(int box, Side side, int k = 0) {
  return std::uint32_t(box * kFacesPerBox + 2 * int(side) + k);
}

// A closed box, triangles wound outwards, sides in the order of Side.
void addBox(Mesh& mesh, const Box3& b) {
  const Vec3 c = b.center();
  for (int axis = 0; axis < 3; ++axis)
    for (int sign = 0; sign < 2; ++sign) {
      const int u = (axis + 1) % 3, v = (axis + 2) % 3;
      std::array<std::uint32_t, 4> ids{};
      const float corner[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
      for (int k = 0; k < 4; ++k) {
        Vec3 p;
        p[axis] = sign ? b.hi[axis] : b.lo[axis];
        p[u] = corner[k][0] ? b.hi[u] : b.lo[u];
        p[v] = corner[k][1] ? b.hi[v] : b.lo[v];
        ids[std::size_t(k)] = std::uint32_t(mesh.vertices.size());
        mesh.vertices.push_back(p);
      }
      Triangle t0{ids[0], ids[1], ids[2]}, t1{ids[0], ids[2], ids[3]};
      const Vec3& a = mesh.vertices[ids[0]];
      const Vec3 n = cross(mesh.vertices[ids[1]] - a, mesh.vertices[ids[2]] - a);
      if (dot(n, a - c) < 0) {  // wound inwards: flip
        std::swap(t0[1], t0[2]);
        std::swap(t1[1], t1[2]);
      }
      mesh.faces.push_back(t0);
      mesh.faces.push_back(t1);
    }
}

const Box3 kBox0{{-1.5f, 0.f, -0.5f}, {-0.5f, 1.f, 0.5f}};
const Box3 kBox1{{0.5f, 0.f, -0.5f}, {1.5f, 1.f, 0.5f}};

Vec3 sideCentre(const Box3& b, Side side) {
  Vec3 p = b.center();
  const int axis = int(side) / 2;
  p[axis] = (int(side) % 2) ? b.hi[axis] : b.lo[axis];
  return p;
}

// A UV sphere with about `triangles` triangles, labelled in `parts` slices.
std::pair<MeshPtr, std::shared_ptr<Segmentation>> sphere(int triangles, int parts) {
  const int n = std::max(8, int(std::sqrt(triangles / 2.0)));
  auto mesh = std::make_shared<Mesh>();
  for (int i = 0; i <= n; ++i)
    for (int j = 0; j <= n; ++j) {
      const float th = float(M_PI) * float(i) / float(n),
                  ph = 2 * float(M_PI) * float(j) / float(n);
      mesh->vertices.push_back(
          {std::sin(th) * std::cos(ph), std::cos(th), std::sin(th) * std::sin(ph)});
    }
  auto seg = std::make_shared<Segmentation>();
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const auto a = std::uint32_t(i * (n + 1) + j), b = a + 1, c = a + std::uint32_t(n + 1),
                 d = c + 1;
      mesh->faces.push_back({a, c, b});
      mesh->faces.push_back({b, c, d});
      const int label = j * parts / n;
      seg->faceLabels.push_back(label);
      seg->faceLabels.push_back(label);
    }
  seg->parts.resize(std::size_t(parts));
  for (int p = 0; p < parts; ++p) seg->parts[std::size_t(p)].label = p;
  return {mesh, seg};
}

}  // namespace

Q_DECLARE_METATYPE(h3d::ui::ViewerTool)

class TestUiViewerTools : public QObject {
  Q_OBJECT
  std::unique_ptr<MeshViewer> viewer_;
  MeshPtr mesh_;
  SegmentationPtr seg_;

  QImage frame() {
    QApplication::processEvents();
    return viewer_->renderImage().convertToFormat(QImage::Format_RGB32);
  }

  QColor pixelAt(const QImage& img, QPointF widgetPos) {
    const double r = viewer_->devicePixelRatioF();
    return QColor(img.pixel(int(widgetPos.x() * r), int(widgetPos.y() * r)));
  }

  void send(QEvent::Type type, QPointF pos, Qt::MouseButton button, Qt::MouseButtons buttons,
            Qt::KeyboardModifiers mods = Qt::NoModifier) {
    QMouseEvent e(type, pos, viewer_->mapToGlobal(pos), button, buttons, mods);
    QApplication::sendEvent(viewer_.get(), &e);
  }
  void press(QPointF p, Qt::KeyboardModifiers m = Qt::NoModifier) {
    send(QEvent::MouseButtonPress, p, Qt::LeftButton, Qt::LeftButton, m);
  }
  void dragTo(QPointF p) { send(QEvent::MouseMove, p, Qt::NoButton, Qt::LeftButton); }
  void release(QPointF p, Qt::KeyboardModifiers m = Qt::NoModifier) {
    send(QEvent::MouseButtonRelease, p, Qt::LeftButton, Qt::NoButton, m);
  }
  void click(QPointF p, Qt::KeyboardModifiers m = Qt::NoModifier) {
    press(p, m);
    release(p, m);
  }

  // The widget rectangle that a box covers on screen.
  QRectF screenRect(const Box3& b) {
    QPolygonF corners;
    for (int k = 0; k < 8; ++k)
      corners << viewer_->projectToWidget(
          {k & 1 ? b.hi.x : b.lo.x, k & 2 ? b.hi.y : b.lo.y, k & 4 ? b.hi.z : b.lo.z});
    return corners.boundingRect();
  }

  void fresh(ViewerTool tool) {
    viewer_->setInput(mesh_, seg_);
    viewer_->resetView();
    viewer_->setTool(tool);
    frame();
  }

 private Q_SLOTS:
  void initTestCase() {
    auto mesh = std::make_shared<Mesh>();
    addBox(*mesh, kBox0);
    addBox(*mesh, kBox1);
    mesh_ = mesh;
    auto seg = std::make_shared<Segmentation>();
    seg->faceLabels.assign(2 * kFacesPerBox, 0);
    std::fill(seg->faceLabels.begin() + kFacesPerBox, seg->faceLabels.end(), 1);
    seg->parts.resize(2);
    seg->parts[0].label = 0;
    seg->parts[0].name = "left";
    seg->parts[1].label = 1;
    seg->parts[1].name = "right";
    seg_ = seg;
    viewer_ = std::make_unique<MeshViewer>();
    viewer_->setFixedSize(640, 420);
    viewer_->setAxesVisible(false);
    viewer_->show();
    QVERIFY(QTest::qWaitForWindowExposed(viewer_.get()));
    viewer_->setInput(mesh_, seg_);
    frame();
  }

  void cleanupTestCase() { viewer_.reset(); }

  void pickFaceFindsTheTopFace_data() {
    QTest::addColumn<int>("box");
    QTest::newRow("left box") << 0;
    QTest::newRow("right box") << 1;
  }
  void pickFaceFindsTheTopFace() {
    QFETCH(int, box);
    fresh(ViewerTool::Navigate);
    const Vec3 centre = sideCentre(box ? kBox1 : kBox0, kPlusY);
    Vec3 point;
    const long face = viewer_->pickFace(viewer_->projectToWidget(centre), &point);
    QVERIFY2(face == long(faceOf(box, kPlusY, 0)) || face == long(faceOf(box, kPlusY, 1)),
             qPrintable(QString::number(face)));
    QVERIFY2(length(point - centre) < 0.03f,
             qPrintable(QStringLiteral("%1 %2 %3").arg(point.x).arg(point.y).arg(point.z)));
    QCOMPARE(viewer_->pickFace(QPointF(4, 4)), -1L);  // background
  }

  void hiddenPartsAreNotPickable() {
    fresh(ViewerTool::Navigate);
    const QPointF at = viewer_->projectToWidget(sideCentre(kBox0, kPlusY));
    QVERIFY(viewer_->pickFace(at) >= 0);
    viewer_->setPartVisible(0, false);
    frame();
    QCOMPARE(viewer_->pickFace(at), -1L);
    viewer_->setPartVisible(0, true);
  }

  void navigateClickNamesThePart_data() {
    QTest::addColumn<int>("box");  // -1: background
    QTest::addColumn<int>("label");
    QTest::newRow("left") << 0 << 0;
    QTest::newRow("right") << 1 << 1;
    QTest::newRow("background") << -1 << INT_MIN;
  }
  void navigateClickNamesThePart() {
    QFETCH(int, box);
    QFETCH(int, label);
    fresh(ViewerTool::Navigate);
    QSignalSpy spy(viewer_.get(), &MeshViewer::partClicked);
    const QPointF at =
        box < 0 ? QPointF(6, 6) : viewer_->projectToWidget(sideCentre(box ? kBox1 : kBox0, kPlusZ));
    click(at, Qt::ShiftModifier);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toInt(), label);
    QCOMPARE(spy.at(0).at(1).value<Qt::KeyboardModifiers>(),
             Qt::KeyboardModifiers(Qt::ShiftModifier));
  }

  void promptAndSplitClickCarryTheFace_data() {
    QTest::addColumn<ViewerTool>("tool");
    QTest::newRow("prompt") << ViewerTool::Prompt;
    QTest::newRow("split") << ViewerTool::Split;
  }
  void promptAndSplitClickCarryTheFace() {
    QFETCH(ViewerTool, tool);
    fresh(tool);
    QCOMPARE(viewer_->tool(), tool);
    QSignalSpy spy(viewer_.get(), &MeshViewer::surfaceClicked);
    QSignalSpy parts(viewer_.get(), &MeshViewer::partClicked);
    const Vec3 centre = sideCentre(kBox1, kPlusZ);
    click(viewer_->projectToWidget(centre));
    QCOMPARE(spy.count(), 1);
    const auto face = spy.at(0).at(0).value<quint32>();
    QVERIFY2(face == faceOf(1, kPlusZ, 0) || face == faceOf(1, kPlusZ, 1),
             qPrintable(QString::number(face)));
    QVERIFY(length(spy.at(0).at(1).value<Vec3>() - centre) < 0.03f);
    QCOMPARE(parts.count(), 0);
    click(QPointF(6, 6));  // background: nothing
    QCOMPARE(spy.count(), 1);
  }

  void doubleClickIsOneClick() {
    fresh(ViewerTool::Split);
    QSignalSpy spy(viewer_.get(), &MeshViewer::surfaceClicked);
    const QPointF at = viewer_->projectToWidget(sideCentre(kBox1, kPlusZ));
    // What Qt sends for a double click: press, release, double-click, release.
    press(at);
    release(at);
    send(QEvent::MouseButtonDblClick, at, Qt::LeftButton, Qt::LeftButton);
    release(at);
    QCOMPARE(spy.count(), 1);
    click(at);  // the next single click counts again
    QCOMPARE(spy.count(), 2);
  }

  void leftDragInPromptRotatesInsteadOfClicking() {
    fresh(ViewerTool::Prompt);
    QSignalSpy spy(viewer_.get(), &MeshViewer::surfaceClicked);
    const QImage before = frame();
    const QPointF a = viewer_->projectToWidget(sideCentre(kBox1, kPlusZ));
    press(a);
    for (int i = 1; i <= 5; ++i) dragTo(a + QPointF(12 * i, 0));
    release(a + QPointF(60, 0));
    QCOMPARE(spy.count(), 0);
    QVERIFY(uitest::compare(before, frame()).badShare > 0.01);  // the camera turned
  }

  void brushDragDabsThenFinishes() {
    fresh(ViewerTool::Brush);
    viewer_->setBrushRadius(0.2f);
    QCOMPARE(viewer_->brushRadius(), 0.2f);
    QStringList events;
    QVector<quint32> faces;
    connect(viewer_.get(), &MeshViewer::brushDab, this, [&](quint32 f, Vec3) {
      events << "dab";
      faces << f;
    });
    connect(viewer_.get(), &MeshViewer::brushStrokeFinished, this, [&] { events << "end"; });
    const QImage before = frame();
    const QPointF a = viewer_->projectToWidget(sideCentre(kBox0, kPlusY));
    dragTo(a);  // no button: the circle cursor only
    send(QEvent::MouseMove, a, Qt::NoButton, Qt::NoButton);
    const QImage cursor = frame();
    uitest::keepShot(cursor, "tools_brush");
    QVERIFY2(uitest::compare(before, cursor).meanAbs > 0.01, "no brush circle drawn");
    press(a);
    dragTo(a + QPointF(1, 0));  // under 2 px: no dab
    dragTo(a + QPointF(5, 0));
    dragTo(a + QPointF(10, 0));
    release(a + QPointF(10, 0));
    disconnect(viewer_.get(), nullptr, this, nullptr);
    QCOMPARE(events, QStringList({"dab", "dab", "dab", "end"}));
    for (quint32 f : faces) QVERIFY(f == faceOf(0, kPlusY, 0) || f == faceOf(0, kPlusY, 1));
    QCOMPARE(frame().pixel(0, 0), before.pixel(0, 0));  // the camera did not move
  }

  void outlineSelectsVisibleFacesOfOneBox_data() {
    QTest::addColumn<ViewerTool>("tool");
    QTest::newRow("rectangle") << ViewerTool::Rectangle;
    QTest::newRow("lasso") << ViewerTool::Lasso;
  }
  void outlineSelectsVisibleFacesOfOneBox() {
    QFETCH(ViewerTool, tool);
    fresh(tool);
    QSignalSpy spy(viewer_.get(), &MeshViewer::facesSelected);
    const QRectF r = screenRect(kBox0).adjusted(-6, -6, 6, 6);
    QVERIFY(!r.intersects(screenRect(kBox1)));  // the fixture keeps the boxes apart on screen
    press(r.topLeft(), Qt::ControlModifier);
    const QPointF path[] = {r.topRight(), r.bottomRight(), r.bottomLeft(),
                            r.topLeft() + QPointF(0, 3)};
    for (const QPointF& p : path)
      for (int k = 1; k <= 4; ++k) dragTo(p);
    uitest::keepShot(frame(), tool == ViewerTool::Lasso ? "tools_lasso" : "tools_rectangle");
    release(tool == ViewerTool::Lasso ? r.topLeft() + QPointF(0, 3) : r.bottomRight(),
            Qt::ControlModifier);
    QCOMPARE(spy.count(), 1);
    const auto faces = spy.at(0).at(0).value<std::vector<std::uint32_t>>();
    QCOMPARE(spy.at(0).at(1).value<Qt::KeyboardModifiers>(),
             Qt::KeyboardModifiers(Qt::ControlModifier));
    const std::set<std::uint32_t> got(faces.begin(), faces.end());
    const std::set<std::uint32_t> front{faceOf(0, kPlusX), faceOf(0, kPlusX, 1),
                                        faceOf(0, kPlusY), faceOf(0, kPlusY, 1),
                                        faceOf(0, kPlusZ), faceOf(0, kPlusZ, 1)};
    for (auto f : got)
      QVERIFY2(front.count(f), qPrintable(QStringLiteral("face %1 selected").arg(f)));
    for (Side s : {kPlusY, kPlusZ})
      for (int k : {0, 1}) QVERIFY(got.count(faceOf(0, s, k)));
  }

  void occludedFacesAreNotSelected() {
    fresh(ViewerTool::Navigate);
    // Look along the line through both boxes: the nearer one hides the other.
    double best = 1e9, bestAngle = 0;
    for (double a = -90; a <= 90; a += 2) {  // find the view where the two centres coincide
      viewer_->resetView();
      viewer_->rotateCamera(a);
      const double d =
          QLineF(viewer_->projectToWidget(kBox0.center()), viewer_->projectToWidget(kBox1.center()))
              .length();
      if (d < best) best = d, bestAngle = a;
    }
    viewer_->resetView();
    viewer_->rotateCamera(bestAngle);
    const QPointF c1 = viewer_->projectToWidget(kBox1.center());
    uitest::keepShot(frame(), "tools_occlusion_view");
    const QPolygonF all(QRectF(1, 1, viewer_->width() - 2, viewer_->height() - 2));
    const auto faces = viewer_->facesInside(all);
    const std::set<std::uint32_t> got(faces.begin(), faces.end());
    // Which box is in front: the one whose centre is nearer the picked point.
    Vec3 hit;
    const long under = viewer_->pickFace(c1, &hit);
    QVERIFY(under >= 0);
    const int front = int(under) / kFacesPerBox, back = 1 - front;
    // The hidden box's side that faces the other box is front-facing but occluded.
    const Side facing = back == 0 ? kPlusX : kMinusX;
    QVERIFY2(!got.count(faceOf(back, facing)) && !got.count(faceOf(back, facing, 1)),
             "an occluded face was selected");
    QVERIFY(got.count(faceOf(front, back == 0 ? kPlusX : kMinusX)) ||
            got.count(faceOf(front, back == 0 ? kPlusX : kMinusX, 1)));
    viewer_->resetView();
  }

  void escapeCancelsTheOutline() {
    fresh(ViewerTool::Rectangle);
    QSignalSpy spy(viewer_.get(), &MeshViewer::facesSelected);
    const QRectF r = screenRect(kBox0).adjusted(-6, -6, 6, 6);
    press(r.topLeft());
    dragTo(r.bottomRight());
    QTest::keyClick(viewer_.get(), Qt::Key_Escape);
    release(r.bottomRight());
    QCOMPARE(spy.count(), 0);
  }

  void partStylesRecolourRenameAndHide() {
    fresh(ViewerTool::Navigate);
    QSignalSpy changed(viewer_.get(), &MeshViewer::partsChanged);
    const QPointF at = viewer_->projectToWidget(sideCentre(kBox0, kPlusZ));
    const QColor before = pixelAt(frame(), at);
    viewer_->setPartStyles({PartStyle{0, QStringLiteral("seat"), QColor(20, 40, 230), true}});
    QCOMPARE(changed.count(), 1);
    QCOMPARE(viewer_->partName(0), QStringLiteral("seat"));
    QCOMPARE(viewer_->partName(1), QStringLiteral("right"));  // not listed: unchanged
    QCOMPARE(viewer_->partColor(0), QColor(20, 40, 230));
    const QImage styled = frame();
    uitest::keepShot(styled, "tools_styles");
    const QColor after = pixelAt(styled, at);
    QVERIFY2(after != before && after.blue() > after.red() + 60,
             qPrintable(QStringLiteral("%1 -> %2").arg(before.name(), after.name())));
    viewer_->setPartStyles({PartStyle{0, QStringLiteral("seat"), QColor(20, 40, 230), false}});
    QVERIFY(!viewer_->partVisible(0));
    const QColor hidden = pixelAt(frame(), at);
    QVERIFY(std::abs(hidden.blue() - after.blue()) + std::abs(hidden.red() - after.red()) > 40);
    QCOMPARE(viewer_->pickFace(at), -1L);
  }

  void previewFacesAreDrawnOnTop() {
    fresh(ViewerTool::Brush);
    const QPointF at = viewer_->projectToWidget(mesh_->faceCentroid(faceOf(0, kPlusY)));
    const QColor before = pixelAt(frame(), at);
    viewer_->setPreviewFaces({faceOf(0, kPlusY), faceOf(0, kPlusY, 1)}, QColor(255, 0, 0));
    const QImage img = frame();
    uitest::keepShot(img, "tools_preview");
    const QColor red = pixelAt(img, at);
    QVERIFY2(red.red() > red.green() + 80 && red.red() > red.blue() + 80,
             qPrintable(QStringLiteral("%1 -> %2").arg(before.name(), red.name())));
    viewer_->setPreviewFaces({}, QColor());
    QCOMPARE(pixelAt(frame(), at), before);
  }

  void selectedPartsAreTinted() {
    fresh(ViewerTool::Navigate);
    const QPointF at = viewer_->projectToWidget(sideCentre(kBox1, kPlusZ));
    const QColor before = pixelAt(frame(), at);
    viewer_->setSelectedParts({1});
    QCOMPARE(viewer_->selectedParts(), QVector<int>({1}));
    const QImage img = frame();
    uitest::keepShot(img, "tools_selected");
    const QColor after = pixelAt(img, at);
    QVERIFY2(std::abs(after.red() - before.red()) + std::abs(after.green() - before.green()) +
                     std::abs(after.blue() - before.blue()) >
                 40,
             qPrintable(QStringLiteral("%1 -> %2").arg(before.name(), after.name())));
    viewer_->setSelectedParts({});
    QCOMPARE(pixelAt(frame(), at), before);
  }

  void boxWidgetPlacesAndReportsEdits() {
    fresh(ViewerTool::Box);
    const Box3 box{{-1.6f, -0.1f, -0.6f}, {-0.4f, 1.1f, 0.6f}};
    QVERIFY(!viewer_->boxShown());
    viewer_->showBox(box);
    QVERIFY(viewer_->boxShown());
    const Box3 placed = viewer_->boxBounds();
    QVERIFY(length(placed.lo - box.lo) < 1e-4f && length(placed.hi - box.hi) < 1e-4f);
    const QImage shown = frame();
    uitest::keepShot(shown, "tools_box");
    // Drag the +y face handle (the centre of the top side) upwards.
    QSignalSpy spy(viewer_.get(), &MeshViewer::boxEdited);
    const QPointF handle = viewer_->projectToWidget(Vec3{box.center().x, box.hi.y, box.center().z});
    send(QEvent::MouseMove, handle, Qt::NoButton, Qt::NoButton);
    press(handle);
    for (int k = 1; k <= 6; ++k) dragTo(handle - QPointF(0, 5 * k));
    release(handle - QPointF(0, 30));
    QCOMPARE(spy.count(), 1);
    const Box3 edited = spy.at(0).at(0).value<Box3>();
    QVERIFY2(edited.hi.y > box.hi.y + 0.05f, qPrintable(QString::number(edited.hi.y)));
    QVERIFY(std::abs(edited.lo.y - box.lo.y) < 1e-3f);
    QVERIFY(std::abs(edited.lo.x - box.lo.x) < 1e-3f && std::abs(edited.hi.x - box.hi.x) < 1e-3f);
    // Outside the Box tool the box is shown but a drag on a handle turns the camera.
    viewer_->setTool(ViewerTool::Navigate);
    const QPointF moved =
        viewer_->projectToWidget(Vec3{edited.center().x, edited.hi.y, edited.center().z});
    press(moved);
    for (int k = 1; k <= 6; ++k) dragTo(moved - QPointF(0, 5 * k));
    release(moved - QPointF(0, 30));
    QCOMPARE(spy.count(), 1);
    QVERIFY(viewer_->boxShown());
    viewer_->resetView();
    viewer_->hideBox();
    QVERIFY(!viewer_->boxShown());
    QVERIFY(uitest::compare(shown, frame()).meanAbs > 0.05);
  }

  // setInput with the same mesh and a small label edit keeps the actors of
  // the parts it did not touch: faster than a full rebuild (a new mesh).
  // H3DPART_VIEWER_BENCH_FACES sets the mesh size (default 200k triangles).
  void smallEditRebuildsOnlyTouchedParts() {
    const int triangles = qEnvironmentVariableIntValue("H3DPART_VIEWER_BENCH_FACES") > 0
                              ? qEnvironmentVariableIntValue("H3DPART_VIEWER_BENCH_FACES")
                              : 200000;
    auto [mesh, seg] = sphere(triangles, 8);
    viewer_->setTool(ViewerTool::Navigate);
    viewer_->setInput(mesh, seg);
    frame();
    auto edited = std::make_shared<Segmentation>(*seg);
    int moved = 0;
    for (std::size_t f = 0; f < edited->faceLabels.size() && moved < 500; ++f)
      if (edited->faceLabels[f] == 0) {
        edited->faceLabels[f] = 1;
        ++moved;
      }
    QElapsedTimer clock;
    clock.start();
    viewer_->setInput(mesh, edited);
    const double incremental = double(clock.nsecsElapsed()) / 1e6;
    frame();
    const double incrementalFrame = double(clock.nsecsElapsed()) / 1e6;
    QCOMPARE(viewer_->partLabels().size(), 8);
    QCOMPARE(viewer_->triangleCount(), mesh->faces.size());
    // A full rebuild: the same content as a new mesh (what every setInput cost before).
    auto copy = std::make_shared<const Mesh>(*mesh);
    clock.restart();
    viewer_->setInput(copy, seg);
    const double full = double(clock.nsecsElapsed()) / 1e6;
    frame();
    const double fullFrame = double(clock.nsecsElapsed()) / 1e6;
    qInfo(
        "%zu triangles, 8 parts, %d faces relabelled: setInput %.1f ms (with next frame %.1f ms) "
        "incremental vs %.1f ms (%.1f ms) full rebuild",
        mesh->faces.size(), moved, incremental, incrementalFrame, full, fullFrame);
    viewer_->setInput(mesh_, seg_);
  }
};

H3D_UI_TEST_MAIN(TestUiViewerTools)
#include "test_ui_viewer_tools.moc"
