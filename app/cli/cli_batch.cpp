#include "cli_batch.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <new>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_batch_plan.h"
#include "cli_batch_report.h"
#include "cli_commands.h"
#include "cli_job.h"
#include "h3dpart/atomic_file.h"
#include "h3dpart/compute.h"
#include "h3dpart/errors.h"
#include "h3dpart/memory_probe.h"
#include "h3dpart/model_manager.h"

namespace h3d::cli {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::uint64_t availableMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

// --jobs: a further input starts only while the machine has the memory an
// input of its size needs (one always runs, so the batch never stalls).
class MemoryGate {
 public:
  void enter(std::uint64_t need) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (running_ > 0 && availableMemoryBytes() < need) {
      ++waits_;
      cv_.wait_for(lock, std::chrono::milliseconds(200));
    }
    ++running_;
  }
  void leave() {
    std::lock_guard<std::mutex> lock(mutex_);
    --running_;
    cv_.notify_all();
  }
  int waits() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return waits_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  int running_ = 0;
  int waits_ = 0;
};

// Working memory of one input, from its file size: a mesh in memory, its
// samples, labels and parts take a few tens of bytes per byte of file.
std::uint64_t estimateNeed(const FileJob& job) {
  std::error_code ec;
  const auto bytes = fs::file_size(job.input.path, ec);
  return (512ull << 20) + (ec ? 0 : bytes * 64);
}

std::string withPath(const std::string& path, std::string what) {
  what = what.substr(0, what.find('\n'));
  if (what.find(path) != std::string::npos) return what;
  return path + ": " + what;
}

nlohmann::json modelLoads(const ManagerSnapshot& snap) {
  nlohmann::json models = nlohmann::json::array();
  for (const ModelStatus& m : snap.models) {
    if (m.diskLoads == 0 && m.hostCacheLoads == 0) continue;
    models.push_back({{"name", m.name},
                      {"role", m.role},
                      {"version", m.version},
                      {"disk_loads", m.diskLoads},
                      {"host_cache_loads", m.hostCacheLoads},
                      {"last_load_ms", m.lastLoadMs}});
  }
  return models;
}

struct Tally {
  std::size_t ok = 0, failed = 0, skipped = 0, cancelled = 0, outOfMemory = 0;
};

Tally tally(const std::vector<FileRecord>& records) {
  Tally t;
  for (const auto& r : records) {
    if (r.status == "ok") ++t.ok;
    if (r.status == "failed") ++t.failed;
    if (r.status == "failed" && r.exitKind == static_cast<int>(ExitCode::OutOfMemory))
      ++t.outOfMemory;
    if (r.status == "skipped") ++t.skipped;
    if (r.status == "cancelled") ++t.cancelled;
  }
  return t;
}

class Batch {
 public:
  Batch(const Options& options, const BatchPlan& plan, ModelManager& manager,
        const std::atomic<bool>& cancel)
      : options_(options),
        plan_(plan),
        manager_(manager),
        cancel_(cancel),
        workers_(static_cast<int>(
            std::min<std::size_t>(static_cast<std::size_t>(options.jobs), plan.jobs.size()))),
        reporter_(plan.jobs.size(), options.quiet, options.jsonLines) {}

  void run() {
    if (workers_ <= 1) {
      prestartIfNeeded();
      work();
    } else {
      const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      setComputeThreads(std::max(1, cores / workers_));
      prestartIfNeeded();  // after the thread count: the runner takes it at start
      std::vector<std::thread> threads;
      for (int i = 0; i < workers_; ++i) threads.emplace_back([this] { work(); });
      for (auto& t : threads) t.join();
    }
    reporter_.endBar();
  }

  // The runner starts loading LibTorch while the first file is imported,
  // unless no file will run (all skipped or unreadable).
  void prestartIfNeeded() {
    for (const FileJob& job : plan_.jobs)
      if (job.input.problem.empty() && !(options_.skipExisting && outputsExist(job))) {
        manager_.prestart();
        return;
      }
  }

  int finish() {
    const std::vector<FileRecord> records = reporter_.records();
    const Tally t = tally(records);
    const double seconds = reporter_.elapsedSeconds();
    const std::size_t total = plan_.jobs.size();
    const std::size_t notRun = total - records.size() + t.cancelled;
    const double perMinute =
        seconds > 0 ? static_cast<double>(t.ok + t.failed) / (seconds / 60.0) : 0.0;
    const ManagerSnapshot snap = manager_.snapshot();
    int code = 0;
    if (cancel_.load() && notRun > 0) {
      code = static_cast<int>(ExitCode::Cancelled);
    } else if (fatalCode_) {
      code = fatalCode_;
    } else if (t.failed > 0) {
      code = (t.ok == 0 && t.outOfMemory == t.failed) ? static_cast<int>(ExitCode::OutOfMemory)
                                                      : static_cast<int>(ExitCode::BadInput);
    }

    char line[256];
    std::snprintf(line, sizeof line,
                  "%zu inputs: %zu done, %zu failed, %zu skipped%s in %.1f s (%.1f files/min)",
                  total, t.ok, t.failed, t.skipped,
                  notRun ? (", " + std::to_string(notRun) + " not done").c_str() : "", seconds,
                  perMinute);
    if (!options_.quiet || t.failed || notRun) reporter_.message(line);
    for (const auto& r : records)
      if (r.status == "failed") reporter_.message("failed: " + r.error);
    if (options_.verbose) {
      std::string loads;
      for (const auto& m : snap.models)
        if (m.diskLoads || m.hostCacheLoads)
          loads += (loads.empty() ? "" : ", ") + m.name + " " + std::to_string(m.diskLoads) +
                   " from disk, " + std::to_string(m.hostCacheLoads) + " from host RAM";
      if (!loads.empty()) reporter_.message("model loads: " + loads);
    }
    if (!fatalMessage_.empty()) reporter_.message("stopped: " + fatalMessage_);
    if (code == static_cast<int>(ExitCode::Cancelled))
      reporter_.message(
          "cancelled; the input in progress left no output. Run again with "
          "--skip-existing to continue");
    else if (options_.failFast && t.failed && notRun)
      reporter_.message("stopped at the first failure (--fail-fast)");

    if (!options_.jsonReport.empty()) {
      nlohmann::json files = nlohmann::json::array();
      for (const auto& r : records) files.push_back(recordToJson(r));
      nlohmann::json doc = {{"command", options_.command},
                            {"out_dir", options_.outDir},
                            {"inputs", total},
                            {"done", t.ok},
                            {"failed", t.failed},
                            {"skipped", t.skipped},
                            {"not_done", notRun},
                            {"jobs", workers_},
                            {"memory_waits", gate_.waits()},
                            {"seconds", seconds},
                            {"files_per_minute", perMinute},
                            {"peak_rss_bytes", peakRssBytes()},
                            {"rss_bytes", processRssBytes()},
                            {"peak_model_device_bytes", snap.peakModelDeviceBytes},
                            {"device", snap.deviceName},
                            {"policy", toString(snap.policy)},
                            {"models", modelLoads(snap)},
                            {"exit_code", code},
                            {"files", files}};
      writeFileAtomically(options_.jsonReport,
                          [&](std::ostream& out) { out << doc.dump(2) << "\n"; });
    }
    return code;
  }

 private:
  void work() {
    for (;;) {
      if (stop_.load() || cancel_.load()) return;
      const std::size_t i = next_.fetch_add(1);
      if (i >= plan_.jobs.size()) return;
      process(i);
    }
  }

  void process(std::size_t i) {
    const FileJob& job = plan_.jobs[i];
    FileRecord r;
    r.index = i;
    r.path = job.input.path.string();
    r.output = job.output.string();
    if (options_.skipExisting && job.input.problem.empty() && outputsExist(job)) {
      r.status = "skipped";
      reporter_.finished(r);
      return;
    }
    if (workers_ > 1) gate_.enter(estimateNeed(job));
    if (workers_ == 1) resetPeakRss();
    reporter_.started(i, r.path);
    Progress progress([&](std::string_view stage, double f) { reporter_.stage(i, stage, f); },
                      &cancel_);
    const auto t0 = Clock::now();
    try {
      const JobResult res = runJob(job, options_, manager_, progress, cancel_);
      r.status = "ok";
      r.parts = res.outputParts;
      r.triangles = res.triangles;
      r.stages = res.stages;
      if (res.degenerateTriangles && !options_.quiet)
        reporter_.message(r.path + ": " + std::to_string(res.degenerateTriangles) +
                          " degenerate (zero-area) triangles kept");
    } catch (const CancelledError&) {
      r.status = "cancelled";
      r.error = r.path + ": cancelled; no output written";
    } catch (const RunnerError& e) {
      // The runner ended on this input (crash, hang): this input fails, the
      // next one gets a fresh runner.
      fail(r, e.what(), static_cast<int>(ExitCode::ModelProblem));
    } catch (const ModelError& e) {
      fail(r, e.what(), static_cast<int>(ExitCode::ModelProblem));
      stopBatch(static_cast<int>(ExitCode::ModelProblem), r.error);
    } catch (const UsageError& e) {
      fail(r, e.what(), static_cast<int>(ExitCode::Usage));
      stopBatch(static_cast<int>(ExitCode::Usage), r.error);
    } catch (const Error& e) {
      fail(r, e.what(), static_cast<int>(e.exitCode()));
    } catch (const std::bad_alloc&) {
      fail(r, "out of memory", static_cast<int>(ExitCode::OutOfMemory));
    } catch (const std::exception& e) {
      fail(r, std::string("model problem: ") + e.what(), static_cast<int>(ExitCode::ModelProblem));
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.peakRssBytes = peakRssBytes();
    r.rssBytes = processRssBytes();
    if (workers_ > 1) gate_.leave();
    if (r.status == "failed" && options_.failFast) stop_ = true;
    reporter_.finished(r);
  }

  void fail(FileRecord& r, const std::string& what, int kind) {
    r.status = "failed";
    r.error = withPath(r.path, what);
    r.exitKind = kind;
  }

  void stopBatch(int code, const std::string& why) {
    std::lock_guard<std::mutex> lock(fatalMutex_);
    if (!fatalCode_) {
      fatalCode_ = code;
      fatalMessage_ = why;
    }
    stop_ = true;
  }

  const Options& options_;
  const BatchPlan& plan_;
  ModelManager& manager_;
  const std::atomic<bool>& cancel_;
  const int workers_;
  BatchReporter reporter_;
  MemoryGate gate_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::mutex fatalMutex_;
  int fatalCode_ = 0;
  std::string fatalMessage_;
};

}  // namespace

namespace {

// Every input allocates and frees the same few hundred MiB (samples, masks,
// labels). By default glibc gives large blocks back to the kernel on free and
// the next input faults them in again, zero-filled: a third of a batch's CPU
// time. A batch keeps that working memory (RSS stays at the largest input's
// peak instead of returning to idle between inputs).
void keepWorkingMemory() {
  ::mallopt(M_MMAP_MAX, 0);
  ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace

int runBatch(const Options& options, const std::atomic<bool>& cancel) {
  const BatchPlan plan = planBatch(options, std::cin);
  if (plan.jobs.size() > 1) keepWorkingMemory();
  auto manager = makeManager(options);
  Batch batch(options, plan, *manager, cancel);
  batch.run();
  return batch.finish();
}

}  // namespace h3d::cli
