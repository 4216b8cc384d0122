// `h3dpart bench cancel`: how long a cancel takes to stop the work, at 20
// moments spread over one run (model loading, segment, generate). Two ways
// in: in-process (the cancel flag the studio's engine sets, from another
// thread) and a whole CLI process (SIGINT). Prints min/median/p95/max.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli_bench_util.h"
#include "cli_commands.h"
#include "cli_job.h"
#include "h3dpart/errors.h"
#include "h3dpart/mesh_io.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/pipeline.h"
#include "h3dpart/samples.h"

namespace h3d::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kPoints = 20;

// Segment, then generate, as `h3dpart run` does; `stage` follows the progress.
void runJob(const Options& options, const Mesh& mesh, const std::atomic<bool>& cancel,
            std::mutex& stageMutex, std::string& stage) {
  auto manager = makeManager(options);
  Progress progress(
      [&](std::string_view s, double) {
        std::lock_guard<std::mutex> lock(stageMutex);
        if (stage != s) stage = s;
      },
      &cancel);
  SegmentOptions so;
  so.seed = options.seed;
  const Segmentation seg = segment(mesh, *manager, so, progress);
  GenerateOptions go;
  go.seed = options.seed;
  go.resolution = options.resolution;
  (void)generate(mesh, seg, *manager, go, progress);
}

struct Point {
  double at = 0;     // seconds after the start when the cancel was sent
  double stop = -1;  // seconds from the cancel to stopped; < 0: finished first
  std::string stage;
};

Point cancelInProcess(const Options& options, const Mesh& mesh, double at) {
  std::atomic<bool> cancel{false};
  std::mutex stageMutex;
  std::string stage = "starting";
  std::atomic<bool> done{false};
  BenchClock::time_point stopped;
  bool wasCancelled = false;
  std::string error;
  std::thread worker([&] {
    try {
      runJob(options, mesh, cancel, stageMutex, stage);
    } catch (const CancelledError&) {
      wasCancelled = true;
    } catch (const std::exception& e) {
      error = e.what();
    }
    stopped = BenchClock::now();
    done = true;
  });
  const auto t0 = BenchClock::now();
  while (!done && secondsSince(t0) < at) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Point p;
  p.at = at;
  {
    std::lock_guard<std::mutex> lock(stageMutex);
    p.stage = stage;
  }
  const auto sent = BenchClock::now();
  cancel = true;
  worker.join();
  if (!error.empty()) throw ModelError("bench cancel: the job failed: " + error);
  if (wasCancelled) p.stop = std::chrono::duration<double>(stopped - sent).count();
  return p;
}

// The last "h3dpart: <stage>" line the process printed before it stopped.
std::string lastStage(const fs::path& log) {
  std::ifstream in(log);
  std::string line, stage = "starting";
  while (std::getline(in, line))
    if (line.rfind("h3dpart: ", 0) == 0 && line.find("cancel") == std::string::npos)
      stage = line.substr(9);
  return stage;
}

// One `h3dpart run` process; SIGINT `at` seconds after its start (never if at < 0).
Point cancelProcess(const Options& options, const fs::path& input, const fs::path& scratch,
                    double at) {
  const fs::path out = scratch / "cancel-out.glb";
  const fs::path log = scratch / "cancel-stderr.txt";
  std::error_code ec;
  fs::remove(out, ec);
  std::vector<std::string> args = {"/proc/self/exe",
                                   "run",
                                   input.string(),
                                   "-o",
                                   out.string(),
                                   "--resolution",
                                   std::to_string(options.resolution)};
  if (!options.modelsDir.empty()) args.insert(args.begin() + 1, {"--models", options.modelsDir});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto t0 = BenchClock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) ::dup2(fd, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, STDOUT_FILENO);
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  if (pid < 0) throw ModelError("bench cancel: cannot start a process");
  Point p;
  p.at = at;
  int status = 0;
  if (at >= 0) {
    while (secondsSince(t0) < at && ::waitpid(pid, &status, WNOHANG) == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ::kill(pid, SIGINT);
  }
  const auto sent = BenchClock::now();
  ::waitpid(pid, &status, 0);
  const double stop = secondsSince(sent);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  p.stage = lastStage(log);
  if (at < 0) {
    p.stop = secondsSince(t0);  // the whole run
    if (code != 0)
      throw ModelError("bench cancel: `h3dpart run` failed (exit " + std::to_string(code) + ")");
  } else if (code == static_cast<int>(ExitCode::Cancelled)) {
    p.stop = stop;
    if (fs::exists(out, ec)) throw ModelError("bench cancel: a cancelled run left its output");
  }
  return p;
}

json summary(const std::vector<Point>& points) {
  std::vector<double> t;
  json byStage = json::object();
  for (const Point& p : points)
    if (p.stop >= 0) {
      t.push_back(p.stop);
      byStage[p.stage].push_back(p.stop);
    }
  std::sort(t.begin(), t.end());
  json s = {{"points", points.size()}, {"cancelled", t.size()}};
  if (t.empty()) return s;
  const auto at = [&](double q) {
    return t[std::min(t.size() - 1, static_cast<std::size_t>(std::ceil(q * t.size()) - 1))];
  };
  s["min_s"] = t.front();
  s["median_s"] = t[t.size() / 2];
  s["p95_s"] = at(0.95);
  s["max_s"] = t.back();
  s["by_stage_s"] = byStage;
  return s;
}

void printTable(const char* what, const json& s) {
  if (!s.contains("min_s")) {
    std::printf("%-22s no point was cancelled\n", what);
    return;
  }
  std::printf("%-22s %2d/%2d cancelled  min %.3f  median %.3f  p95 %.3f  max %.3f s\n", what,
              s["cancelled"].get<int>(), s["points"].get<int>(), s["min_s"].get<double>(),
              s["median_s"].get<double>(), s["p95_s"].get<double>(), s["max_s"].get<double>());
  for (const auto& [stage, times] : s["by_stage_s"].items()) {
    double worst = 0;
    for (double v : times) worst = std::max(worst, v);
    std::printf("    %-28s %2zu points, worst %.3f s\n", stage.c_str(), times.size(), worst);
  }
}

}  // namespace

int runBenchCancel(const Options& options) {
  const fs::path input =
      options.inputs.empty() ? defaultSampleMesh() : fs::path(options.inputs.front());
  const Mesh mesh = importMesh(input);
  const ScratchDir scratch("h3dpart-bench-cancel-");

  // Uncancelled runs of each kind set where the 20 points fall: the shorter
  // of two (the first pays cold caches), and the points over its first 90 %,
  // so on a noisy machine few of them land after the work has finished.
  std::atomic<bool> never{false};
  std::mutex m;
  std::string stage;
  double inProcessRun = 1e30, processRun = 1e30;
  for (int i = 0; i < 2; ++i) {
    const auto t0 = BenchClock::now();
    runJob(options, mesh, never, m, stage);
    inProcessRun = std::min(inProcessRun, secondsSince(t0));
    processRun = std::min(processRun, cancelProcess(options, input, scratch.path(), -1).stop);
  }

  std::vector<Point> engine, process;
  for (int i = 0; i < kPoints; ++i) {
    const double f = 0.9 * (i + 0.5) / kPoints;
    engine.push_back(cancelInProcess(options, mesh, f * inProcessRun));
    process.push_back(cancelProcess(options, input, scratch.path(), f * processRun));
    if (!options.quiet)
      std::fprintf(stderr, "h3dpart: bench cancel: point %d/%d\n", i + 1, kPoints);
  }
  const json doc = {{"input", input.filename().string()}, {"triangles", mesh.faces.size()},
                    {"run_in_process_s", inProcessRun},   {"run_process_s", processRun},
                    {"in_process", summary(engine)},      {"sigint_process", summary(process)}};
  if (options.json) {
    std::printf("%s\n", doc.dump(2).c_str());
  } else {
    std::printf(
        "cancel latency, %s (%zu triangles); runs take %.2f s in process, %.2f s as a "
        "process\n",
        input.filename().c_str(), mesh.faces.size(), inProcessRun, processRun);
    printTable("in-process cancel", doc["in_process"]);
    printTable("SIGINT to the CLI", doc["sigint_process"]);
  }
  return 0;
}

}  // namespace h3d::cli
