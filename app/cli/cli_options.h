#pragma once
// Command-line parsing for `h3dpart`: global options, a command, its
// arguments. Throws h3d::UsageError on anything it does not understand.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace h3d::cli {

struct Options {
  std::string command;     // segment | generate | run | models | bench
  std::string subcommand;  // bench: pipeline | models
  std::vector<std::string> inputs;
  std::string output;
  std::string faceLabels;  // segment/run: write; generate: read with --labels
  std::string labelsIn;
  std::string jsonReport;
  std::string modelsDir;
  std::string device = "auto";
  std::string policy = "sequential";
  std::uint64_t vramBudget = 0;
  double keepAlive = 0.0;  // seconds an idle runner lives (keep/budget); 0 = until the end
  std::uint64_t seed = 0;
  int resolution = 64;
  std::size_t maxTriangles = 0;   // generate/run: per part, 0 = automatic
  bool fieldOnly = false;         // generate/run: every part from the generator's field
  bool partsFromObjects = false;  // generate: the input file's objects are the parts
  bool postprocess = true;
  bool json = false;  // models/bench: print JSON on stdout
  bool quiet = false;
  bool verbose = false;
  bool help = false;
  bool version = false;
  std::vector<std::string> sizes;  // bench pipeline: triangle counts

  // Batch mode (segment/generate/run with --out-dir): many inputs, one
  // output name each from a template.
  std::string outDir;
  std::string nameTemplate;   // default "{stem}-parts.{ext}"
  std::string format;         // glb | obj | ply (default glb)
  std::string fromList;       // a file of input paths, one a line; "-" = stdin
  std::string jsonLines;      // one JSON object per input, as it goes
  bool recursive = false;     // folders: descend into subfolders
  bool failFast = false;      // stop at the first failed input
  bool skipExisting = false;  // skip inputs whose outputs all exist
  int jobs = 1;               // files processed at a time
  bool batch() const { return !outDir.empty(); }
};

Options parseOptions(const std::vector<std::string>& args);
std::string usageText();

}  // namespace h3d::cli
