#pragma once
// A batch planned before any work: every input with its output paths, and
// the checks that refuse a batch up front (an out-dir that cannot be
// written, two inputs that would write one output, an output that is an
// input). Nothing here loads a model or reads a mesh.
#include <filesystem>
#include <istream>
#include <string>
#include <vector>

#include "cli_inputs.h"
#include "cli_options.h"

namespace h3d::cli {

struct FileJob {
  InputItem input;
  std::filesystem::path output;         // the mesh written last: it exists only when all do
  std::filesystem::path faceLabelsOut;  // segment/run --face-labels (empty: none)
  std::filesystem::path labelsIn;       // generate --labels (empty: segment first)
  std::vector<std::filesystem::path> outputs() const;
};

struct BatchPlan {
  std::vector<FileJob> jobs;
};

// Throws UsageError (exit 2) for every refusal, naming the files involved.
BatchPlan planBatch(const Options& options, std::istream& listStream);

// --skip-existing: every output of the job is present, so the job finished
// (outputs are renamed into place only when complete, the mesh last).
bool outputsExist(const FileJob& job);

}  // namespace h3d::cli
