// h3dpart-bench-runner: what the runner process costs. Prints JSON:
// - spawn_to_ready_ms: h3dpart-runner from fork to its hello (LibTorch loaded);
// - request_round_trip_ms: a request with no work (a memory reading);
// - segment: the whole segment() of a mesh with the models in this process
//   and through the runner (Keep policy, runner warm), in turns; the
//   difference is what the process boundary adds (tensors in shared memory).
//
//   h3dpart-bench-runner --mesh ../shared/psb-dev/off/101.off [--models DIR] [--repeats N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "h3dpart/mesh_io.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/pipeline.h"
#include "h3dpart/runner_client.h"
#include "h3dpart/torch_executor.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace h3d;
  std::string meshPath, models;
  int repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--mesh" && i + 1 < argc) {
      meshPath = argv[++i];
    } else if (a == "--models" && i + 1 < argc) {
      models = argv[++i];
    } else if (a == "--repeats" && i + 1 < argc) {
      repeats = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr,
                   "usage: h3dpart-bench-runner --mesh FILE [--models DIR] [--repeats N]\n");
      return 2;
    }
  }
  if (meshPath.empty()) {
    std::fprintf(stderr, "h3dpart-bench-runner: --mesh FILE is required\n");
    return 2;
  }
  try {
    json report;
    // ---- spawn to ready, and a request's round trip ----
    std::vector<double> spawn, trip;
    {
      RunnerClient client("cpu");
      for (int i = 0; i < repeats; ++i) {
        client.start();
        spawn.push_back(client.runnerStatus().spawnToReadyMs);
        for (int k = 0; k < 20; ++k) {
          const auto t0 = Clock::now();
          (void)client.freeForPlanning();
          trip.push_back(msSince(t0));
        }
        client.shutdown();
      }
    }
    report["spawn_to_ready_ms"] = {{"median", median(spawn)}, {"all", spawn}};
    report["request_round_trip_ms"] = {{"median", median(trip)},
                                       {"max", *std::max_element(trip.begin(), trip.end())}};

    // ---- segment in process and through the runner, in turns ----
    const Mesh mesh = importMesh(meshPath);
    ManagerConfig cfg;
    cfg.device = "cpu";
    cfg.policy = Policy::Keep;
    ModelManager inProcess(cfg, makeTorchExecutor("cpu"));
    ModelManager overRunner(cfg);
    const auto dir = models.empty() ? defaultModelsDir() : std::filesystem::path(models);
    inProcess.addPackages(dir);
    overRunner.addPackages(dir);
    SegmentOptions so;
    std::vector<double> a, b;
    for (int i = 0; i <= repeats; ++i) {
      for (ModelManager* m : {&inProcess, &overRunner}) {
        Progress progress;
        const auto t0 = Clock::now();
        (void)segment(mesh, *m, so, progress);
        const double ms = msSince(t0);
        if (i > 0) (m == &inProcess ? a : b).push_back(ms);  // the first: loads, warm-up
      }
    }
    const double ma = median(a), mb = median(b);
    report["segment"] = {
        {"mesh", meshPath},       {"faces", mesh.faces.size()},
        {"in_process_ms", ma},    {"over_runner_ms", mb},
        {"in_process_ms_all", a}, {"over_runner_ms_all", b},
        {"overhead_ms", mb - ma}, {"overhead_share", (mb - ma) / std::max(mb, 1e-9)}};
    std::printf("%s\n", report.dump(2).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "h3dpart-bench-runner: %s\n", e.what());
    return 1;
  }
  return 0;
}
