// `h3dpart bench models`: the model manager's figures (cold load against a
// plain disk read, warm switch from host RAM, each policy over a session).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "h3dpart/model_bench.h"
#include "h3dpart/model_package.h"

namespace h3d::cli {

int runBenchModels(const Options& options) {
  ModelBenchOptions bench;
  bench.device = options.device == "auto" ? "auto" : options.device;
  bench.defaultModels =
      options.modelsDir.empty() ? defaultModelsDir() : std::filesystem::path(options.modelsDir);
  if (!options.quiet)
    std::fprintf(stderr, "h3dpart: bench models: writing a ~1 GB package, then timing loads\n");
  std::printf("%s\n", runModelBenchmarkJson(bench).c_str());
  return 0;
}

}  // namespace h3d::cli
