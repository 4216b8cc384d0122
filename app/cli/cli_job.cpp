#include "cli_job.h"

#include <chrono>
#include <fstream>

#include "cli_outputs.h"
#include "h3dpart/atomic_file.h"
#include "h3dpart/errors.h"
#include "h3dpart/mesh_io.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/pipeline.h"

namespace h3d::cli {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

namespace {

std::uint64_t statusField(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(key) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    try {
      return std::stoull(line.substr(prefix.size())) * 1024;  // "  1234 kB"
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 0;
}

}  // namespace

std::optional<Segmentation> givenParts(const Options& options, const fs::path& labels,
                                       const fs::path& input, const Mesh& mesh,
                                       const ImportReport& report) {
  if (!labels.empty()) return readLabels(labels, mesh);
  if (!options.partsFromObjects) return std::nullopt;
  Segmentation parts = objectParts(mesh, report);
  if (parts.partCount() == 0)
    throw InputError(input.string(), "--parts-from-objects: the file has no 2 to " +
                                         std::to_string(kMaxFileObjects) +
                                         " objects to take as parts");
  return parts;
}

// A --labels file: one integer per triangle, one a line.
Segmentation readLabels(const fs::path& file, const Mesh& mesh) {
  std::ifstream in(file);
  if (!in) throw InputError(file.string(), "cannot open the face labels file");
  Segmentation seg;
  seg.faceLabels.reserve(mesh.faces.size());
  std::string line;
  std::size_t lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty()) continue;
    std::size_t used = 0;
    long value = 0;
    try {
      value = std::stol(line, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != line.size() || value < -1 || value > 100000)
      throw InputError(file.string(), "line " + std::to_string(lineNo) + " is not a part label");
    seg.faceLabels.push_back(static_cast<int>(value));
  }
  if (seg.faceLabels.size() != mesh.faces.size()) {
    throw InputError(file.string(), std::to_string(seg.faceLabels.size()) + " labels for " +
                                        std::to_string(mesh.faces.size()) + " triangles");
  }
  refreshParts(mesh, seg);
  return seg;
}

PipelineParts makeParts(const Options& options, const fs::path& labels, const fs::path& input,
                        const Mesh& mesh, const ImportReport& report, ModelManager& manager,
                        Progress& progress, std::map<std::string, double>& stages) {
  PipelineParts made;
  if (auto given = givenParts(options, labels, input, mesh, report)) {
    made.segmentation = std::move(*given);
  } else {
    const auto t = Clock::now();
    SegmentOptions so;
    so.seed = options.seed;
    so.postprocess = options.postprocess;
    made.segmentation = segment(mesh, manager, so, progress);
    stages["segment"] = secondsSince(t);
  }
  if (options.command == "segment") {
    made.parts = cutByLabels(mesh, made.segmentation);
  } else {
    const auto t = Clock::now();
    GenerateOptions go;
    go.seed = options.seed;
    go.resolution = options.resolution;
    go.maxTriangles = options.maxTriangles;
    go.keepVisibleSurface = !options.fieldOnly;
    try {
      made.parts = generate(mesh, made.segmentation, manager, go, progress).parts;
    } catch (const NoResultError& e) {
      throw InputError(input.string(), e.what());
    }
    stages["generate"] = secondsSince(t);
  }
  if (made.parts.empty()) throw InputError(input.string(), "no parts found (nothing written)");
  return made;
}

void stageLabels(OutputTransaction& outputs, const fs::path& file, const Segmentation& seg) {
  outputs.stage(file, [&](std::ostream& out) {
    std::string text;
    text.reserve(seg.faceLabels.size() * 3);
    for (int label : seg.faceLabels) {
      text += std::to_string(label);
      text += '\n';
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  });
}

std::uint64_t peakRssBytes() {
  return statusField("VmHWM");
}

bool resetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

JobResult runJob(const FileJob& job, const Options& options, ModelManager& manager,
                 Progress& progress, const std::atomic<bool>& cancel) {
  if (!job.input.problem.empty()) throw InputError(job.input.path.string(), job.input.problem);
  JobResult result;
  auto t = Clock::now();
  progress.stage("importing");
  ImportReport report;
  const Mesh mesh = importMesh(job.input.path, &report);
  result.stages["import"] = secondsSince(t);
  result.triangles = mesh.faces.size();
  result.degenerateTriangles = report.degenerateFaces;

  auto [seg, parts] = makeParts(options, job.labelsIn, job.input.path, mesh, report, manager,
                                progress, result.stages);
  result.partCount = seg.partCount();
  result.outputParts = static_cast<int>(parts.size());
  progress.checkCancel();

  // All outputs of this input go to temporaries and appear together (the mesh
  // renamed last), or none does: an existing mesh means a finished input.
  t = Clock::now();
  progress.stage("writing");
  OutputTransaction outputs;
  if (!job.faceLabelsOut.empty()) stageLabels(outputs, job.faceLabelsOut, seg);
  exportParts(outputs, job.output, parts);
  debugWriteDelay(cancel);
  result.interruptedWhileCommitting = commitOutputs(outputs, cancel);
  result.stages["export"] = secondsSince(t);
  return result;
}

}  // namespace h3d::cli
