// The inference engine: work runs off the calling thread, results come back
// as queued signals, cancel stops a running job quickly, errors arrive as
// failed() with the exit code of their kind, and the manager unloads after.
#include <QtTest>

#include "h3dpart/engine/inference_engine.h"
#include "h3dpart/mesh_io.h"

using namespace h3d;

namespace {
std::shared_ptr<ModelManager> makeManager() {
  auto manager = std::make_shared<ModelManager>(ManagerConfig{.device = "cpu"});
  manager->addPackages(
      qEnvironmentVariable("H3DPART_MODELS", H3DPART_TEST_MODELS_DIR).toStdString());
  return manager;
}
MeshPtr sample() {
  return std::make_shared<const Mesh>(
      importMesh(H3DPART_SOURCE_DIR "/resources/samples/table.glb"));
}

// Collects a signal's arguments on the test's thread through a queued
// connection, as the window's receivers get them. (QSignalSpy records in the
// emitting thread, so a signal sent before wait() starts is missed by it.)
template <class... Args>
class Recorder : public QObject {
 public:
  template <class Signal>
  Recorder(const InferenceEngine* engine, Signal signal) {
    connect(engine, signal, this, [this](Args... args) {
      calls.append(QVariantList{QVariant::fromValue(std::decay_t<Args>(args))...});
    });
  }
  qsizetype size() const { return calls.size(); }
  const QVariantList& first() const { return calls.first(); }
  const QVariantList& last() const { return calls.last(); }
  QList<QVariantList> calls;
};
}  // namespace

class TestEngine : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void segmentThenGenerateOffThread() {
    InferenceEngine engine(makeManager());
    Recorder<quint64, SegmentationPtr> segmented(&engine, &InferenceEngine::segmented);
    Recorder<quint64, GeneratedPartsPtr> generated(&engine, &InferenceEngine::generated);
    Recorder<quint64, const QString&, double> progress(&engine, &InferenceEngine::progress);
    Recorder<bool> busy(&engine, &InferenceEngine::busyChanged);
    const MeshPtr mesh = sample();

    // The request returns before the work is done; the work happens on the engine thread.
    const quint64 job = engine.segment(mesh, {});
    QVERIFY(engine.busy());
    QCOMPARE(segmented.size(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(segmented.size() > 0, 120000);
    QCOMPARE(segmented.first().at(0).toULongLong(), job);
    const auto seg = segmented.first().at(1).value<SegmentationPtr>();
    QVERIFY(seg && seg->partCount() >= 2);
    QCOMPARE(seg->faceLabels.size(), mesh->faces.size());

    QStringList stages;
    for (const auto& args : progress.calls) stages << args.at(1).toString();
    QVERIFY2(stages.contains("sampling") && stages.contains("inference"),
             qPrintable(stages.join(",")));

    GenerateOptions go;
    go.resolution = 32;
    engine.generate(mesh, seg, go);
    QTRY_VERIFY_WITH_TIMEOUT(generated.size() > 0, 240000);
    const auto parts = generated.first().at(1).value<GeneratedPartsPtr>();
    QCOMPARE(int(parts->parts.size()), seg->partCount());
    QTRY_VERIFY(!engine.busy());
    QTRY_COMPARE(busy.last().at(0).toBool(), false);
    // Sequential policy: nothing stays loaded after the operation.
    QTRY_COMPARE(engine.manager().snapshot().modelDeviceBytes, std::uint64_t(0));
  }

  void promptAnswersWithAMaskOfThePart() {
    InferenceEngine engine(makeManager());
    Recorder<quint64, FaceMaskPtr> prompted(&engine, &InferenceEngine::prompted);
    const MeshPtr mesh = sample();
    // A vertex of the mesh is on its surface: the answer holds faces around it.
    const Vec3 point = mesh->vertices[mesh->faces.front()[0]];
    const quint64 job = engine.prompt(mesh, point, {});
    QTRY_VERIFY_WITH_TIMEOUT(prompted.size() > 0, 120000);
    QCOMPARE(prompted.first().at(0).toULongLong(), job);
    const auto mask = prompted.first().at(1).value<FaceMaskPtr>();
    QVERIFY(mask);
    QCOMPARE(mask->size(), mesh->faces.size());
    const auto in = std::count(mask->begin(), mask->end(), true);
    QVERIFY(in > 0 && std::size_t(in) < mesh->faces.size());
    QVERIFY((*mask)[0]);
  }

  void cancelStopsTheRunningJobAndDropsQueuedOnes() {
    InferenceEngine engine(makeManager());
    Recorder<quint64> cancelled(&engine, &InferenceEngine::cancelled);
    Recorder<quint64, GeneratedPartsPtr> generated(&engine, &InferenceEngine::generated);
    Recorder<quint64, const QString&, double> progress(&engine, &InferenceEngine::progress);
    const MeshPtr mesh = sample();
    Segmentation seg;
    seg.faceLabels.assign(mesh->faces.size(), 0);
    refreshParts(*mesh, seg);
    GenerateOptions go;
    go.resolution = 160;            // long enough to be caught in the middle
    go.keepVisibleSurface = false;  // every part through the generator's field
    engine.generate(mesh, std::make_shared<const Segmentation>(seg), go);
    const quint64 queued = engine.segment(mesh, {});  // dropped by the cancel
    QTRY_VERIFY_WITH_TIMEOUT(progress.size() > 2, 60000);
    engine.cancel();
    // A hang guard, not a latency bound: `h3dpart bench cancel` measures how fast.
    QTRY_VERIFY_WITH_TIMEOUT(cancelled.size() == 2, 30000);
    QCOMPARE(generated.size(), 0);
    QCOMPARE(cancelled.last().at(0).toULongLong(), queued);
    // The engine keeps working after a cancel.
    Recorder<quint64, SegmentationPtr> segmented(&engine, &InferenceEngine::segmented);
    engine.segment(mesh, {});
    QTRY_VERIFY_WITH_TIMEOUT(segmented.size() > 0, 120000);
  }

  // A flat mesh encloses nothing: Generate says so instead of an empty result.
  void generatingNothingFailsWithAReason() {
    InferenceEngine engine(makeManager());
    Recorder<quint64, const QString&, int> failed(&engine, &InferenceEngine::failed);
    Recorder<quint64, GeneratedPartsPtr> generated(&engine, &InferenceEngine::generated);
    auto flat = std::make_shared<Mesh>();
    flat->vertices = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
    for (int i = 0; i < 1000; ++i) flat->faces.push_back({0, 1, 2});
    Segmentation seg;
    seg.faceLabels.assign(flat->faces.size(), 0);
    refreshParts(*flat, seg);
    engine.generate(flat, std::make_shared<const Segmentation>(seg), GenerateOptions{});
    QTRY_VERIFY_WITH_TIMEOUT(failed.size() > 0, 60000);
    QCOMPARE(generated.size(), 0);
    QCOMPARE(failed.first().at(2).toInt(), int(ExitCode::BadInput));
    QVERIFY2(failed.first().at(1).toString().contains("no closed part"),
             qPrintable(failed.first().at(1).toString()));
  }

  void errorsArriveAsFailed() {
    auto manager = std::make_shared<ModelManager>(ManagerConfig{.device = "cpu"});  // no packages
    InferenceEngine engine(manager);
    Recorder<quint64, const QString&, int> failed(&engine, &InferenceEngine::failed);
    Recorder<quint64> cancelled(&engine, &InferenceEngine::cancelled);
    engine.segment(sample(), {});
    QTRY_VERIFY_WITH_TIMEOUT(failed.size() > 0, 30000);
    QCOMPARE(cancelled.size(), 0);
    QCOMPARE(failed.first().at(2).toInt(), int(ExitCode::ModelProblem));
    QVERIFY(!failed.first().at(1).toString().isEmpty());
  }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "test_engine.moc"
