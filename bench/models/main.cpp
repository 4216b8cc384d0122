// h3dpart-bench-models: the model manager's figures (cold load against a plain
// disk read, warm switch from host RAM, each policy over a session), with the
// models in this process. `h3dpart bench models` runs it.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "h3dpart/model_bench.h"

int main(int argc, char** argv) {
  h3d::ModelBenchOptions bench;
  bool quiet = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--device" && i + 1 < argc) {
      bench.device = argv[++i];
    } else if (a == "--models" && i + 1 < argc) {
      bench.defaultModels = argv[++i];
    } else if (a == "--quiet") {
      quiet = true;
    } else if (a == "--json") {
    } else {
      std::fprintf(stderr,
                   "usage: h3dpart-bench-models [--device DEVICE] [--models DIR] [--quiet]\n");
      return 2;
    }
  }
  if (!quiet)
    std::fprintf(stderr, "h3dpart: bench models: writing a ~1 GB package, then timing loads\n");
  try {
    std::printf("%s\n", h3d::runModelBenchmarkJson(bench).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "h3dpart-bench-models: %s\n", e.what());
    return 1;
  }
  return 0;
}
