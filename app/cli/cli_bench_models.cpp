// `h3dpart bench models`: runs h3dpart-bench-models (beside this program),
// which measures the model manager with the models in its own process: the
// CLI links no LibTorch.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_commands.h"
#include "h3dpart/errors.h"
#include "h3dpart/model_package.h"

namespace h3d::cli {

int runBenchModels(const Options& options) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const auto bench = self.parent_path() / "h3dpart-bench-models";
  if (ec || ::access(bench.c_str(), X_OK) != 0)
    throw UsageError("bench models: " + bench.string() + " not found (it is built, not installed)");
  const std::string models =
      options.modelsDir.empty() ? defaultModelsDir().string() : options.modelsDir;
  std::vector<std::string> args = {bench.string(), "--device", options.device, "--models", models};
  if (options.quiet) args.push_back("--quiet");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  ::execv(argv[0], argv.data());
  throw UsageError("bench models: " + bench.string() + ": " + std::strerror(errno));
}

}  // namespace h3d::cli
