// The runner process: spawn, run, prestart (used, or ended unused), sequential exit, a runner
// outliving the thread that started it, keep-alive expiry, cancel by kill, each fault kind, parent
// killed, runner missing. The models run in h3dpart-runner
// ($H3DPART_RUNNER, set by ctest); the fixture packages are written with the
// in-process torch side.
#include <QTemporaryDir>
#include <QtTest>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli_test_support.h"
#include "h3dpart/errors.h"
#include "h3dpart/model_bench.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/runner_client.h"

using namespace h3d;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

#define QCOMPARE_ENUM(a, b) \
  QCOMPARE(QString::fromStdString(h3d::toString(a)), QString::fromStdString(h3d::toString(b)))

namespace {

Tensor points() {
  Tensor t = Tensor::make(DType::Float32, {16, 3});
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = float(i) / 48.f;
  return t;
}

// A process that exists and is not a zombie.
bool processAlive(int pid) {
  if (pid <= 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// Waits (a hang guard, not a timing check) until pred holds.
template <class Pred>
bool waitFor(Pred pred, std::chrono::seconds guard = 60s) {
  const auto end = std::chrono::steady_clock::now() + guard;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// The pids of live runners started by the process `parent` (their command
// line names it), whoever their parent is now.
std::vector<int> runnersOf(int parent) {
  std::vector<int> pids;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "cmdline");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string cmd = ss.str();
    for (auto& c : cmd)
      if (c == '\0') c = ' ';
    if (cmd.find("h3dpart-runner") != std::string::npos &&
        cmd.find("--parent " + std::to_string(parent) + " ") != std::string::npos &&
        processAlive(std::stoi(name)))
      pids.push_back(std::stoi(name));
  }
  return pids;
}

// Sets an environment variable for the runners started while it lives.
struct ScopedEnv {
  std::string name;
  ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) {
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

}  // namespace

class TestRunner : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir tmp_;
  fs::path models_;

  std::unique_ptr<ModelManager> manager(Policy policy = Policy::Sequential,
                                        const std::string& runnerPath = {}) {
    ManagerConfig cfg;
    cfg.device = "cpu";
    cfg.policy = policy;
    cfg.runnerPath = runnerPath;
    auto m = std::make_unique<ModelManager>(cfg);
    m->addPackages(models_);
    return m;
  }

  static int runOnce(ModelManager& mm) {
    auto h = mm.acquire("fx");
    const auto out = h.run("net", {points()});
    if (out.size() != 1 || out[0].dim() != 2 || out[0].size(0) != 16 || out[0].size(1) != 8)
      throw std::runtime_error("unexpected output");
    return mm.snapshot().runner.pid;
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    models_ = fs::path(tmp_.path().toStdString()) / "models";
    FixturePackage p;
    p.name = "fx";
    p.components = {FixtureComponent{"net", 256 * 1024, "ok"}};
    writeFixturePackage(models_ / "fx", p);
    ::unsetenv("H3DPART_RUNNER_FAULT");
  }

  // A run goes through the runner: the outputs are the network's, computed
  // from the inputs the client put in shared memory.
  void spawnAndRun() {
    auto mm = manager(Policy::Keep);
    QCOMPARE_ENUM(mm->snapshot().runner.state, RunnerState::None);
    Tensor in = points();
    std::vector<Tensor> out;
    int pid = 0;
    {
      auto h = mm->acquire("fx");
      const auto s = mm->snapshot();
      pid = s.runner.pid;
      QVERIFY(pid > 0 && pid != ::getpid());
      QVERIFY(processAlive(pid));
      QCOMPARE_ENUM(s.runner.state, RunnerState::Ready);
      QVERIFY(s.runner.spawnToReadyMs > 0);
      QVERIFY(s.runner.rss > 0);
      out = h.run("net", {in});
    }
    QCOMPARE(out.size(), std::size_t(1));
    QCOMPARE(out[0].shape(), (std::vector<std::int64_t>{16, 8}));
    QVERIFY(out[0].buffer()->fd() >= 0);  // came back in shared memory
    // The same run twice gives the same answer (a real network, not noise).
    auto h = mm->acquire("fx");
    const auto again = h.run("net", {in});
    QCOMPARE(std::memcmp(again[0].raw(), out[0].raw(), out[0].bytes()), 0);
    QCOMPARE(mm->snapshot().runner.pid, pid);  // Keep: the same runner
  }

  // Sequential: when nothing is loaded after the operation, the runner ends.
  void sequentialEndsRunner() {
    auto mm = manager(Policy::Sequential);
    const int pid = runOnce(*mm);
    QVERIFY(pid > 0);
    QVERIFY(waitFor([&] { return !processAlive(pid); }));
    const auto s = mm->snapshot();
    QCOMPARE_ENUM(s.runner.state, RunnerState::Exited);
    QCOMPARE(s.runner.pid, 0);
    QCOMPARE(s.runner.starts, 1);
    QCOMPARE(s.runner.exits, 1);
    QCOMPARE_ENUM(s.models.front().state, ModelState::Unloaded);
    bool sawStart = false, sawExit = false;
    for (const auto& e : s.recentEvents) {
      sawStart = sawStart || e.event == "runner-start";
      sawExit = sawExit || e.event == "runner-exit";
    }
    QVERIFY(sawStart && sawExit);
    // The next operation starts a fresh runner.
    const int second = runOnce(*mm);
    QVERIFY(second > 0 && second != pid);
  }

  // prestart(): the runner process starts at once, without waiting for its
  // hello; the first use waits for it and uses it (no second start).
  void prestartedRunnerServesFirstUse() {
    auto mm = manager(Policy::Sequential);
    mm->prestart();
    const int pid = mm->snapshot().runner.pid;
    QVERIFY(pid > 0 && pid != ::getpid());
    QVERIFY(processAlive(pid));
    mm->prestart();  // already started: nothing more
    QCOMPARE(mm->snapshot().runner.pid, pid);
    QCOMPARE(runOnce(*mm), pid);
    QCOMPARE(mm->snapshot().runner.starts, 1);
  }

  // A prestarted runner that is never used (the command failed before it
  // needed a model) is ended with the manager: its parent, this process,
  // lives on, so its parent watch is not what ends it.
  void prestartedRunnerEndsUnused() {
    auto mm = manager(Policy::Sequential);
    mm->prestart();
    const int pid = mm->snapshot().runner.pid;
    QVERIFY(pid > 0);
    QVERIFY(processAlive(pid));
    mm.reset();
    QVERIFY(waitFor([&] { return !processAlive(pid); }));
    QVERIFY(runnersOf(::getpid()).empty());
  }

  // The runner is started with glibc's malloc asking for transparent huge
  // pages (GLIBC_TUNABLES), unless the user's GLIBC_TUNABLES says otherwise.
  void runnerAsksForHugePages() {
    auto tunables = [](int pid) {
      std::ifstream in("/proc/" + std::to_string(pid) + "/environ");
      std::stringstream ss;
      ss << in.rdbuf();
      std::string env = ss.str(), found;
      for (std::size_t at = 0; at < env.size();) {
        const std::size_t end = env.find('\0', at);
        const std::string e =
            env.substr(at, end == std::string::npos ? std::string::npos : end - at);
        if (e.rfind("GLIBC_TUNABLES=", 0) == 0) found = e;
        if (end == std::string::npos) break;
        at = end + 1;
      }
      return found;
    };
    {
      auto mm = manager(Policy::Keep);  // the runner stays after the run (it has exec'd)
      const int pid = runOnce(*mm);
      QVERIFY(pid > 0);
      QCOMPARE(QString::fromStdString(tunables(pid)),
               QStringLiteral("GLIBC_TUNABLES=glibc.malloc.hugetlb=1"));
    }
    ScopedEnv env("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0");
    auto mm = manager(Policy::Keep);
    const int pid = runOnce(*mm);
    QVERIFY(pid > 0);
    QCOMPARE(QString::fromStdString(tunables(pid)),
             QStringLiteral("GLIBC_TUNABLES=glibc.malloc.hugetlb=0"));
  }

  // A CLI command whose input fails to import after the runner was
  // prestarted: the one-line error names the file; no runner is left.
  void failedCliCommandLeavesNoRunner() {
    const QString bad = tmp_.filePath("broken.off");
    {
      std::ofstream f(bad.toStdString());
      f << "OFF\n3 1 0\n0 0 0\n1 0 0\n";  // two vertices short
    }
    QProcess cli;
    cli.start(cli_test::kCli, {"--quiet", "segment", bad, "-o", tmp_.filePath("broken.glb")});
    QVERIFY(cli.waitForStarted());
    const int parent = int(cli.processId());
    QVERIFY(cli.waitForFinished(120000));
    QVERIFY(cli.exitCode() != 0);
    const QString err = QString::fromUtf8(cli.readAllStandardError()).trimmed();
    QVERIFY2(err.contains(bad) && !err.contains('\n'), qPrintable(err));
    QVERIFY(!QFileInfo::exists(tmp_.filePath("broken.glb")));
    QVERIFY(waitFor([&] { return runnersOf(parent).empty(); }));
  }

  // A runner started by a thread that has since ended (a batch worker, the
  // engine thread) still serves the others: it ends with the process, not
  // with the thread that forked it.
  void runnerOutlivesTheThreadThatStartedIt() {
    auto mm = manager(Policy::Keep);
    int pid = 0;
    std::thread starter([&] { pid = runOnce(*mm); });
    starter.join();
    QVERIFY(pid > 0);
    std::this_thread::sleep_for(200ms);  // room for a signal to land (not a timing check)
    QVERIFY(processAlive(pid));
    QCOMPARE(runOnce(*mm), pid);  // the same runner, from this thread
    QCOMPARE(mm->snapshot().runner.exits, 0);
  }

  // Keep: the runner stays while its keep-alive has not passed, and goes with
  // its models when it has.
  void keepAliveExpiry() {
    auto mm = manager(Policy::Keep);
    mm->setKeepAliveSeconds(3600);
    const int pid = runOnce(*mm);
    mm->tick();
    QVERIFY(processAlive(pid));
    QCOMPARE_ENUM(mm->snapshot().models.front().state, ModelState::Resident);
    mm->setKeepAliveSeconds(0.05);
    std::this_thread::sleep_for(100ms);  // past the keep-alive (not a timing check)
    mm->tick();
    QVERIFY(waitFor([&] { return !processAlive(pid); }));
    const auto s = mm->snapshot();
    QCOMPARE_ENUM(s.models.front().state, ModelState::Unloaded);  // the weights went with it
    QCOMPARE_ENUM(s.runner.state, RunnerState::Exited);
    QVERIFY(QString::fromStdString(s.runner.lastExit).contains("keep-alive"));
    QVERIFY(runOnce(*mm) != pid);
  }

  // A stage that does not stop: the cancel ends the runner; the next job
  // gets a fresh one.
  void cancelKillsRunner() {
    auto mm = manager(Policy::Keep);
    int pid = 0;
    std::atomic<bool> cancel{false};
    {
      ScopedEnv fault("H3DPART_RUNNER_FAULT", "hang:net");
      auto h = mm->acquire("fx");
      pid = mm->snapshot().runner.pid;
      std::thread canceller([&] {
        waitFor([&] { return mm->snapshot().runner.state == RunnerState::Busy; });
        cancel = true;
      });
      QVERIFY_THROWS_EXCEPTION(CancelledError, h.run("net", {points()}, &cancel));
      canceller.join();
    }
    QVERIFY(waitFor([&] { return !processAlive(pid); }));
    const auto s = mm->snapshot();
    QCOMPARE_ENUM(s.models.front().state, ModelState::Unloaded);
    QVERIFY(QString::fromStdString(s.runner.lastExit).contains("cancelled"));
    const int next = runOnce(*mm);
    QVERIFY(next > 0 && next != pid);
  }

  // A cancel while the model loads (the runner starting) ends the load; the
  // model is not marked failed and loads at the next request.
  void cancelWhileLoading() {
    auto mm = manager(Policy::Keep);
    std::atomic<bool> cancel{true};
    QVERIFY_THROWS_EXCEPTION(CancelledError, mm->acquire("fx", &cancel));
    const auto s = mm->snapshot();
    QCOMPARE_ENUM(s.models.front().state, ModelState::Unloaded);
    QCOMPARE(s.runner.pid, 0);
    QVERIFY(runOnce(*mm) > 0);
  }

  // Each fault fails the job with one line and leaves the app running; the
  // next job works.
  void faults_data() {
    QTest::addColumn<QString>("fault");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<bool>("runnerEnds");
    QTest::newRow("abort") << "abort"
                           << "model fx: runner ended by signal 6 in stage 'net'" << true;
    QTest::newRow("segv") << "segv"
                          << "model fx: runner ended by signal 11 in stage 'net'" << true;
    QTest::newRow("exit") << "exit"
                          << "model fx: runner ended with status 3 in stage 'net'" << true;
    QTest::newRow("hang") << "hang"
                          << "model fx: runner did not answer within 2 s in stage 'net'" << true;
    QTest::newRow("raise") << "raise"
                           << "model fx: injected fault: the network raised" << false;
    QTest::newRow("oom") << "oom"
                         << "out of memory" << false;
  }
  void faults() {
    QFETCH(QString, fault);
    QFETCH(QString, expected);
    QFETCH(bool, runnerEnds);
    auto mm = manager(Policy::Keep);
    int pid = 0;
    QString message;
    {
      ScopedEnv f("H3DPART_RUNNER_FAULT", fault.toStdString() + ":net");
      ScopedEnv t("H3DPART_RUNNER_TIMEOUT", "2");
      auto h = mm->acquire("fx");
      pid = mm->snapshot().runner.pid;
      try {
        h.run("net", {points()});
        QFAIL("the fault did not fail the run");
      } catch (const Error& e) {
        message = QString::fromUtf8(e.what());
        QVERIFY2(!message.contains('\n'), e.what());
        if (fault == "oom") QVERIFY(dynamic_cast<const OutOfMemoryError*>(&e));
        if (runnerEnds) QVERIFY(dynamic_cast<const RunnerError*>(&e));
      }
    }
    QVERIFY2(message.contains(expected), qPrintable(message));
    if (runnerEnds) {
      QVERIFY(waitFor([&] { return !processAlive(pid); }));
      QCOMPARE_ENUM(mm->snapshot().runner.state, RunnerState::Crashed);
      QCOMPARE_ENUM(mm->snapshot().models.front().state, ModelState::Unloaded);
    } else {
      // The runner lives on (the fault was the network's), its environment
      // with it: end it so the next one starts without the fault.
      QVERIFY(processAlive(mm->snapshot().runner.pid));
      mm->executor().shutdown();
    }
    const int next = runOnce(*mm);  // the fault is gone from the environment now
    QVERIFY(next > 0);
    if (runnerEnds) QVERIFY(next != pid);
  }

  // A front end killed outright takes its runner with it.
  void parentKilledRunnerGone() {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("H3DPART_RUNNER_FAULT", "hang:segment");
    QProcess cli;
    cli.setProcessEnvironment(env);
    const QString out = tmp_.filePath("killed.ply");
    cli.start(cli_test::kCli, {"segment", cli_test::kSample, "-o", out});
    QVERIFY(cli.waitForStarted());
    const int parent = int(cli.processId());
    std::vector<int> runners;
    QVERIFY(waitFor([&] {
      runners = runnersOf(parent);
      return !runners.empty();
    }));
    ::kill(parent, SIGKILL);
    QVERIFY(cli.waitForFinished(60000));
    QVERIFY(waitFor([&] { return runnersOf(parent).empty(); }));
    // (a killed process may still be tearing down a moment after its
    // command line went: wait for it to be gone, a hang guard)
    for (int pid : runners) QVERIFY(waitFor([&] { return !processAlive(pid); }));
  }

  // A sequential CLI run leaves no runner behind.
  void sequentialCliLeavesNoRunner() {
    QProcess cli;
    const QString out = tmp_.filePath("seq.ply");
    cli.start(cli_test::kCli, {"segment", cli_test::kSample, "-o", out});
    QVERIFY(cli.waitForStarted());
    const int parent = int(cli.processId());
    QVERIFY(cli.waitForFinished(240000));
    QCOMPARE(cli.exitCode(), 0);
    QVERIFY(QFileInfo::exists(out));
    QVERIFY(runnersOf(parent).empty());
  }

  // No runner where it was looked for: a clear error at first use, naming it.
  void runnerMissing_data() {
    QTest::addColumn<bool>("exists");
    QTest::newRow("missing") << false;
    QTest::newRow("not executable") << true;
  }
  void runnerMissing() {
    QFETCH(bool, exists);
    const std::string path = tmp_.filePath(exists ? "plain-file" : "no-such-runner").toStdString();
    if (exists) {
      std::ofstream(path) << "#!/bin/sh\n";
      ::chmod(path.c_str(), 0644);
    }
    auto mm = manager(Policy::Sequential, path);  // registering needs no runner
    try {
      mm->acquire("fx");
      QFAIL("acquired without a runner");
    } catch (const ModelError& e) {
      QVERIFY2(QString::fromUtf8(e.what()).contains(QString::fromStdString(path)), e.what());
    }
    QCOMPARE_ENUM(mm->snapshot().runner.state, RunnerState::None);
  }
};

QTEST_GUILESS_MAIN(TestRunner)
#include "test_runner.moc"
