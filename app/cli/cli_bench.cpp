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

#include "cli_bench_util.h"
#include "cli_commands.h"
#include "h3dpart/errors.h"
#include "h3dpart/mesh_io.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/pipeline.h"
#include "h3dpart/samples.h"
#include "h3dpart/sampling.h"

namespace h3d::cli {
namespace fs = std::filesystem;

int runBenchPipeline(const Options& options, const std::atomic<bool>& cancel) {
  const fs::path input =
      options.inputs.empty() ? defaultSampleMesh() : fs::path(options.inputs.front());
  const Mesh base = importMesh(input);
  std::vector<std::string> sizes = options.sizes;
  if (sizes.empty()) sizes = {"10k", "100k", "1M"};

  const ScratchDir scratchDir("h3dpart-bench-");
  const fs::path& scratch = scratchDir.path();
  nlohmann::json runs = nlohmann::json::array();
  for (const std::string& sizeText : sizes) {
    const std::size_t target = parseSize(sizeText);
    const int n = refineFactor(base, target);
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
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const nlohmann::json doc = {
      {"benchmark", "pipeline"},
      {"base_mesh", input.filename().string()},
      {"cpu_threads", static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN))},
      {"resolution", options.resolution},
      {"process_peak_rss_bytes", static_cast<std::uint64_t>(usage.ru_maxrss) * 1024},
      {"runs", runs}};
  std::printf("%s\n", doc.dump(2).c_str());
  return 0;
}

}  // namespace h3d::cli
