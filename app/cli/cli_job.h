#pragma once
// One input of a batch, start to finish: import, segment (or read labels),
// generate when asked, write the outputs all-or-nothing (one transaction, the
// mesh renamed last). Throws the project's errors; the batch isolates them.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli_batch_plan.h"
#include "cli_options.h"
#include "h3dpart/mesh_io.h"
#include "h3dpart/pipeline.h"
#include "h3dpart/progress.h"

namespace h3d {
class ModelManager;
class OutputTransaction;
}  // namespace h3d

namespace h3d::cli {

struct JobResult {
  std::size_t triangles = 0;
  std::size_t degenerateTriangles = 0;
  int partCount = 0;                        // parts of the segmentation
  int outputParts = 0;                      // meshes written
  std::map<std::string, double> stages;     // seconds: import, segment, generate, export
  bool interruptedWhileCommitting = false;  // a signal came during the renames: outputs complete
};

// Cancelled (CancelledError) up to the renames; a signal during them lets
// them finish and sets interruptedWhileCommitting.
JobResult runJob(const FileJob& job, const Options& options, ModelManager& manager,
                 Progress& progress, const std::atomic<bool>& cancel);

// A --labels file (one part label per triangle, one a line) read for `mesh`,
// and the same written as an output of `outputs`.
Segmentation readLabels(const std::filesystem::path& file, const Mesh& mesh);

// The parts a generate is given instead of segmenting `input`: the `labels`
// file, or the file's objects (--parts-from-objects: InputError when it has
// fewer than 2 or more than 256); nullopt when the command segments.
std::optional<Segmentation> givenParts(const Options& options, const std::filesystem::path& labels,
                                       const std::filesystem::path& input, const Mesh& mesh,
                                       const ImportReport& report);

// The parts options.command makes of `mesh`: the given ones (a labels file,
// the file's objects) or the segmenter's, then cut by those labels
// (`segment`) or generated closed; stage seconds go to `stages`. Throws
// InputError naming `input` when nothing comes out.
struct PipelineParts {
  Segmentation segmentation;
  std::vector<PartMesh> parts;
};
PipelineParts makeParts(const Options& options, const std::filesystem::path& labels,
                        const std::filesystem::path& input, const Mesh& mesh,
                        const ImportReport& report, ModelManager& manager, Progress& progress,
                        std::map<std::string, double>& stages);

void stageLabels(OutputTransaction& outputs, const std::filesystem::path& file,
                 const Segmentation& seg);

// Wall seconds since t0 (the stage times of reports and benchmarks).
double secondsSince(std::chrono::steady_clock::time_point t0);

// This process's peak resident set (VmHWM), since the start or resetPeakRss().
std::uint64_t peakRssBytes();
// Starts a new peak (Linux clear_refs); false where the kernel refuses.
bool resetPeakRss();

}  // namespace h3d::cli
