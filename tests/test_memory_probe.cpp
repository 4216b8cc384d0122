// Memory probes, device backends and out-of-memory translation (no GPU needed).
#include <QtTest>

#include <c10/util/Exception.h>

#include <new>

#include "h3dpart/device_backend.h"
#include "h3dpart/device_name.h"
#include "h3dpart/errors.h"
#include "h3dpart/memory_probe.h"

using namespace h3d;

class TestMemoryProbe : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void hostReadings() {
    const auto host = hostMemory();
    QVERIFY(host.total > 0);
    QVERIFY(host.available > 0 && host.available <= host.total);
    QVERIFY(host.rss > 0);
    const std::uint64_t before = processRssBytes();
    std::vector<char> block(64 << 20, 1);  // touched: resident
    QVERIFY(processRssBytes() >= before + (60 << 20));
    QVERIFY(block[12345] == 1);
  }

  void cpuViewWithoutCuda() {
    const DeviceMemory d = cpuDeviceMemory();
    QVERIFY(!d.available);
    QCOMPARE(QString::fromStdString(d.name), QString("CPU"));
    QVERIFY(QString::fromStdString(d.note).contains("no CUDA device"));
    QVERIFY(d.total > 0 && d.processUsed > 0);
  }

  // This machine has no GPU driver: the probe says so and creates nothing.
  void cudaProbeWithoutDriver() {
    auto& probe = CudaProbe::instance();
    if (probe.available()) QSKIP("a GPU is present");
    QVERIFY(QString::fromStdString(probe.note()).startsWith("no CUDA device"));
    const DeviceMemory d = probe.read(0);
    QVERIFY(!d.available);
    QVERIFY(!d.note.empty());
    std::uint64_t f = 0, t = 0;
    QVERIFY(!probe.runtimeMemInfo(f, t));
    QVERIFY(!cudaUsable());
  }

  // CUDA's ordinal N is not NVML's index N when CUDA_VISIBLE_DEVICES
  // reorders or hides GPUs: the probe must ask NVML for the right one.
  void nvmlSelectorFollowsVisibleDevices_data() {
    QTest::addColumn<int>("ordinal");
    QTest::addColumn<QString>("visible");  // "<unset>" = not set
    QTest::addColumn<bool>("valid");
    QTest::addColumn<bool>("byUuid");
    QTest::addColumn<int>("index");
    QTest::addColumn<QString>("uuid");
    QTest::newRow("unset: same order") << 1 << "<unset>" << true << false << 1 << "";
    QTest::newRow("reordered") << 0 << "2,0" << true << false << 2 << "";
    QTest::newRow("second of reordered") << 1 << "2, 0" << true << false << 0 << "";
    QTest::newRow("beyond the list") << 2 << "2,0" << false << false << 0 << "";
    QTest::newRow("empty: no GPU visible") << 0 << "" << false << false << 0 << "";
    QTest::newRow("by uuid") << 0 << "GPU-8f6e2c1a-1111-2222-3333-444455556666" << true << true << 0
                             << "GPU-8f6e2c1a-1111-2222-3333-444455556666";
    QTest::newRow("MIG cannot be matched by index")
        << 0 << "MIG-GPU-1/0/0" << false << false << 0 << "";
    QTest::newRow("garbage") << 0 << "x1" << false << false << 0 << "";
    QTest::newRow("negative") << 0 << "-1" << false << false << 0 << "";
  }

  void nvmlSelectorFollowsVisibleDevices() {
    QFETCH(int, ordinal);
    QFETCH(QString, visible);
    QFETCH(bool, valid);
    QFETCH(bool, byUuid);
    QFETCH(int, index);
    QFETCH(QString, uuid);
    const QByteArray text = visible.toUtf8();
    const NvmlSelector sel =
        nvmlSelectorFor(ordinal, visible == "<unset>" ? nullptr : text.constData());
    QCOMPARE(sel.valid, valid);
    if (!valid) return;
    QCOMPARE(sel.by == NvmlSelector::By::Uuid, byUuid);
    if (byUuid)
      QCOMPARE(QString::fromStdString(sel.uuid), uuid);
    else
      QCOMPARE(sel.index, index);
  }

  void backends_data() {
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("name");
    QTest::newRow("cpu") << "cpu"
                         << "cpu";
    QTest::newRow("sim") << "sim:1048576"
                         << "sim";
    if (!cudaUsable())
      QTest::newRow("auto without GPU") << "auto"
                                        << "cpu";
  }
  void backends() {
    QFETCH(QString, device);
    QFETCH(QString, name);
    auto b = makeBackend(device.toStdString());
    QCOMPARE(QString::fromStdString(b->name()), name);
    QCOMPARE(QString::fromStdString(b->torchDevice()), QString("cpu"));
    (void)b->memory();
    QVERIFY(b->freeForPlanning() > 0);
  }

  // The one parser of device names the front ends and the runner share.
  void deviceNames_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("kind");  // -1: refused
    QTest::addColumn<int>("index");
    QTest::addColumn<qulonglong>("bytes");
    using K = DeviceName::Kind;
    QTest::newRow("cpu") << "cpu" << int(K::Cpu) << 0 << 0ull;
    QTest::newRow("auto") << "auto" << int(K::Auto) << 0 << 0ull;
    QTest::newRow("cuda") << "cuda" << int(K::Cuda) << 0 << 0ull;
    QTest::newRow("cuda:1") << "cuda:1" << int(K::Cuda) << 1 << 0ull;
    QTest::newRow("sim") << "sim:1048576" << int(K::Simulated) << 0 << 1048576ull;
    QTest::newRow("cuda:x") << "cuda:x" << -1 << 0 << 0ull;
    QTest::newRow("cuda:1x") << "cuda:1x" << -1 << 0 << 0ull;
    QTest::newRow("sim:lots") << "sim:lots" << -1 << 0 << 0ull;
    QTest::newRow("sim:") << "sim:" << -1 << 0 << 0ull;
    QTest::newRow("tpu") << "tpu" << -1 << 0 << 0ull;
    QTest::newRow("empty") << "" << -1 << 0 << 0ull;
  }

  void deviceNames() {
    QFETCH(QString, text);
    QFETCH(int, kind);
    QFETCH(int, index);
    QFETCH(qulonglong, bytes);
    if (kind < 0) {
      QVERIFY_THROWS_EXCEPTION(UsageError, parseDeviceName(text.toStdString()));
      return;
    }
    const DeviceName d = parseDeviceName(text.toStdString());
    QCOMPARE(int(d.kind), kind);
    QCOMPARE(d.cudaIndex, index);
    QCOMPARE(qulonglong(d.simulatedBytes), bytes);
  }

  void badDevices() {
    QVERIFY_THROWS_EXCEPTION(UsageError, makeBackend("tpu"));
    QVERIFY_THROWS_EXCEPTION(UsageError, makeBackend("sim:lots"));
    if (!cudaUsable()) {
      try {
        makeBackend("cuda");
        QFAIL("cuda accepted without a GPU");
      } catch (const ModelError& e) {
        QVERIFY2(QString::fromStdString(e.what()).contains("no CUDA device") ||
                     QString::fromStdString(e.what()).contains("no CUDA support"),
                 e.what());
      }
    }
  }

  void simulatedCapacity() {
    SimulatedBackend sim(100);
    sim.reserveWeights(60);
    QCOMPARE(sim.used(), std::uint64_t(60));
    QVERIFY_THROWS_EXCEPTION(OutOfMemoryError, sim.reserveWeights(41));
    QCOMPARE(sim.used(), std::uint64_t(60));
    sim.beginRun(40);
    QCOMPARE(sim.peakUsed(), std::uint64_t(100));
    QVERIFY_THROWS_EXCEPTION(OutOfMemoryError, sim.beginRun(1));
    sim.endRun(40);
    sim.failNextRuns(1);
    QVERIFY_THROWS_EXCEPTION(OutOfMemoryError, sim.beginRun(1));
    sim.beginRun(1);
    sim.endRun(1);
    sim.failNextReservations(1);
    QVERIFY_THROWS_EXCEPTION(OutOfMemoryError, sim.reserveWeights(1));
    sim.releaseWeights(60);
    QCOMPARE(sim.used(), std::uint64_t(0));
    const DeviceMemory d = sim.memory();
    QVERIFY(d.available);
    QCOMPARE(d.total, std::uint64_t(100));
    QCOMPARE(d.free, std::uint64_t(100));
    try {
      sim.reserveWeights(1000);
    } catch (const OutOfMemoryError& e) {
      QVERIFY(isOutOfMemoryMessage(e.what()));
      QCOMPARE(int(e.exitCode()), int(ExitCode::OutOfMemory));
    }
  }

  void oomMessages_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("oom");
    QTest::newRow("caching allocator")
        << "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total capacity)"
        << true;
    QTest::newRow("runtime") << "CUDA error: out of memory" << true;
    QTest::newRow("driver") << "CUDA_ERROR_OUT_OF_MEMORY" << true;
    QTest::newRow("cublas") << "CUBLAS_STATUS_ALLOC_FAILED when calling cublasCreate(handle)"
                            << true;
    QTest::newRow("cpu allocator") << "DefaultCPUAllocator: can't allocate memory: you tried to "
                                      "allocate 1000 bytes. Error code 12 (Cannot allocate memory)"
                                   << false;
    QTest::newRow("shape error") << "mat1 and mat2 shapes cannot be multiplied" << false;
  }
  void oomMessages() {
    QFETCH(QString, text);
    QFETCH(bool, oom);
    QCOMPARE(isOutOfMemoryMessage(text.toStdString()), oom);
  }

  void translation() {
    QVERIFY_THROWS_EXCEPTION(OutOfMemoryError, translateOutOfMemory([] {
                               throw c10::Error({__func__, __FILE__, 1},
                                                "CUDA out of memory. Tried to allocate 20.00 MiB");
                             }));
    QVERIFY_THROWS_EXCEPTION(
        OutOfMemoryError, translateOutOfMemory([] {
          throw c10::OutOfMemoryError({__func__, __FILE__, 1}, "CUDA out of memory.");
        }));
    QVERIFY_THROWS_EXCEPTION(OutOfMemoryError,
                             translateOutOfMemory([] { throw std::bad_alloc(); }));
    QVERIFY_THROWS_EXCEPTION(
        c10::Error, translateOutOfMemory([] {
          throw c10::Error({__func__, __FILE__, 1}, "shapes cannot be multiplied");
        }));
    QVERIFY_THROWS_EXCEPTION(InputError,
                             translateOutOfMemory([] { throw InputError("f", "bad"); }));
    int calls = 0;
    translateOutOfMemory([&] { ++calls; });
    QCOMPARE(calls, 1);
  }
};

QTEST_GUILESS_MAIN(TestMemoryProbe)
#include "test_memory_probe.moc"
