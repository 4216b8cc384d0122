// `h3dpart bench pipeline`: wall time and peak memory of each pipeline stage
// on meshes of about 10k, 100k and 1M triangles, printed as JSON.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_commands.h"
#include "h3dpart/errors.h"
#include "h3dpart/mesh_io.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/pipeline.h"
#include "h3dpart/samples.h"
#include "h3dpart/sampling.h"

namespace h3d::cli {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::uint64_t currentRssBytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// Peak RSS of a stage: the kernel's high-water mark cannot be reset on every
// kernel, so a sampler thread polls RSS while the stage runs.
class RssSampler {
 public:
  RssSampler() : thread_([this] { loop(); }) {}
  ~RssSampler() { stop(); }
  std::uint64_t stop() {
    if (thread_.joinable()) {
      done_ = true;
      thread_.join();
    }
    return peak_;
  }

 private:
  void loop() {
    while (!done_) {
      peak_ = std::max(peak_.load(), currentRssBytes());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    peak_ = std::max(peak_.load(), currentRssBytes());
  }
  std::atomic<bool> done_{false};
  std::atomic<std::uint64_t> peak_{0};
  std::thread thread_;
};

template <class F>
nlohmann::json measure(F&& f) {
  RssSampler sampler;
  const auto t0 = Clock::now();
  f();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return {{"seconds", s}, {"peak_rss_bytes", sampler.stop()}};
}

// Splits every triangle into n*n similar ones: same surface, n^2 more faces.
Mesh refine(const Mesh& base, int n) {
  if (n <= 1) return base;
  Mesh out;
  out.faces.reserve(base.faces.size() * n * n);
  out.vertices.reserve(base.faces.size() * (n + 1) * (n + 2) / 2);
  std::vector<std::uint32_t> row;
  for (const Triangle& t : base.faces) {
    const Vec3 a = base.vertices[t[0]], b = base.vertices[t[1]], c = base.vertices[t[2]];
    // Vertex (i, j) = a + (b-a) i/n + (c-a) j/n with i + j <= n.
    auto index = [&](int i, int j, std::uint32_t first) {
      // rows of decreasing length: row i starts after sum_{k<i} (n+1-k)
      return first + static_cast<std::uint32_t>(i * (n + 1) - i * (i - 1) / 2 + j);
    };
    const auto first = static_cast<std::uint32_t>(out.vertices.size());
    for (int i = 0; i <= n; ++i) {
      for (int j = 0; i + j <= n; ++j) {
        out.vertices.push_back(a + (b - a) * (float(i) / n) + (c - a) * (float(j) / n));
      }
    }
    for (int i = 0; i < n; ++i) {
      for (int j = 0; i + j < n; ++j) {
        out.faces.push_back({index(i, j, first), index(i + 1, j, first), index(i, j + 1, first)});
        if (i + j + 1 < n) {
          out.faces.push_back(
              {index(i + 1, j, first), index(i + 1, j + 1, first), index(i, j + 1, first)});
        }
      }
    }
  }
  return out;
}

std::size_t parseSize(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  std::string unit(end ? end : "");
  if (unit == "k" || unit == "K")
    value *= 1e3;
  else if (unit == "m" || unit == "M")
    value *= 1e6;
  else if (!unit.empty())
    throw UsageError("--sizes: '" + text + "' is not a triangle count like 10k or 1M");
  if (!(value >= 1)) throw UsageError("--sizes: '" + text + "' is not a triangle count");
  return static_cast<std::size_t>(value);
}

}  // namespace

int runBenchPipeline(const Options& options, const std::atomic<bool>& cancel) {
  const fs::path input =
      options.inputs.empty() ? defaultSampleMesh() : fs::path(options.inputs.front());
  const Mesh base = importMesh(input);
  std::vector<std::string> sizes = options.sizes;
  if (sizes.empty()) sizes = {"10k", "100k", "1M"};

  const fs::path scratch =
      fs::temp_directory_path() / ("h3dpart-bench-" + std::to_string(::getpid()));
  fs::create_directories(scratch);
  nlohmann::json runs = nlohmann::json::array();
  try {
    for (const std::string& sizeText : sizes) {
      const std::size_t target = parseSize(sizeText);
      const int n =
          std::max(1, static_cast<int>(std::lround(std::sqrt(double(target) / base.faces.size()))));
      const fs::path meshFile = scratch / ("mesh-" + sizeText + ".ply");
      exportMesh(meshFile, refine(base, n));

      auto manager = makeManager(options);
      Progress progress({}, &cancel);
      nlohmann::json run;
      Mesh mesh;
      Segmentation seg;
      GeneratedParts gen;
      run["import"] = measure([&] { mesh = importMesh(meshFile); });
      run["triangles"] = mesh.faces.size();
      run["sampling_100k"] = measure([&] { (void)sampleSurface(mesh, 100000, options.seed); });
      SegmentOptions so;
      so.seed = options.seed;
      run["segment"] = measure([&] { seg = segment(mesh, *manager, so, progress); });
      GenerateOptions go;
      go.seed = options.seed;
      go.resolution = options.resolution;
      run["generate"] = measure([&] { gen = generate(mesh, seg, *manager, go, progress); });
      run["export_glb"] = measure([&] { exportParts(scratch / "out.glb", gen.parts); });
      run["parts"] = seg.partCount();
      run["peak_model_device_bytes"] = manager->snapshot().peakModelDeviceBytes;
      runs.push_back(run);
      if (!options.quiet) std::fprintf(stderr, "h3dpart: bench %s done\n", sizeText.c_str());
    }
  } catch (...) {
    fs::remove_all(scratch);
    throw;
  }
  fs::remove_all(scratch);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const nlohmann::json doc = {
      {"benchmark", "pipeline"},
      {"base_mesh", input.string()},
      {"cpu_threads", static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN))},
      {"resolution", options.resolution},
      {"process_peak_rss_bytes", static_cast<std::uint64_t>(usage.ru_maxrss) * 1024},
      {"runs", runs}};
  std::printf("%s\n", doc.dump(2).c_str());
  return 0;
}

}  // namespace h3d::cli
