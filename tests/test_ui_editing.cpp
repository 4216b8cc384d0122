// The editing wiring of the main window, on the real engine and default
// models: segment, then merge / rename / recolour / hide / isolate / delete
// with undo and redo from the Edit menu's actions; point prompt, brush, lasso
// faces and split through the editing tools; an edited box and Generate
// Selected; the unsaved-changes mark, the close prompt, project save and open
// (identical document) and restoring an autosave a crashed session left.
#include <QAction>
#include <QListWidget>
#include <QSlider>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>
#include <memory>

#include "actions/edit_tools.h"
#include "actions/file_actions.h"
#include "actions/part_actions.h"
#include "document/autosave.h"
#include "h3dpart/engine/inference_engine.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/project_file.h"
#include "h3dpart/recovery.h"
#include "h3dpart/ui/job_controller.h"
#include "h3dpart/ui/main_window.h"
#include "h3dpart/ui/mesh_loader.h"
#include "h3dpart/ui/mesh_viewer.h"
#include "h3dpart/ui/parts_panel.h"
#include "h3dpart/ui/studio_document.h"
#include "ui_test_support.h"

using namespace h3d;
using h3d::ui::MainWindow;

class TestUiEditing : public QObject {
  Q_OBJECT
  std::shared_ptr<ModelManager> manager_;
  std::unique_ptr<InferenceEngine> engine_;
  std::unique_ptr<MainWindow> window_;
  QTemporaryDir tmp_;
  PartDocument segmented_;  // the document right after Segment

  ui::StudioDocument& doc() { return window_->document(); }
  const PartDocument& model() { return window_->document().model(); }
  QUndoStack& undo() { return window_->document().undoStack(); }
  QString recoveryDir() { return tmp_.filePath("recovery"); }

  std::unique_ptr<MainWindow> makeWindow() {
    auto w = std::make_unique<MainWindow>(*engine_, nullptr, recoveryDir().toStdString());
    w->askUnsaved = [] { return QMessageBox::Discard; };
    w->askRestore = [](const QString&) { return QMessageBox::Cancel; };
    w->resize(1200, 780);
    return w;
  }

  void openAndWait(MainWindow& w, const QString& path) {
    QSignalSpy loaded(&w.loader(), &ui::MeshLoader::loaded);
    QSignalSpy project(&w.loader(), &ui::MeshLoader::projectLoaded);
    QSignalSpy failed(&w.loader(), &ui::MeshLoader::failed);
    w.openFile(path);
    QTRY_VERIFY_WITH_TIMEOUT(loaded.size() + project.size() + failed.size() > 0, 30000);
    QCOMPARE(failed.size(), 0);
  }

  // A part with at least `faces` faces.
  int partWithFaces(std::size_t faces) {
    for (int k = 0; k < model().partCount(); ++k)
      if (model().facesOf(k) >= faces) return k;
    return -1;
  }

  // The first face of `part` and its centroid.
  std::pair<std::uint32_t, Vec3> faceOf(int part, std::size_t nth = 0) {
    const auto& labels = model().faceLabels();
    std::size_t seen = 0;
    for (std::uint32_t f = 0; f < labels.size(); ++f)
      if (labels[f] == part && seen++ == nth) return {f, model().mesh().faceCentroid(f)};
    return {0, Vec3{}};
  }

  void shot(const QString& name) { uitest::keepShot(window_->grab().toImage(), name); }

 private Q_SLOTS:
  void initTestCase() {
    QSettings().clear();
    ManagerConfig config;
    config.device = "cpu";
    manager_ = std::make_shared<ModelManager>(config);
    const auto problems = manager_->addPackages(uitest::modelsDir().toStdString());
    QVERIFY2(problems.empty(), problems.empty() ? "" : problems.front().c_str());
    engine_ = std::make_unique<InferenceEngine>(manager_);
    window_ = makeWindow();
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    openAndWait(*window_, uitest::samplePath("table.glb"));
    QVERIFY(!window_->isWindowModified());
    QVERIFY(window_->windowTitle().startsWith("table.glb"));
    window_->segmentAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(doc().hasSegmentation() && !window_->jobs().running(), 240000);
    segmented_ = model();
  }

  void cleanupTestCase() {
    window_.reset();
    engine_.reset();
    manager_.reset();
  }

  void segmentIsOneUndoableEditAndMarksTheWindowModified() {
    QVERIFY(model().partCount() >= 3);
    QCOMPARE(undo().count(), 1);
    QVERIFY(window_->isWindowModified());
    QVERIFY(window_->windowTitle().contains("[*]"));
    QCOMPARE(window_->partsPanel().rowCount(), model().partCount());
    QVERIFY(!model().models().empty());  // the packages that made it, with hashes
    QCOMPARE(model().models().front().sha256.size(), std::size_t(64));
    window_->undoAction()->trigger();
    QCOMPARE(model().partCount(), 0);
    QVERIFY(!doc().hasSegmentation());
    QVERIFY(!window_->generateAction()->isEnabled());
    window_->redoAction()->trigger();
    QVERIFY(model() == segmented_);
    QVERIFY(window_->generateAction()->isEnabled());
  }

  void mergeFromTheListUndoRedo() {
    const int before = model().partCount();
    window_->partsPanel().selectParts({0, 1});
    QCOMPARE(window_->partsPanel().selectedParts(), (std::vector<int>{0, 1}));
    QVERIFY(window_->partActions().merge()->isEnabled());
    const std::size_t faces = model().facesOf(0) + model().facesOf(1);
    window_->partActions().merge()->trigger();
    QCOMPARE(model().partCount(), before - 1);
    QCOMPARE(model().facesOf(0), faces);
    QCOMPARE(window_->partsPanel().rowCount(), before - 1);
    QCOMPARE(window_->undoAction()->text(), QStringLiteral("&Undo Merge parts"));
    shot("editing_merged");
    window_->undoAction()->trigger();
    QVERIFY(model() == segmented_);
    window_->redoAction()->trigger();
    QCOMPARE(model().partCount(), before - 1);
    window_->undoAction()->trigger();
    QVERIFY(model() == segmented_);
  }

  void renameInTheListIsUndoable() {
    QListWidget* list = window_->partsPanel().list();
    QListWidgetItem* item = list->item(1);
    QVERIFY(item->flags() & Qt::ItemIsEditable);
    item->setText("  left leg ");
    QCOMPARE(model().parts()[1].name, std::string("left leg"));
    QCOMPARE(window_->viewer().partName(1), QStringLiteral("left leg"));
    QCOMPARE(window_->partsPanel().list()->item(1)->text(), QStringLiteral("left leg"));
    window_->undoAction()->trigger();
    QCOMPARE(model().parts()[1].name, segmented_.parts()[1].name);
    // An empty name is refused, says why and changes nothing.
    window_->partsPanel().list()->item(1)->setText("   ");
    QCOMPARE(model().parts()[1].name, segmented_.parts()[1].name);
    QVERIFY(window_->messageText().contains("name"));
  }

  void recolourHideIsolateShowAll() {
    window_->partActions().askColor = [](const QColor&) { return QColor(10, 200, 30); };
    window_->partsPanel().selectParts({2});
    window_->partActions().recolor()->trigger();
    QCOMPARE(model().parts()[2].color, (Rgb{10, 200, 30}));
    QCOMPARE(window_->viewer().partColor(2), QColor(10, 200, 30));
    window_->partActions().hide()->trigger();
    QVERIFY(!model().parts()[2].visible);
    QVERIFY(!window_->viewer().partVisible(2));
    QCOMPARE(window_->partsPanel().list()->item(2)->checkState(), Qt::Unchecked);
    window_->partActions().isolate()->trigger();  // part 2 is still selected
    for (int k = 0; k < model().partCount(); ++k) QCOMPARE(model().parts()[k].visible, k == 2);
    window_->partActions().showAll()->trigger();
    for (int k = 0; k < model().partCount(); ++k) QVERIFY(model().parts()[k].visible);
    // The check box hides one part as an edit too.
    window_->partsPanel().list()->item(0)->setCheckState(Qt::Unchecked);
    QVERIFY(!model().parts()[0].visible);
    while (undo().canUndo() && undo().index() > 1) window_->undoAction()->trigger();
    QVERIFY(model() == segmented_);
  }

  void deleteGivesFacesToANeighbourOrUnassigned() {
    const int before = model().partCount();
    const int small = model().partCount() - 1;
    window_->partsPanel().selectParts({small});
    window_->partActions().removeToUnassigned()->trigger();
    QCOMPARE(model().partCount(), before - 1);
    const auto unassigned =
        std::count(model().faceLabels().begin(), model().faceLabels().end(), -1);
    QCOMPARE(std::size_t(unassigned), segmented_.facesOf(small) + segmented_.facesOf(-1));
    window_->undoAction()->trigger();
    window_->partsPanel().selectParts({small});
    window_->partActions().remove()->trigger();
    QCOMPARE(model().partCount(), before - 1);
    QCOMPARE(std::size_t(std::count(model().faceLabels().begin(), model().faceLabels().end(), -1)),
             segmented_.facesOf(-1));
    window_->undoAction()->trigger();
    QVERIFY(model() == segmented_);
  }

  void brushAndLassoAssignFacesInOneStep() {
    auto& tools = window_->editTools();
    tools.setTool(ui::ViewerTool::Brush);
    QCOMPARE(window_->viewer().tool(), ui::ViewerTool::Brush);
    window_->partsPanel().selectParts({0});
    const int target = 0;
    const int other = partWithFaces(20) == 0 ? 1 : partWithFaces(20);
    const auto [face, point] = faceOf(other, 3);
    const int undoBefore = undo().index();
    tools.brushDab(face, point);
    tools.brushDab(face, point);  // a second dab in the same place adds nothing
    tools.brushStrokeFinished();
    QCOMPARE(undo().index(), undoBefore + 1);  // one stroke, one undo step
    QCOMPARE(model().faceLabels()[face], target);
    window_->undoAction()->trigger();
    QCOMPARE(model().faceLabels()[face], other);

    // Lasso/rectangle result: Shift makes a new part from the faces.
    std::vector<std::uint32_t> faces;
    for (std::size_t n = 0; n < 5; ++n) faces.push_back(faceOf(other, n).first);
    tools.facesSelected(faces, Qt::ShiftModifier);
    QCOMPARE(model().partCount(), segmented_.partCount() + 1);
    QCOMPARE(model().faceLabels()[faces[0]], model().partCount() - 1);
    window_->undoAction()->trigger();
    QVERIFY(model() == segmented_);
    // No part selected: one message for the whole stroke, nothing painted.
    window_->partsPanel().selectParts({});
    window_->clearMessage();
    int messages = 0;
    QObject scope;
    connect(&tools, &ui::EditTools::message, &scope, [&messages] { ++messages; });
    const int index = undo().index();
    tools.brushDab(face, point);
    tools.brushDab(face, point);
    tools.brushStrokeFinished();
    QCOMPARE(messages, 1);
    QCOMPARE(undo().index(), index);
    QVERIFY(window_->messageText().contains("Select the part"));
    tools.setTool(ui::ViewerTool::Navigate);
  }

  void splitByTwoClicks() {
    auto& tools = window_->editTools();
    tools.setTool(ui::ViewerTool::Split);
    const int part = partWithFaces(100);
    QVERIFY(part >= 0);
    // Two far-apart faces of the same part.
    const auto& labels = model().faceLabels();
    std::uint32_t a = 0, b = 0;
    float best = -1;
    const auto [first, p0] = faceOf(part);
    for (std::uint32_t f = 0; f < labels.size(); ++f) {
      if (labels[f] != part) continue;
      const float d = length(model().mesh().faceCentroid(f) - p0);
      if (d > best) {
        best = d;
        b = f;
      }
    }
    a = first;
    tools.surfaceClicked(a, p0, Qt::NoModifier);
    QCOMPARE(model().partCount(), segmented_.partCount());  // waits for the second click
    tools.surfaceClicked(b, Vec3{}, Qt::NoModifier);
    QCOMPARE(model().partCount(), segmented_.partCount() + 1);
    QCOMPARE(model().faceLabels()[a], part);
    QCOMPARE(model().faceLabels()[b], model().partCount() - 1);
    window_->undoAction()->trigger();
    QVERIFY(model() == segmented_);
    tools.setTool(ui::ViewerTool::Navigate);
  }

  void pointPromptAddsAPartThroughTheEngine() {
    window_->clearMessage();
    auto& tools = window_->editTools();
    tools.setTool(ui::ViewerTool::Prompt);
    tools.setPromptMode(MaskMode::NewPart);
    const int part = partWithFaces(50);
    const auto [face, point] = faceOf(part, 10);
    tools.surfaceClicked(face, point, Qt::NoModifier);
    QVERIFY(window_->jobs().running());
    QTRY_VERIFY_WITH_TIMEOUT(!window_->jobs().running(), 120000);
    QVERIFY2(window_->messageText().isEmpty(), qPrintable(window_->messageText()));
    QCOMPARE(model().partCount(), segmented_.partCount() + 1);
    QCOMPARE(model().faceLabels()[face], model().partCount() - 1);
    QCOMPARE(undo().undoText(), QStringLiteral("Prompt part"));
    window_->undoAction()->trigger();
    QVERIFY(model() == segmented_);
    tools.setTool(ui::ViewerTool::Navigate);
  }

  void editedBoxBoundsGenerateSelected() {
    // The tallest part (a leg): half its box still spans many grid cells.
    int part = 0;
    for (int k = 1; k < model().partCount(); ++k)
      if (model().parts()[std::size_t(k)].box.size().y >
          model().parts()[std::size_t(part)].box.size().y)
        part = k;
    window_->partsPanel().selectParts({part});
    window_->editTools().setTool(ui::ViewerTool::Box);
    QVERIFY(window_->viewer().boxShown());
    // Keep the lower half of the part's box: the generated mesh must stay in it.
    Box3 box = model().parts()[std::size_t(part)].box;
    box.hi.y = (box.lo.y + box.hi.y) / 2;
    window_->editTools().boxEdited(box);
    QVERIFY(model().parts()[std::size_t(part)].boxEdited);
    QVERIFY(model().parts()[std::size_t(part)].box.hi == box.hi);
    QVERIFY(model().parts()[std::size_t(part)].box.lo == box.lo);
    window_->editTools().setTool(ui::ViewerTool::Navigate);
    QVERIFY(!window_->viewer().boxShown());

    window_->jobs().generateOptions().resolution = 32;
    window_->clearMessage();
    QVERIFY(window_->partActions().generateSelected()->isEnabled());
    window_->partActions().generateSelected()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!window_->jobs().running(), 240000);
    QVERIFY2(window_->messageText().isEmpty(), qPrintable(window_->messageText()));
    QVERIFY(doc().hasGenerated());
    QCOMPARE(int(doc().generated()->parts.size()), 1);  // only the selected part
    const std::shared_ptr<const Mesh> made = model().parts()[std::size_t(part)].generated;
    QVERIFY(made && !made->faces.empty());
    const Box3 got = made->bounds();
    const float tolerance = 0.08f * box.size().y + 1e-4f;
    QVERIFY2(got.hi.y <= box.hi.y + tolerance,
             qPrintable(QString("%1 > %2").arg(got.hi.y).arg(box.hi.y)));
    shot("editing_box_generated");
    // Regenerating another part keeps this one.
    const int second = part == 0 ? 1 : 0;
    window_->partsPanel().selectParts({second});
    window_->partActions().generateSelected()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!window_->jobs().running(), 240000);
    QCOMPARE(int(doc().generated()->parts.size()), 2);
    QCOMPARE(model().parts()[std::size_t(part)].generated, made);
  }

  void projectRoundTripAndModifiedMark() {
    const QString path = tmp_.filePath("table_project.h3dp");
    QVERIFY(window_->isWindowModified());
    QCOMPARE(window_->saveProjectAndWait(path, true), QString());
    QVERIFY(!window_->isWindowModified());
    QVERIFY(window_->windowTitle().startsWith("table_project.h3dp"));
    QCOMPARE(doc().projectPath(), path);

    auto other = makeWindow();
    other->show();
    openAndWait(*other, path);
    QVERIFY(other->document().model() == model());
    QCOMPARE(other->document().projectPath(), path);
    QVERIFY(!other->isWindowModified());
    QCOMPARE(other->partsPanel().rowCount(), window_->partsPanel().rowCount());
    QVERIFY(other->document().hasGenerated());

    // Referenced mesh: the project holds no mesh and opens from the same file.
    const QString referenced = tmp_.filePath("referenced.h3dp");
    QCOMPARE(window_->saveProjectAndWait(referenced, false), QString());
    QVERIFY(QFileInfo(referenced).size() < QFileInfo(path).size());
    openAndWait(*other, referenced);
    QVERIFY(other->document().model() == model());
    QVERIFY(!other->fileActions().embedsMesh());  // Save keeps it referenced
    openAndWait(*other, path);
    QVERIFY(other->fileActions().embedsMesh());

    // An edit marks the window modified again; undo back to the saved state clears it.
    window_->partsPanel().selectParts({0});
    window_->partActions().hide()->trigger();
    QVERIFY(window_->isWindowModified());
    window_->undoAction()->trigger();
    QVERIFY(!window_->isWindowModified());
  }

  void badProjectFilesSayWhyAndKeepTheDocument() {
    const QString bad = tmp_.filePath("broken.h3dp");
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("H3DP\r\n\x1a\n garbage");
    f.close();
    const PartDocument before = model();
    QSignalSpy failed(&window_->loader(), &ui::MeshLoader::failed);
    window_->openFile(bad);
    QVERIFY(failed.wait(20000));
    QVERIFY2(window_->messageText().contains("broken.h3dp"), qPrintable(window_->messageText()));
    QVERIFY(model() == before);
  }

  void saveIntoAReadOnlyFolderFailsWithAMessage() {
    // Root writes into read-only folders; nobody creates files under /proc.
    QString target = "/proc/h3dpart-test/p.h3dp";
    if (geteuid() != 0) {
      QDir().mkpath(tmp_.filePath("ro"));
      QFile::setPermissions(tmp_.filePath("ro"), QFileDevice::ReadOwner | QFileDevice::ExeOwner);
      target = tmp_.filePath("ro/p.h3dp");
    }
    window_->partActions().hide()->trigger();
    const QString error = window_->saveProjectAndWait(target, true);
    QVERIFY2(error.contains("p.h3dp"), qPrintable(error));
    QVERIFY(window_->isWindowModified());
    QVERIFY(window_->messageText().contains("p.h3dp"));
    QVERIFY(!QFileInfo::exists(target));
    window_->undoAction()->trigger();
  }

  void closingWithUnsavedChangesAsks() {
    window_->partsPanel().selectParts({0});
    window_->partActions().hide()->trigger();
    QVERIFY(window_->isWindowModified());
    int asked = 0;
    window_->askUnsaved = [&asked] {
      ++asked;
      return QMessageBox::Cancel;
    };
    QVERIFY(!window_->close());
    QCOMPARE(asked, 1);
    QVERIFY(window_->isVisible());
    // Save: the project is written, then the window closes.
    window_->askUnsaved = [&asked] {
      ++asked;
      return QMessageBox::Save;
    };
    QVERIFY(window_->close());
    QCOMPARE(asked, 2);
    QVERIFY(!window_->isWindowModified());
    const PartDocument saved = openProject(doc().projectPath().toStdString());
    QVERIFY(saved == model());
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
  }

  void autosaveWritesASnapshotOnlyWhenChanged() {
    window_->partActions().hide()->trigger();  // modified again
    auto& autosave = window_->autosave();
    QSignalSpy saved(&autosave, &ui::Autosave::saved);
    autosave.saveNow();
    QVERIFY(saved.wait(20000));
    const QString file = saved.first().first().toString();
    QVERIFY(QFileInfo::exists(file));
    QVERIFY(RecoveryStore::restore(file.toStdString()) == model());
    autosave.saveNow();  // nothing changed: no second write
    QTest::qWait(300);
    QCOMPARE(saved.size(), 1);
    // The timer does it too.
    window_->undoAction()->trigger();
    window_->partActions().isolate()->trigger();
    autosave.setInterval(50);
    QVERIFY(saved.wait(20000));
    autosave.setInterval(60000);
    // Saving the project makes the snapshot stale: it goes.
    QVERIFY(QFileInfo::exists(file));
    QCOMPARE(window_->saveProjectAndWait(doc().projectPath(), true), QString());
    QVERIFY(!QFileInfo::exists(file));
  }

  void restoreOffersTheWorkACrashLeft() {
    // What a crashed session leaves: its snapshot and no running owner.
    const PartDocument lost = model();
    QDir().mkpath(recoveryDir());
    ProjectSaveOptions options;
    options.recoveryOf = "";
    saveProject((recoveryDir() + "/session-999999.h3dp").toStdString(), lost, options);
    auto fresh = makeWindow();
    QString offered;
    fresh->askRestore = [&offered](const QString& what) {
      offered = what;
      return QMessageBox::Yes;
    };
    QVERIFY(fresh->offerRecovery());
    QVERIFY(offered.contains("autosaved"));
    QVERIFY(fresh->document().model() == lost);
    QVERIFY(fresh->isWindowModified());  // restored work is unsaved until saved
    QVERIFY(!QFileInfo::exists(recoveryDir() + "/session-999999.h3dp"));
    // Declined: the snapshot goes and is not offered again.
    saveProject((recoveryDir() + "/session-999998.h3dp").toStdString(), lost, options);
    fresh->askRestore = [](const QString&) { return QMessageBox::No; };
    QVERIFY(!fresh->offerRecovery());
    QVERIFY(!QFileInfo::exists(recoveryDir() + "/session-999998.h3dp"));
    fresh->askRestore = [](const QString&) {
      qFatal("nothing is left to offer");
      return QMessageBox::Cancel;
    };
    QVERIFY(!fresh->offerRecovery());
  }

  // The whole chain with real mouse events: view -> tool -> one undoable edit.
  void mouseBrushStrokeAndRectangleEditTheDocument() {
    auto& viewer = window_->viewer();
    viewer.setShowGenerated(false);
    viewer.setExplode(0.0);
    viewer.resetView();
    // Start from the segmented state, every part visible.
    window_->partActions().showAll()->trigger();
    QApplication::processEvents();
    auto send = [&viewer](QEvent::Type type, QPointF pos, Qt::MouseButton button,
                          Qt::MouseButtons buttons, Qt::KeyboardModifiers mods = {}) {
      QMouseEvent e(type, pos, viewer.mapToGlobal(pos), button, buttons, mods);
      QApplication::sendEvent(&viewer, &e);
    };
    // A pickable face of a part other than the target: its centre on screen.
    const int target = 0;
    int other = -1;
    QPointF at;
    for (int k = 1; k < model().partCount() && other < 0; ++k)
      for (std::size_t n = 0; n < 300 && other < 0; n += 5) {
        const auto [face, point] = faceOf(k, n);
        const QPointF p = viewer.projectToWidget(point);
        if (!viewer.rect().contains(p.toPoint())) continue;
        const long picked = viewer.pickFace(p);
        if (picked >= 0 && model().faceLabels()[std::size_t(picked)] == k) {
          other = k;
          at = p;
        }
      }
    QVERIFY(other > 0);
    window_->partsPanel().selectParts({target});
    window_->editTools().setTool(ui::ViewerTool::Brush);
    const int steps = undo().index();
    const std::size_t before = model().facesOf(target);
    send(QEvent::MouseButtonPress, at, Qt::LeftButton, Qt::LeftButton);
    send(QEvent::MouseMove, at + QPointF(4, 0), Qt::NoButton, Qt::LeftButton);
    send(QEvent::MouseMove, at + QPointF(8, 2), Qt::NoButton, Qt::LeftButton);
    send(QEvent::MouseButtonRelease, at + QPointF(8, 2), Qt::LeftButton, Qt::NoButton);
    QCOMPARE(undo().index(), steps + 1);
    QVERIFY(model().facesOf(target) > before);
    QCOMPARE(undo().undoText(), QStringLiteral("Paint"));
    window_->undoAction()->trigger();
    QCOMPARE(model().facesOf(target), before);

    // Rectangle with Shift around the same spot: a new part.
    window_->editTools().setTool(ui::ViewerTool::Rectangle);
    const int parts = model().partCount();
    send(QEvent::MouseButtonPress, at - QPointF(6, 6), Qt::LeftButton, Qt::LeftButton,
         Qt::ShiftModifier);
    send(QEvent::MouseMove, at, Qt::NoButton, Qt::LeftButton, Qt::ShiftModifier);
    send(QEvent::MouseMove, at + QPointF(6, 6), Qt::NoButton, Qt::LeftButton, Qt::ShiftModifier);
    send(QEvent::MouseButtonRelease, at + QPointF(6, 6), Qt::LeftButton, Qt::NoButton,
         Qt::ShiftModifier);
    QCOMPARE(model().partCount(), parts + 1);
    shot("editing_rectangle_new_part");
    window_->undoAction()->trigger();
    QCOMPARE(model().partCount(), parts);
    window_->editTools().setTool(ui::ViewerTool::Navigate);
  }

  void explodeSliderFollowsTheView() {
    window_->viewer().setExplode(0.5);
    QCOMPARE(window_->partsPanel().explodeSlider()->value(), 50);
    window_->editTools().setTool(ui::ViewerTool::Box);  // boxes are edited assembled
    QCOMPARE(window_->viewer().explode(), 0.0);
    QCOMPARE(window_->partsPanel().explodeSlider()->value(), 0);
    window_->editTools().setTool(ui::ViewerTool::Navigate);
  }

  void clickingAPartInTheViewSelectsIt() {
    auto& viewer = window_->viewer();
    window_->editTools().setTool(ui::ViewerTool::Navigate);
    viewer.setShowGenerated(false);
    viewer.setExplode(0.0);
    viewer.resetView();
    QApplication::processEvents();
    const int part = partWithFaces(50);
    // Find a face of the part whose centroid picks back to that part.
    for (std::size_t n = 0; n < 400; n += 7) {
      const auto [face, point] = faceOf(part, n);
      const QPointF at = viewer.projectToWidget(point);
      if (!viewer.rect().contains(at.toPoint())) continue;
      const long picked = viewer.pickFace(at);
      if (picked < 0 || model().faceLabels()[std::size_t(picked)] != part) continue;
      window_->partsPanel().selectParts({});
      QTest::mouseClick(&viewer, Qt::LeftButton, Qt::NoModifier, at.toPoint());
      QTRY_COMPARE(window_->partsPanel().selectedParts(), std::vector<int>{part});
      QCOMPARE(viewer.selectedParts(), QVector<int>{part});
      shot("editing_selected_in_view");
      return;
    }
    QFAIL("no face of the part could be picked");
  }
};

H3D_UI_TEST_MAIN(TestUiEditing)
#include "test_ui_editing.moc"
