// The main window through the real engine and the default model packages:
// opens with no model loaded, loads dropped files, keeps the old mesh on a
// bad file, segments and generates, cancels, and its model panel follows the
// manager (sequential: the segmenter leaves before the generator loads).
#include <QAction>
#include <QComboBox>
#include <QDropEvent>
#include <QFile>
#include <QMimeData>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <memory>

#include "h3dpart/engine/inference_engine.h"
#include "h3dpart/mesh_io.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/ui/job_controller.h"
#include "h3dpart/ui/main_window.h"
#include "h3dpart/ui/mesh_loader.h"
#include "h3dpart/ui/mesh_viewer.h"
#include "h3dpart/ui/model_panel.h"
#include "h3dpart/ui/parts_panel.h"
#include "h3dpart/ui/stall_monitor.h"
#include "h3dpart/ui/studio_document.h"
#include "panels/memory_chart.h"
#include "ui_test_support.h"
#include "window/recent_files.h"

using namespace h3d;
using h3d::ui::MainWindow;

namespace {

void drop(QWidget& target, const QStringList& files) {
  QMimeData mime;
  QList<QUrl> urls;
  for (const QString& f : files) urls << QUrl::fromLocalFile(f);
  mime.setUrls(urls);
  const QPoint at = target.rect().center();
  QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&target, &enter);
  QVERIFY(enter.isAccepted());
  QDropEvent dropped(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&target, &dropped);
}

}  // namespace

class TestUiWindow : public QObject {
  Q_OBJECT
  std::shared_ptr<ModelManager> manager_;
  std::unique_ptr<InferenceEngine> engine_;
  std::unique_ptr<MainWindow> window_;
  QTemporaryDir tmp_;

  void openAndWait(const QString& path) {
    QSignalSpy loaded(&window_->loader(), &ui::MeshLoader::loaded);
    window_->openFile(path);
    QVERIFY(loaded.wait(20000));
  }

  void shot(const QString& name) { uitest::keepShot(window_->grab().toImage(), name); }

 private Q_SLOTS:
  void initTestCase() {
    QSettings().clear();  // no remembered layout, policy or budget
    ManagerConfig config;
    config.device = "cpu";
    config.policy = Policy::Sequential;
    manager_ = std::make_shared<ModelManager>(config);
    const auto problems = manager_->addPackages(uitest::modelsDir().toStdString());
    QVERIFY2(problems.empty(), problems.empty() ? "" : problems.front().c_str());
    engine_ = std::make_unique<InferenceEngine>(manager_);
    window_ =
        std::make_unique<MainWindow>(*engine_, nullptr, tmp_.filePath("recovery").toStdString());
    // Opening another file after a segment would ask about the unsaved parts.
    window_->askUnsaved = [] { return QMessageBox::Discard; };
    window_->resize(1280, 800);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
  }

  void cleanupTestCase() {
    window_.reset();
    engine_.reset();
    manager_.reset();
  }

  void opensWithNoModelLoaded() {
    for (const ModelStatus& m : manager_->snapshot().models)
      QVERIFY2(m.state == ModelState::Unloaded, m.name.c_str());
    window_->modelPanel().refresh();
    QCOMPARE(window_->modelPanel().table()->rowCount(), int(manager_->snapshot().models.size()));
    QVERIFY(window_->modelPanel().table()->rowCount() >= 2);
    for (int r = 0; r < window_->modelPanel().table()->rowCount(); ++r)
      QCOMPARE(window_->modelPanel().table()->item(r, ui::ModelPanel::State)->text(),
               QStringLiteral("Unloaded"));
    QVERIFY(window_->modelPanel().deviceNote().contains("No CUDA device") ||
            manager_->snapshot().device.available);
    QVERIFY(!window_->segmentAction()->isEnabled());
    QVERIFY(!window_->generateAction()->isEnabled());
    QVERIFY(!window_->document().hasMesh());
    shot("window_empty");
  }

  void droppedFileLoads() {
    QSignalSpy loaded(&window_->loader(), &ui::MeshLoader::loaded);
    drop(*window_, {uitest::samplePath("mug.glb")});
    QVERIFY(loaded.wait(20000));
    QVERIFY(window_->document().hasMesh());
    QVERIFY(window_->document().path().endsWith("mug.glb"));
    QVERIFY(window_->segmentAction()->isEnabled());
    QVERIFY(!window_->generateAction()->isEnabled());  // needs a segmentation
    shot("window_dropped_mug");
  }

  void unsupportedFileKeepsTheMesh() {
    const MeshPtr before = window_->document().mesh();
    QVERIFY(before);
    const QString text = tmp_.filePath("notes.txt");
    QFile f(text);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("not a mesh\n");
    f.close();
    drop(*window_, {text});
    QVERIFY2(window_->messageText().contains("notes.txt"), qPrintable(window_->messageText()));
    QCOMPARE(window_->document().mesh(), before);
  }

  void corruptFileShowsAnErrorAndKeepsTheMesh() {
    const MeshPtr before = window_->document().mesh();
    const QString broken = tmp_.filePath("broken.glb");
    QFile f(broken);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("glTF\x02\x00\x00\x00garbage that is not a valid binary glTF file", 48);
    f.close();
    QSignalSpy failed(&window_->loader(), &ui::MeshLoader::failed);
    window_->openFile(broken);
    QVERIFY(failed.wait(20000));
    QVERIFY2(window_->messageText().contains("broken.glb"), qPrintable(window_->messageText()));
    QCOMPARE(window_->document().mesh(), before);
    shot("window_error");
  }

  void segmentThenGenerateWithoutStalling() {
    openAndWait(uitest::samplePath("table.glb"));
    ui::StallMonitor stall(5);
    stall.start();
    QStringList stages;
    QObject scope;  // ends the connection with this test function
    connect(&window_->jobs(), &ui::JobController::progress, &scope,
            [&stages](const QString& s, double) {
              if (stages.isEmpty() || stages.last() != s) stages << s;
            });
    window_->segmentAction()->trigger();
    QVERIFY(window_->jobs().running());
    QVERIFY(window_->cancelAction()->isEnabled());
    QVERIFY(!window_->segmentAction()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(window_->document().hasSegmentation(), 240000);
    const int parts = window_->document().segmentation()->partCount();
    QVERIFY2(parts >= 2, qPrintable(QString::number(parts)));
    QVERIFY(window_->generateAction()->isEnabled());
    shot("window_segmented");
    stall.skipGap();
    window_->generateAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(window_->document().hasGenerated(), 240000);
    stall.stop();
    QCOMPARE(int(window_->document().generated()->parts.size()), parts);
    QVERIFY(window_->viewer().showGenerated());
    // The generator itself loads only for parts that need its field (see
    // panelFollowsTheManagerSequentially); the table's parts keep their triangles.
    QVERIFY(stages.contains("loading segmenter") && stages.contains("inference"));
    qInfo("longest event-loop stall during segment+generate: %.1f ms (%d ticks); stages: %s",
          stall.longestStallMs(), stall.ticks(), qPrintable(stages.join(" > ")));
    // The event loop kept running while the engine worked (a GUI thread
    // waiting on the engine would tick once at the end). How long its longest
    // stall is, is a figure (logged above, in the README), not asserted: the
    // machine's load sets it. 30 s only guards against a hang.
    QVERIFY2(stall.ticks() >= 10, qPrintable(QString::number(stall.ticks())));
    QVERIFY2(stall.longestStallMs() < 30000.0, qPrintable(QString::number(stall.longestStallMs())));
    window_->viewer().setExplode(0.6);
    shot("window_generated_exploded");
    window_->viewer().setExplode(0.0);
  }

  // The toolbar's triangle budget goes to the generate job: every generated
  // part at most that many triangles; 0 reads "auto" and gives the default.
  void triangleBudgetCapsTheGeneratedParts() {
    openAndWait(uitest::samplePath("table.glb"));
    auto* budget = window_->findChild<QSpinBox*>("maxTrianglesSpin");
    QVERIFY(budget);
    QCOMPARE(budget->value(), 0);
    QCOMPARE(budget->text(), QStringLiteral("auto"));
    QCOMPARE(window_->jobs().generateOptions().maxTriangles, std::size_t(0));
    window_->segmentAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(window_->document().hasSegmentation(), 240000);
    QTRY_VERIFY_WITH_TIMEOUT(!window_->jobs().running(), 240000);
    budget->setValue(300);
    QCOMPARE(window_->jobs().generateOptions().maxTriangles, std::size_t(300));
    window_->generateAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(window_->document().hasGenerated(), 240000);
    QTRY_VERIFY_WITH_TIMEOUT(!window_->jobs().running(), 240000);
    std::size_t largest = 0;
    for (const auto& part : window_->document().generated()->parts) {
      QVERIFY(!part.mesh.faces.empty());
      largest = std::max(largest, part.mesh.faces.size());
    }
    QVERIFY2(largest <= 300, qPrintable(QString::number(largest)));
    budget->setValue(0);
    QCOMPARE(window_->jobs().generateOptions().maxTriangles, std::size_t(0));
    const auto* capped = window_->document().generated().get();
    window_->generateAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(window_->document().generated().get() != capped, 240000);
    largest = 0;
    for (const auto& part : window_->document().generated()->parts)
      largest = std::max(largest, part.mesh.faces.size());
    QVERIFY2(largest > 300, qPrintable(QString::number(largest)));  // the table's own triangles
  }

  void exportWritesEachFormat_data() {
    QTest::addColumn<QString>("ext");
    QTest::newRow("glb") << "glb";
    QTest::newRow("obj") << "obj";
    QTest::newRow("ply") << "ply";
  }

  void exportWritesEachFormat() {
    QFETCH(QString, ext);
    QVERIFY(window_->document().hasGenerated());
    const QString out = tmp_.filePath("parts." + ext);
    window_->exportResult(out);
    QTRY_VERIFY_WITH_TIMEOUT(window_->messageText().contains("Exported " + out), 20000);
    const Mesh back = importMesh(out.toStdString());
    QVERIFY(!back.empty());
  }

  void cancelStopsAndKeepsTheResult() {
    QVERIFY(window_->document().hasGenerated());
    const auto segmentation = window_->document().segmentation();
    const auto generated = window_->document().generated();
    QSignalSpy cancelled(&window_->jobs(), &ui::JobController::cancelled);
    window_->generateAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!window_->stageText().isEmpty(), 10000);
    window_->cancelAction()->trigger();
    // A hang guard, not a latency bound: `h3dpart bench cancel` measures how fast.
    QTRY_VERIFY_WITH_TIMEOUT(!window_->jobs().running(), 30000);
    QCOMPARE(cancelled.size(), 1);
    QCOMPARE(window_->document().segmentation(), segmentation);
    QCOMPARE(window_->document().generated(), generated);
    QVERIFY(window_->segmentAction()->isEnabled());
  }

  void idlePanelDoesNotRedraw() {
    // Nothing runs: the 2 Hz poll must find nothing new and leave the view alone.
    QTRY_VERIFY_WITH_TIMEOUT(!window_->jobs().running(), 10000);
    QTest::qWait(1200);
    const int before = window_->modelPanel().redraws();
    QTest::qWait(2500);
    QCOMPARE(window_->modelPanel().redraws(), before);
  }

  void panelFollowsTheManagerSequentially() {
    // Record the panel's state column at every manager change through a run.
    auto& panel = window_->modelPanel();
    QString segName, genName;
    for (const ModelStatus& m : manager_->snapshot().models)
      (m.role == "segmenter" ? segName : genName) = QString::fromStdString(m.name);
    QVERIFY(!segName.isEmpty() && !genName.isEmpty());
    QList<QPair<QString, QString>> seen;
    auto record = [&] {
      panel.refresh();
      const QPair<QString, QString> now(panel.stateText(segName), panel.stateText(genName));
      if (seen.isEmpty() || seen.last() != now) seen << now;
    };
    // Queued: the signal comes from the engine thread; widgets live on this one.
    auto c = connect(engine_.get(), &InferenceEngine::managerChanged, this, record,
                     Qt::QueuedConnection);
    window_->segmentAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!window_->jobs().running(), 240000);
    // Every part through the generator's field, so the generator is loaded too.
    window_->jobs().generateOptions().keepVisibleSurface = false;
    window_->generateAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!window_->jobs().running(), 240000);
    window_->jobs().generateOptions().keepVisibleSurface = true;
    QTest::qWait(200);
    record();
    disconnect(c);
    QStringList trace;
    for (const auto& p : seen) trace << p.first + " | " + p.second;
    qInfo("panel states (segmenter | generator):\n  %s", qPrintable(trace.join("\n  ")));
    bool segResident = false, genResident = false;
    for (const auto& [seg, gen] : seen) {
      if (seg == "Resident") segResident = true;
      if (gen == "Resident") genResident = true;
      const bool segOn = seg == "Resident" || seg.startsWith("Loading");
      const bool genOn = gen == "Resident" || gen.startsWith("Loading");
      QVERIFY2(!(segOn && genOn), "sequential policy: both models on the device at once");
    }
    QVERIFY(segResident);
    QVERIFY(genResident);
    QCOMPARE(seen.last(), qMakePair(QStringLiteral("Unloaded"), QStringLiteral("Unloaded")));
    // The runner row: sequential ended the runner after the operation.
    QVERIFY2(panel.runnerText().startsWith("Runner: exited"), qPrintable(panel.runnerText()));
    const auto snap = manager_->snapshot();
    QVERIFY(snap.runner.starts >= 1);
    QCOMPARE(snap.runner.pid, 0);
    QVERIFY(panel.chart().runnerMarkers() >= 2);  // a start and an exit
  }

  void openedFilesAreRecentAndMissingOnesLeaveTheList() {
    const QStringList recent = window_->recentFiles().files();
    QVERIFY(!recent.isEmpty());
    QVERIFY(recent.first().endsWith("table.glb"));  // the last file opened
    const QString gone = tmp_.filePath("moved-away.glb");
    window_->recentFiles().add(gone);
    QSignalSpy failed(&window_->loader(), &ui::MeshLoader::failed);
    window_->openFile(gone);
    QVERIFY(failed.wait(20000));
    QVERIFY(window_->messageText().contains("moved-away.glb"));
    QVERIFY(!window_->recentFiles().files().contains(QFileInfo(gone).absoluteFilePath()));
  }

  // Counted texts read as English: "1 part", "5 parts", not "part(s)".
  void countedTextsUsePluralForms_data() {
    QTest::addColumn<int>("n");
    QTest::addColumn<QString>("expected");
    QTest::newRow("one") << 1 << "Segmented into 1 part";
    QTest::newRow("five") << 5 << "Segmented into 5 parts";
    QTest::newRow("none") << 0 << "Segmented into 0 parts";
  }
  void countedTextsUsePluralForms() {
    QFETCH(int, n);
    QFETCH(QString, expected);
    QCOMPARE(QCoreApplication::translate("JobController", "Segmented into %n part(s)", nullptr, n),
             expected);
    // Texts without a count are left as they are.
    QCOMPARE(QCoreApplication::translate("JobController", "Busy (s)"), QStringLiteral("Busy (s)"));
  }

  // A parts file written by Export (one object per part) opens with its
  // parts, named as written, ready to generate; nothing is unsaved.
  void partsFileOpensWithItsParts_data() {
    QTest::addColumn<QString>("ext");
    QTest::newRow("glb") << "glb";
    QTest::newRow("obj") << "obj";
  }
  void partsFileOpensWithItsParts() {
    QFETCH(QString, ext);
    const Mesh cube = importMesh(uitest::samplePath("mug.glb").toStdString());
    std::vector<PartMesh> parts;
    for (int k = 0; k < 3; ++k) {
      Mesh moved = cube;
      for (Vec3& v : moved.vertices) v.x += 0.5f * static_cast<float>(k);
      parts.push_back({k, "piece " + std::to_string(k), moved});
    }
    const QString file = tmp_.filePath("three-parts." + ext);
    exportParts(file.toStdString(), parts);
    QSignalSpy loaded(&window_->loader(), &ui::MeshLoader::loadedWithParts);
    window_->openFile(file);
    QVERIFY(loaded.wait(20000));
    const PartDocument& doc = window_->document().model();
    QCOMPARE(doc.partCount(), 3);
    QCOMPARE(doc.parts()[1].name, std::string("piece 1"));
    QCOMPARE(doc.facesOf(2), cube.faces.size());
    QCOMPARE(window_->document().path(), file);
    QVERIFY(!window_->document().isModified());
    QCOMPARE(window_->partsPanel().rowCount(), 3);
    QVERIFY(window_->generateAction()->isEnabled());
    QVERIFY2(window_->statusBar()->currentMessage().contains("3 parts from the file"),
             qPrintable(window_->statusBar()->currentMessage()));
  }

  void windowLayoutAndPanelSettingsSurviveARestart() {
    window_->resize(1111, 733);
    QComboBox* policy = window_->modelPanel().policyBox();
    policy->setCurrentIndex(policy->findData(int(Policy::Keep)));
    QVERIFY(window_->close());  // saves the settings
    MainWindow next(*engine_, nullptr, tmp_.filePath("recovery").toStdString());
    QCOMPARE(next.size(), QSize(1111, 733));
    QVERIFY(engine_->manager().config().policy == Policy::Keep);
    QCOMPARE(next.modelPanel().policyBox()->currentData().toInt(), int(Policy::Keep));
    QComboBox* again = next.modelPanel().policyBox();
    again->setCurrentIndex(again->findData(int(Policy::Sequential)));
    window_->resize(1280, 800);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
  }
};

H3D_UI_TEST_MAIN(TestUiWindow)
#include "test_ui_window.moc"
