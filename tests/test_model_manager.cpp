// The model manager: policies, component split, out-of-memory paths, broken
// packages, threads, and memory really coming back after unloads.
#include <QTemporaryDir>
#include <QtTest>

#include <torch/script.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "h3dpart/device_backend.h"
#include "h3dpart/errors.h"
#include "h3dpart/memory_probe.h"
#include "h3dpart/model_bench.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/torch_executor.h"
#include "torchscript_load.h"

using namespace h3d;
namespace fs = std::filesystem;

#define QCOMPARE_ENUM(a, b) \
  QCOMPARE(QString::fromStdString(h3d::toString(a)), QString::fromStdString(h3d::toString(b)))

namespace {

constexpr std::uint64_t MiB = 1ull << 20;

const ModelStatus& status(const ManagerSnapshot& s, const std::string& name) {
  for (const auto& m : s.models)
    if (m.name == name) return m;
  throw std::runtime_error("no model " + name);
}

int residentCount(const ManagerSnapshot& s) {
  int n = 0;
  for (const auto& m : s.models)
    if (m.deviceBytes > 0) ++n;
  return n;
}

bool hasEvent(const ManagerSnapshot& s, const std::string& model, const std::string& event) {
  for (const auto& e : s.recentEvents)
    if (e.model == model && e.event == event) return true;
  return false;
}

// The fixtures' input: points [16, 3].
Tensor points() {
  Tensor t = Tensor::make(DType::Float32, {16, 3});
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = float(i % 7) / 7.f;
  return t;
}

// Runs a component and checks its output is the fixture's [16, 8] features.
void runOne(ModelHandle& h, const std::string& component) {
  const auto out = h.run(component, {points()});
  if (out.size() != 1 || out[0].dim() != 2 || out[0].size(0) != 16)
    throw std::runtime_error("unexpected output of " + component);
}

void runAll(ModelHandle& h) {
  if (h.manifest().stages.empty()) {
    for (const auto& c : h.manifest().components) runOne(h, c.name);
    return;
  }
  for (const auto& stage : h.manifest().stages) {
    h.enterStage(stage.name);
    for (const auto& c : stage.components) runOne(h, c);
  }
}

// The models run in this process, on the given device.
std::shared_ptr<ModelExecutor> ex(std::shared_ptr<DeviceBackend> backend) {
  return std::make_shared<TorchExecutor>(std::move(backend));
}

}  // namespace

class TestModelManager : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir tmp_;
  fs::path pair_;    // segmenter (4 MiB) + staged generator (2 + 6 MiB)
  fs::path three_;   // three segmenters of 4 MiB (LRU)
  fs::path broken_;  // one package per breakage
  fs::path root() const { return fs::path(tmp_.path().toStdString()); }

  static FixturePackage seg(const std::string& name, std::uint64_t bytes, std::uint64_t run = 0) {
    FixturePackage p;
    p.name = name;
    p.role = ModelRole::Segmenter;
    p.components = {FixtureComponent{"net", bytes, "ok"}};
    p.runBytes = run;
    return p;
  }
  static FixturePackage gen(const std::string& name) {
    FixturePackage p;
    p.name = name;
    p.role = ModelRole::Generator;
    p.staged = true;
    p.components = {FixtureComponent{"encoder", 2 * MiB, "ok"},
                    FixtureComponent{"decoder", 6 * MiB, "ok"}};
    return p;
  }
  std::shared_ptr<SimulatedBackend> sim(std::uint64_t capacity) {
    return std::make_shared<SimulatedBackend>(capacity);
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    pair_ = root() / "pair";
    writeFixturePackage(pair_ / "seg", seg("seg", 4 * MiB, 1 * MiB));
    writeFixturePackage(pair_ / "gen", gen("gen"));
    three_ = root() / "three";
    for (const char* n : {"a", "b", "c"}) writeFixturePackage(three_ / n, seg(n, 4 * MiB));
    broken_ = root() / "broken";
    FixturePackage throws = seg("broken-throws", 64 * 1024);
    throws.components[0].behaviour = "throws";
    writeFixturePackage(broken_ / "throws", throws);
    FixturePackage shape = seg("broken-shape", 64 * 1024);
    shape.components[0].behaviour = "wrong_shape";
    writeFixturePackage(broken_ / "shape", shape);
  }

  void nothingLoadedAtStart() {
    ModelManager mm({}, ex(std::make_shared<CpuBackend>()));
    QVERIFY(mm.addPackages(pair_).empty());
    const auto s = mm.snapshot();
    QCOMPARE(s.models.size(), std::size_t(2));
    for (const auto& m : s.models) QVERIFY(m.state == ModelState::Unloaded);
    QCOMPARE(s.modelDeviceBytes, std::uint64_t(0));
    QCOMPARE(s.modelHostBytes, std::uint64_t(0));
    QVERIFY(s.policy == Policy::Sequential);
    QCOMPARE(QString::fromStdString(s.deviceName), QString("cpu"));
  }

  // Weights are mapped from the archive without copying: values intact,
  // writable in place (copy on write), the file untouched.
  void weightsIntactAndWritable() {
    const fs::path dir = root() / "weights";
    writeFixturePackage(dir / "w", seg("w", 40 * MiB));  // pad0 = 1 (32 MiB), pad1 = 2 (8 MiB)
    for (int round = 0; round < 2; ++round) {
      auto net = loadTorchScript(dir / "w" / "net.pt");
      auto pad0 = net.attr("pad0").toTensor();
      auto pad1 = net.attr("pad1").toTensor();
      QCOMPARE(pad0.numel(), std::int64_t(8 * MiB));
      QCOMPARE(pad0.min().item<float>(), 1.0f);
      QCOMPARE(pad0.max().item<float>(), 1.0f);
      QCOMPARE(pad1.min().item<float>(), 2.0f);
      QCOMPARE(pad1.max().item<float>(), 2.0f);
      torch::NoGradGuard g;
      pad0.add_(5.0f);  // private pages: the file and later loads stay as they were
      QCOMPARE(pad0.max().item<float>(), 6.0f);
    }
    ModelManager mm({}, ex(std::make_shared<CpuBackend>()));
    mm.addPackages(dir);
    {
      auto h = mm.acquire("w");
      QCOMPARE(status(mm.snapshot(), "w").deviceBytes, std::uint64_t(40 * MiB + 3 * 8 * 4));
    }
    QVERIFY(readPackage(dir / "w", true).fileBytes > 40 * MiB);
  }

  // Sequential never holds two models; the peak is the larger one, not the
  // sum; nothing stays after an operation.
  void sequentialSegmentThenGenerate_data() {
    QTest::addColumn<bool>("split");
    QTest::newRow("component split") << true;
    QTest::newRow("whole model") << false;
  }
  void sequentialSegmentThenGenerate() {
    QFETCH(bool, split);
    ManagerConfig cfg;
    cfg.splitComponents = split;
    auto backend = sim(64 * MiB);
    ModelManager mm(cfg, ex(backend));
    mm.addPackages(pair_);
    std::atomic<int> maxResident{0};
    std::atomic<int> calls{0};
    // The observer runs with no lock held: it may take a snapshot itself.
    mm.setObserver([&] {
      ++calls;
      const int n = residentCount(mm.snapshot());
      int prev = maxResident.load();
      while (n > prev && !maxResident.compare_exchange_weak(prev, n)) {
      }
    });
    std::uint64_t segBytes = 0, genEncoder = 0, genDecoder = 0;
    {
      auto h = mm.acquire(ModelRole::Segmenter);
      runAll(h);
      segBytes = status(mm.snapshot(), "seg").deviceBytes;
    }
    QCOMPARE(mm.snapshot().modelDeviceBytes, std::uint64_t(0));
    {
      auto h = mm.acquire(ModelRole::Generator);
      QVERIFY(h.manifest().stages.size() == 2);
      h.enterStage("encoder");
      genEncoder = status(mm.snapshot(), "gen").components[0].deviceBytes;
      h.enterStage("decoder");
      genDecoder = status(mm.snapshot(), "gen").components[1].deviceBytes;
      const auto s = mm.snapshot();
      QCOMPARE_ENUM(status(s, "seg").state, ModelState::Unloaded);
      if (split) QVERIFY(status(s, "gen").components[0].state == ModelState::Cached);
      runAll(h);
    }
    const auto s = mm.snapshot();
    QVERIFY(calls > 0);
    QCOMPARE(maxResident.load(), 1);
    QCOMPARE(s.modelDeviceBytes, std::uint64_t(0));
    QCOMPARE(s.modelHostBytes, std::uint64_t(0));
    QCOMPARE(backend->weightBytes(), std::uint64_t(0));
    QVERIFY(segBytes >= 4 * MiB);
    const std::uint64_t genPeak =
        split ? std::max(genEncoder, genDecoder) : genEncoder + genDecoder;
    QCOMPARE(s.peakModelDeviceBytes, std::max(segBytes, genPeak));
    QVERIFY(s.peakModelDeviceBytes < segBytes + genEncoder + genDecoder);
    for (const auto& m : s.models) QCOMPARE_ENUM(m.state, ModelState::Unloaded);
    QCOMPARE_ENUM(status(s, "seg").lastLoadSource, LoadSource::Disk);
  }

  // Sequential with the host cache (a CLI batch): the device is empty after
  // every operation, but the weights stay in host RAM, so each model is read
  // from disk once however many operations follow; past the RAM budget they
  // are dropped and read again.
  void sequentialHostCacheReadsTheDiskOnce() {
    ManagerConfig cfg;
    cfg.sequentialHostCache = true;
    cfg.ramBudget = 64 * MiB;
    auto backend = sim(64 * MiB);
    ModelManager mm(cfg, ex(backend));
    mm.addPackages(pair_);
    for (int op = 0; op < 5; ++op) {
      {
        auto h = mm.acquire(ModelRole::Segmenter);
        runAll(h);
      }
      {
        auto h = mm.acquire(ModelRole::Generator);
        runAll(h);
        QCOMPARE_ENUM(status(mm.snapshot(), "seg").state, ModelState::Cached);
      }
      const auto s = mm.snapshot();
      QCOMPARE(s.modelDeviceBytes, std::uint64_t(0));
      QCOMPARE(backend->weightBytes(), std::uint64_t(0));
      QVERIFY(s.modelHostBytes >= 12 * MiB);
    }
    auto s = mm.snapshot();
    QCOMPARE(status(s, "seg").diskLoads, 1);
    QCOMPARE(status(s, "seg").hostCacheLoads, 4);
    QCOMPARE(status(s, "gen").diskLoads, 1);
    QCOMPARE(status(s, "gen").hostCacheLoads, 4);
    QCOMPARE(s.peakModelDeviceBytes, status(s, "gen").components[1].hostBytes);  // one at a time

    // A RAM budget that holds neither: back to a disk read per operation
    // (the first may still find the copy cached before the budget shrank).
    mm.setRamBudget(1 * MiB);
    for (int op = 0; op < 3; ++op) {
      auto h = mm.acquire(ModelRole::Segmenter);
      runAll(h);
    }
    s = mm.snapshot();
    QVERIFY(status(s, "seg").diskLoads >= 3);
    QCOMPARE_ENUM(status(s, "seg").state, ModelState::Unloaded);
    QCOMPARE(status(s, "seg").hostBytes, std::uint64_t(0));
    mm.unloadAll();
    QCOMPARE(mm.snapshot().modelHostBytes, std::uint64_t(0));
  }

  // Budget: least recently used out first, evicted weights come back from host RAM.
  void budgetEvictsLeastRecentlyUsed() {
    ManagerConfig cfg;
    cfg.policy = Policy::Budget;
    cfg.vramBudget = 9 * MiB;  // two of the three 4 MiB models
    cfg.ramBudget = 64 * MiB;
    ModelManager mm(cfg, ex(sim(64 * MiB)));
    mm.addPackages(three_);
    mm.load("a");
    mm.load("b");
    mm.load("a");  // a used more recently than b
    mm.load("c");  // evicts b
    auto s = mm.snapshot();
    QCOMPARE_ENUM(status(s, "a").state, ModelState::Resident);
    QCOMPARE_ENUM(status(s, "b").state, ModelState::Cached);
    QVERIFY(status(s, "b").hostBytes >= 4 * MiB);
    QCOMPARE(status(s, "b").deviceBytes, std::uint64_t(0));
    QCOMPARE_ENUM(status(s, "c").state, ModelState::Resident);
    QVERIFY(hasEvent(s, "b", "evict"));
    QVERIFY(s.modelDeviceBytes <= 9 * MiB);
    {
      auto h = mm.acquire("b");  // back from host RAM; a is now least recent
      runAll(h);
    }
    s = mm.snapshot();
    QCOMPARE_ENUM(status(s, "b").lastLoadSource, LoadSource::HostCache);
    QCOMPARE_ENUM(status(s, "a").state, ModelState::Cached);
    QCOMPARE_ENUM(status(s, "b").state, ModelState::Resident);
    QCOMPARE_ENUM(status(s, "c").state, ModelState::Resident);
    // A handle pins: the pinned model is not evicted.
    {
      auto pinned = mm.acquire("b");
      mm.load("a");  // must evict c, not b
      s = mm.snapshot();
      QCOMPARE_ENUM(status(s, "b").state, ModelState::Resident);
      QCOMPARE_ENUM(status(s, "c").state, ModelState::Cached);
      QCOMPARE(status(s, "b").handles, 1);
    }
    // RAM budget: cached weights beyond it are dropped.
    mm.setRamBudget(5 * MiB);
    mm.load("c");  // evicts the LRU (b); only one model fits the RAM budget
    s = mm.snapshot();
    QVERIFY(s.modelHostBytes <= 5 * MiB);
    mm.unloadAll();
    s = mm.snapshot();
    QCOMPARE(s.modelDeviceBytes, std::uint64_t(0));
    QCOMPARE(s.modelHostBytes, std::uint64_t(0));
  }

  void keepPolicyAndSwitching() {
    ManagerConfig cfg;
    cfg.policy = Policy::Keep;
    ModelManager mm(cfg, ex(sim(64 * MiB)));
    mm.addPackages(pair_);
    {
      auto h = mm.acquire(ModelRole::Segmenter);
      runAll(h);
    }
    {
      auto h = mm.acquire(ModelRole::Generator);
      runAll(h);
    }
    auto s = mm.snapshot();
    QCOMPARE(residentCount(s), 2);
    mm.unload("seg");
    s = mm.snapshot();
    QCOMPARE_ENUM(status(s, "seg").state, ModelState::Unloaded);
    // Switching to sequential unloads what is not in use.
    mm.setPolicy(Policy::Sequential);
    s = mm.snapshot();
    QCOMPARE(s.modelDeviceBytes, std::uint64_t(0));
    QCOMPARE_ENUM(s.policy, Policy::Sequential);
  }

  // Out of memory on load: unload every other model, empty the cache, retry.
  void oomOnLoadRetries() {
    ManagerConfig cfg;
    cfg.policy = Policy::Keep;
    auto backend = sim(6 * MiB);  // one 4 MiB model at a time
    ModelManager mm(cfg, ex(backend));
    mm.addPackages(three_);
    mm.load("a");
    const int emptied = backend->emptyCacheCalls();
    mm.load("b");
    const auto s = mm.snapshot();
    QCOMPARE_ENUM(status(s, "a").state, ModelState::Unloaded);
    QCOMPARE_ENUM(status(s, "b").state, ModelState::Resident);
    QVERIFY(hasEvent(s, "b", "oom"));
    QVERIFY(backend->emptyCacheCalls() > emptied);
    // Injected failure: the retry succeeds.
    backend->failNextReservations(1);
    mm.load("c");
    QCOMPARE_ENUM(status(mm.snapshot(), "c").state, ModelState::Resident);
  }

  void oomFallsBackToCpu_data() {
    QTest::addColumn<bool>("allowed");
    QTest::newRow("cpu_fallback true") << true;
    QTest::newRow("cpu_fallback false") << false;
  }
  void oomFallsBackToCpu() {
    QFETCH(bool, allowed);
    const fs::path dir = root() / (allowed ? "fallback-yes" : "fallback-no");
    FixturePackage p = seg("big", 8 * MiB);
    p.cpuFallback = allowed;
    writeFixturePackage(dir / "big", p);
    auto backend = sim(4 * MiB);
    ModelManager mm({}, ex(backend));
    mm.addPackages(dir);
    if (allowed) {
      auto h = mm.acquire("big");
      QCOMPARE(QString::fromStdString(h.device()), QString("cpu"));
      runAll(h);
      const auto s = mm.snapshot();
      QVERIFY(hasEvent(s, "big", "fallback"));
      QCOMPARE(QString::fromStdString(status(s, "big").device), QString("cpu"));
      QCOMPARE(s.modelDeviceBytes, std::uint64_t(0));
    } else {
      QVERIFY_THROWS_EXCEPTION(OutOfMemoryError, mm.acquire("big"));
      const auto s = mm.snapshot();
      QCOMPARE_ENUM(status(s, "big").state, ModelState::Failed);
      QVERIFY(QString::fromStdString(status(s, "big").error).contains("out of memory"));
      QCOMPARE(s.modelHostBytes, std::uint64_t(0));
      // A later try with room succeeds: out of memory does not poison the model.
      backend->setCapacity(64 * MiB);
      auto h = mm.acquire("big");
      QCOMPARE_ENUM(status(mm.snapshot(), "big").state, ModelState::Resident);
    }
    mm.unloadAll();
    QCOMPARE(backend->weightBytes(), std::uint64_t(0));
  }

  // Out of memory while running: working memory (run_bytes) does not fit.
  void oomWhileRunning() {
    const fs::path dir = root() / "run-oom";
    writeFixturePackage(dir / "small", seg("small", 4 * MiB));
    writeFixturePackage(dir / "hungry", seg("hungry", 4 * MiB, 6 * MiB));
    auto backend = sim(14 * MiB);  // 4 + 4 + 6 does not fit, 4 + 6 does
    ManagerConfig cfg;
    cfg.policy = Policy::Keep;
    ModelManager mm(cfg, ex(backend));
    mm.addPackages(dir);
    mm.load("small");
    {
      auto h = mm.acquire("hungry");
      QCOMPARE(h.run("net", {points()}).size(), std::size_t(1));
      QCOMPARE(QString::fromStdString(h.device()), QString("cpu"));  // sim runs on the CPU
    }
    auto s = mm.snapshot();
    QVERIFY(hasEvent(s, "hungry", "oom"));
    QCOMPARE_ENUM(status(s, "small").state, ModelState::Unloaded);
    QCOMPARE(QString::fromStdString(status(s, "hungry").device), QString("sim"));
    // Both tries fail: falls back to the CPU and runs there.
    {
      auto h = mm.acquire("hungry");
      backend->failNextRuns(2);
      QCOMPARE(h.run("net", {points()}).size(), std::size_t(1));
    }
    s = mm.snapshot();
    QVERIFY(hasEvent(s, "hungry", "fallback"));
    QCOMPARE(backend->used(), std::uint64_t(0));
  }

  void brokenPackages_data() {
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QString>("expected");
    QTest::newRow("torchscript throws")
        << "throws"
        << "model package broken-throws: net.pt: dry run: net: RuntimeError: AssertionError: "
           "fixture component refuses to run";
    QTest::newRow("wrong output shape")
        << "shape"
        << "model package broken-shape: net.pt: output shape: net: output \"features\" is [64, 9] "
           "float32, the manifest declares [N, 8] float32";
  }
  void brokenPackages() {
    QFETCH(QString, folder);
    QFETCH(QString, expected);
    auto backend = sim(64 * MiB);
    ModelManager mm({}, ex(backend));
    mm.addPackage(broken_ / folder.toStdString());
    const std::string name = mm.modelNames().front();
    try {
      mm.acquire(ModelRole::Segmenter);
      QFAIL("broken package was loaded");
    } catch (const ModelError& e) {
      QVERIFY2(QString::fromStdString(e.what()).contains(expected), e.what());
    }
    const auto s = mm.snapshot();
    QCOMPARE_ENUM(status(s, name).state, ModelState::Failed);
    QVERIFY(QString::fromStdString(status(s, name).error).contains(expected));
    QCOMPARE(s.modelHostBytes, std::uint64_t(0));
    QCOMPARE(backend->weightBytes(), std::uint64_t(0));
    QVERIFY(hasEvent(s, name, "fail"));
    // Refused for good: the next acquire says why at once.
    QVERIFY_THROWS_EXCEPTION(ModelError, mm.acquire(name));
  }

  void corruptAfterRegistration() {
    const fs::path dir = root() / "corrupt-later";
    writeFixturePackage(dir / "x", seg("x", 64 * 1024));
    ModelManager mm({}, ex(std::make_shared<CpuBackend>()));
    QVERIFY(mm.addPackages(dir).empty());
    {
      std::fstream f(dir / "x" / "net.pt", std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(64);
      f.put('\x55');
    }
    // Make sure the file's time changes even on coarse clocks.
    fs::last_write_time(dir / "x" / "net.pt",
                        fs::file_time_type::clock::now() + std::chrono::seconds(5));
    try {
      mm.acquire("x");
      QFAIL("changed file was loaded");
    } catch (const ModelError& e) {
      QVERIFY2(
          QString::fromStdString(e.what()).contains("model package x: net.pt: sha256: mismatch"),
          e.what());
    }
    QCOMPARE_ENUM(status(mm.snapshot(), "x").state, ModelState::Failed);
  }

  void registrationRefusals() {
    const fs::path dir = root() / "registration";
    writeFixturePackage(dir / "ok", seg("ok", 64 * 1024));
    writeFixturePackage(dir / "gone", seg("gone", 64 * 1024));
    fs::remove(dir / "gone" / "net.pt");
    ModelManager mm({}, ex(std::make_shared<CpuBackend>()));
    const auto problems = mm.addPackages(dir);
    QCOMPARE(problems.size(), std::size_t(1));
    QVERIFY(
        QString::fromStdString(problems[0]).contains("model package gone: net.pt: file exists"));
    const auto s = mm.snapshot();
    QCOMPARE(s.models.size(), std::size_t(2));
    QCOMPARE_ENUM(status(s, "gone").state, ModelState::Failed);
    auto h = mm.acquire(ModelRole::Segmenter);  // the valid one
    QCOMPARE(QString::fromStdString(h.name()), QString("ok"));
    QVERIFY_THROWS_EXCEPTION(ModelError, mm.acquire(ModelRole::Generator));
  }

  void idleTimeout() {
    ManagerConfig cfg;
    cfg.policy = Policy::Keep;
    cfg.idleUnloadSeconds = 0.05;
    ModelManager mm(cfg, ex(sim(64 * MiB)));
    mm.addPackages(three_);
    mm.load("a");
    mm.tick();
    QCOMPARE_ENUM(status(mm.snapshot(), "a").state, ModelState::Resident);
    std::this_thread::sleep_for(std::chrono::milliseconds(120));
    mm.tick();
    QCOMPARE_ENUM(status(mm.snapshot(), "a").state, ModelState::Unloaded);
  }

  void unloadWhileInUseWaitsForRelease() {
    ManagerConfig cfg;
    cfg.policy = Policy::Keep;
    ModelManager mm(cfg, ex(sim(64 * MiB)));
    mm.addPackages(three_);
    {
      auto h = mm.acquire("a");
      mm.unload("a");
      QCOMPARE_ENUM(status(mm.snapshot(), "a").state, ModelState::Resident);
      runAll(h);
    }
    QCOMPARE_ENUM(status(mm.snapshot(), "a").state, ModelState::Unloaded);
  }

  void snapshotEventsAndVerbose() {
    ModelManager mm({}, ex(std::make_shared<CpuBackend>()));
    mm.addPackages(three_);
    std::vector<std::string> lines;
    mm.setVerboseSink([&](const std::string& l) { lines.push_back(l); });
    mm.setVerbose(true);
    for (int i = 0; i < 120; ++i) mm.load(i % 2 ? "a" : "b");
    const auto s = mm.snapshot();
    QVERIFY(s.eventSerial > 200);
    QCOMPARE(s.recentEvents.size(), std::size_t(200));
    QVERIFY(!lines.empty());
    QVERIFY(QString::fromStdString(lines.back()).contains("load a"));
    QVERIFY(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
      return l.find("unload b") != std::string::npos;
    }));
    // Sequential: a model loaded by hand stays until another one is needed.
    QCOMPARE_ENUM(status(s, "a").state, ModelState::Resident);
    QCOMPARE(residentCount(s), 1);
    QVERIFY(s.hostRss > 0);
    QVERIFY(!s.device.available);
    QVERIFY(!s.device.note.empty());
    const QString table = QString::fromStdString(describeSnapshot(s));
    QVERIFY(table.contains("NAME"));
    QVERIFY(table.contains("segmenter"));
    QVERIFY(table.contains("unloaded"));
    // Polling changes nothing (its cost is in `h3dpart bench models`).
    for (int i = 0; i < 100; ++i) (void)mm.snapshot();
    QCOMPARE(residentCount(mm.snapshot()), 1);
  }

  // Several threads acquire, run, unload, switch policies and poll at once.
  void concurrentAcquireUnload() {
    auto backend = sim(24 * MiB);
    ManagerConfig cfg;
    cfg.policy = Policy::Budget;
    cfg.vramBudget = 12 * MiB;
    cfg.ramBudget = 12 * MiB;
    ModelManager mm(cfg, ex(backend));
    mm.addPackages(three_);
    mm.addPackages(pair_);
    std::atomic<int> failures{0}, runs{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937 rng{unsigned(t)};
        const char* names[] = {"a", "b", "c", "seg", "gen"};
        for (int i = 0; i < 25; ++i) {
          try {
            auto h = mm.acquire(names[rng() % 5]);
            runAll(h);
            ++runs;
          } catch (const OutOfMemoryError&) {
            // Several pinned models may not fit together: a clear refusal is fine.
          } catch (const std::exception& e) {
            qWarning("thread %d: %s", t, e.what());
            ++failures;
          }
        }
      });
    }
    threads.emplace_back([&] {
      int i = 0;
      while (!stop) {
        try {
          if (i % 7 == 0)
            mm.unloadAll();
          else
            mm.unload(i % 2 ? "a" : "gen");
          if (i % 11 == 0) mm.setPolicy(i % 22 ? Policy::Keep : Policy::Budget);
        } catch (const std::exception& e) {
          qWarning("unloader: %s", e.what());
          ++failures;
        }
        ++i;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
    threads.emplace_back([&] {
      while (!stop) {
        const auto s = mm.snapshot();
        (void)describeSnapshot(s);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    for (int t = 0; t < 4; ++t) threads[std::size_t(t)].join();
    stop = true;
    threads[4].join();
    threads[5].join();
    QCOMPARE(failures.load(), 0);
    QVERIFY(runs > 0);
    mm.unloadAll();
    const auto s = mm.snapshot();
    QCOMPARE(s.modelDeviceBytes, std::uint64_t(0));
    QCOMPARE(s.modelHostBytes, std::uint64_t(0));
    QCOMPARE(backend->weightBytes(), std::uint64_t(0));
    for (const auto& m : s.models) QCOMPARE(m.handles, 0);
  }

  // The benchmark behind `h3dpart bench models`, scaled down.
  void benchmarkSmoke() {
    ModelBenchOptions options;
    options.workDir = root() / "bench";
    options.largeBytes = 8 * MiB;
    options.sessionUnitBytes = 1 * MiB;
    options.repeats = 1;
    const auto report = runModelBenchmark(options);
    QVERIFY(report["cold_load"]["load_ms"].get<double>() > 0.0);
    QVERIFY(report["cold_load"]["cat_ms"].get<double>() > 0.0);
    QCOMPARE(QString::fromStdString(report["warm_switch"]["source"].get<std::string>()),
             QString("host cache"));
    QCOMPARE(report["sessions"].size(), std::size_t(4));
    for (const auto& s : report["sessions"]) {
      QVERIFY(s["peak_model_bytes"].get<std::uint64_t>() > 0);
      if (s["policy"] == "sequential") {
        QCOMPARE(s["idle_model_bytes"].get<std::uint64_t>(), std::uint64_t(0));
        // The larger of the two models' stages (the decoder, 4 units), not the sum.
        QVERIFY(s["peak_model_bytes"].get<std::uint64_t>() < 5 * MiB);
      }
    }
    QVERIFY(report["sessions"][3]["loads_from_host_cache"].get<int>() > 0);
  }

  // Loading and unloading a ~500 MB package 20 times returns the RSS to
  // within 50 MB of where it started.
  void rssReturnsAfterRepeatedLoads_data() {
    QTest::addColumn<bool>("copy");
    QTest::newRow("zero-copy map") << false;
    QTest::newRow("copying reader") << true;
  }
  void rssReturnsAfterRepeatedLoads() {
    QFETCH(bool, copy);
    struct Env {
      explicit Env(bool on) {
        if (on) setenv("H3DPART_LOAD_COPY", "1", 1);
      }
      ~Env() { unsetenv("H3DPART_LOAD_COPY"); }
    } env(copy);
    const fs::path dir = root() / "large";
    FixturePackage p = seg("large", 500 * MiB);
    writeFixturePackage(dir / "large", p);
    ModelManager mm({}, ex(std::make_shared<CpuBackend>()));
    mm.addPackages(dir);
    mm.load("large");  // the first load warms up allocators and TorchScript
    mm.unloadAll();
    const std::uint64_t baseline = processRssBytes();
    std::uint64_t highest = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) {
      {
        auto h = mm.acquire("large");
        highest = std::max(highest, processRssBytes());
      }
      QCOMPARE(mm.snapshot().modelDeviceBytes, std::uint64_t(0));
    }
    const std::uint64_t after = processRssBytes();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    qInfo("RSS baseline %.1f MB, while loaded %.1f MB, after 20 cycles %.1f MB (%.1f s)",
          baseline / 1e6, highest / 1e6, after / 1e6, s);
    QVERIFY(highest > baseline + 400 * MiB);  // the weights really were there
    QVERIFY2(after < baseline + 50 * 1000 * 1000, qPrintable(QString::number(after / 1e6)));
    fs::remove_all(dir);
  }
};

QTEST_GUILESS_MAIN(TestModelManager)
#include "test_model_manager.moc"
