#pragma once
// The model benchmark behind `h3dpart bench models --json`, and the writer of
// synthetic model packages it (and the tests) use.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "h3dpart/model_package.h"

namespace h3d {

// A synthetic package: each component is one TorchScript file whose forward
// maps points [N,3] float32 to features [N,F] float32 (F = outputFeatures),
// padded with `paramBytes` of float parameters (piece i filled with i + 1; pieces of at most
// 32 MiB). With `staged`, each component gets a stage of its own name.
struct FixtureComponent {
  std::string name = "net";
  std::uint64_t paramBytes = 1 << 20;
  // "ok", "throws" (forward raises), "wrong_shape" (returns [N, F+1]).
  std::string behaviour = "ok";
};

struct FixturePackage {
  std::string name = "fixture";
  ModelRole role = ModelRole::Segmenter;
  std::string version = "1.0.0";
  std::vector<FixtureComponent> components = {FixtureComponent{}};
  bool staged = false;
  std::uint64_t runBytes = 0;
  bool cpuFallback = true;
  bool halfPrecision = false;
  int outputFeatures = 8;
};

// Writes folder/manifest.json and one <component>.pt per component. Returns
// the manifest's path.
std::filesystem::path writeFixturePackage(const std::filesystem::path& folder,
                                          const FixturePackage& spec);

struct ModelBenchOptions {
  std::filesystem::path workDir;          // empty: a folder under the system temp dir
  std::uint64_t largeBytes = 1ull << 30;  // the "~1 GB" package
  int repeats = 3;                        // cold loads and warm switches measured (best and median)
  std::filesystem::path defaultModels;    // default packages (component split figures); empty: skip
  std::string device = "cpu";             // backend for the sessions: "cpu", "auto", "sim:<bytes>"
  bool keepFiles = false;                 // leave the generated packages behind
  // Session models: a segmenter of 3 units, a generator of 2 + 4 units (stages).
  std::uint64_t sessionUnitBytes = 32ull << 20;
};

// Runs the benchmark and returns its figures as JSON (see model_bench.cpp).
nlohmann::json runModelBenchmark(const ModelBenchOptions& options);
// Same, as indented text.
std::string runModelBenchmarkJson(const ModelBenchOptions& options);

}  // namespace h3d
