#include "cli_commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_job.h"
#include "cli_outputs.h"
#include "cli_progress.h"
#include "h3dpart/atomic_file.h"
#include "h3dpart/errors.h"
#include "h3dpart/mesh_io.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/pipeline.h"

namespace h3d::cli {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::shared_ptr<ModelManager> makeManager(const Options& options) {
  ManagerConfig config;
  config.device = options.device;
  config.vramBudget = options.vramBudget;
  config.verbose = options.verbose;
  config.keepAliveSeconds = options.keepAlive;
  // A batch keeps evicted weights in host RAM: one disk load per model.
  config.sequentialHostCache = options.batch();
  if (!parsePolicy(options.policy, config.policy)) {
    throw UsageError("--policy: '" + options.policy + "' is not sequential, keep or budget");
  }
  auto manager = std::make_shared<ModelManager>(config);
  if (options.verbose) {
    manager->setVerboseSink(
        [](const std::string& line) { std::fprintf(stderr, "h3dpart: %s\n", line.c_str()); });
  }
  const fs::path dir = options.modelsDir.empty() ? defaultModelsDir() : fs::path(options.modelsDir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw ModelError(dir.string() + ": model folder not found");
  manager->addPackages(dir);
  return manager;
}

namespace {

nlohmann::json modelsUsed(const ManagerSnapshot& snap) {
  nlohmann::json models = nlohmann::json::array();
  for (const ModelStatus& m : snap.models) {
    if (m.lastLoadSource == LoadSource::None) continue;
    models.push_back({{"name", m.name},
                      {"role", m.role},
                      {"version", m.version},
                      {"load_ms", m.lastLoadMs},
                      {"device", m.device}});
  }
  return models;
}

}  // namespace

namespace {

void checkExportType(const fs::path& output) {
  std::string e = output.extension().string();
  if (!e.empty()) e.erase(0, 1);
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto& known = exportExtensions();
  if (std::find(known.begin(), known.end(), e) == known.end())
    throw UsageError(output.string() + ": unsupported output type (use .glb, .obj or .ply)");
}

// Every file the command reads and writes, so collisions and unwritable
// folders are refused before any work.
void checkPipelineFiles(const Options& options) {
  std::vector<NamedPath> inputs{{options.inputs.front(), "input"}};
  if (!options.labelsIn.empty()) inputs.push_back({options.labelsIn, "--labels"});
  std::vector<NamedPath> outputs{{options.output, "-o"}};
  if (!options.faceLabels.empty()) outputs.push_back({options.faceLabels, "--face-labels"});
  if (!options.jsonReport.empty()) outputs.push_back({options.jsonReport, "--json"});
  checkOutputPlan(inputs, outputs);
}

}  // namespace

int runPipeline(const Options& options, const std::atomic<bool>& cancel) {
  const fs::path input = options.inputs.front();
  const fs::path output = options.output;
  checkExportType(output);
  checkPipelineFiles(options);
  ProgressPrinter printer(options.quiet);
  Progress progress([&](std::string_view stage, double f) { printer.update(stage, f); }, &cancel);
  nlohmann::json stages = nlohmann::json::object();

  // Every pipeline command needs a model: the runner starts now and loads
  // LibTorch while the mesh is imported (ended with the manager if the import fails).
  auto manager = makeManager(options);
  manager->prestart();

  auto t = Clock::now();
  progress.stage("importing");
  ImportReport report;
  const Mesh mesh = importMesh(input, &report);
  stages["import"] = secondsSince(t);
  if (report.degenerateFaces && !options.quiet) {
    printer.finish();
    std::fprintf(stderr, "h3dpart: %s: %zu degenerate (zero-area) triangles kept\n", input.c_str(),
                 report.degenerateFaces);
  }

  manager->resetPeak();
  std::map<std::string, double> partStages;
  auto [seg, parts] =
      makeParts(options, options.labelsIn, input, mesh, report, *manager, progress, partStages);
  for (const auto& [stage, seconds] : partStages) stages[stage] = seconds;
  progress.checkCancel();

  // Every output goes to a temporary first; they appear together or not at all.
  t = Clock::now();
  progress.stage("writing");
  OutputTransaction outputs;
  exportParts(outputs, output, parts);
  progress.checkCancel();
  if (!options.faceLabels.empty()) stageLabels(outputs, options.faceLabels, seg);
  stages["export"] = secondsSince(t);
  progress.checkCancel();

  const ManagerSnapshot snap = manager->snapshot();
  if (!options.jsonReport.empty()) {
    nlohmann::json partsJson = nlohmann::json::array();
    for (const PartInfo& p : seg.parts) {
      partsJson.push_back(
          {{"label", p.label},
           {"name", p.name},
           {"faces", p.faceCount},
           {"confidence", p.confidence},
           {"box", {p.box.lo.x, p.box.lo.y, p.box.lo.z, p.box.hi.x, p.box.hi.y, p.box.hi.z}}});
    }
    nlohmann::json doc = {{"command", options.command},
                          {"input", input.string()},
                          {"output", output.string()},
                          {"triangles", mesh.faces.size()},
                          {"vertices", mesh.vertices.size()},
                          {"degenerate_triangles", report.degenerateFaces},
                          {"part_count", seg.partCount()},
                          {"output_parts", parts.size()},
                          {"parts", partsJson},
                          {"stages_s", stages},
                          {"peak_rss_bytes", peakRssBytes()},
                          {"peak_model_device_bytes", snap.peakModelDeviceBytes},
                          {"device", snap.deviceName},
                          {"models", modelsUsed(snap)}};
    outputs.stage(options.jsonReport, [&](std::ostream& out) { out << doc.dump(2) << "\n"; });
  }
  debugWriteDelay(cancel);
  const bool interrupted = commitOutputs(outputs, cancel);
  printer.finish();
  if (interrupted) {
    std::fprintf(stderr,
                 "h3dpart: interrupted while the outputs were being renamed into place; they "
                 "are complete: %s\n",
                 output.c_str());
    return static_cast<int>(ExitCode::Cancelled);
  }
  std::printf("%s: %d parts -> %s\n", input.c_str(), static_cast<int>(parts.size()),
              output.c_str());
  return 0;
}

int runModels(const Options& options) {
  auto manager = makeManager(options);
  // Validate each package by loading it (hashes, TorchScript, dry run), then
  // release it so the listing ends with nothing resident.
  bool allGood = true;
  for (const ModelStatus& m : manager->snapshot().models) {
    if (m.state == ModelState::Failed) {
      allGood = false;
      continue;
    }
    try {
      manager->load(m.name);
      manager->unload(m.name);
    } catch (const Error&) {
      allGood = false;
    }
  }
  const ManagerSnapshot snap = manager->snapshot();
  if (options.json) {
    nlohmann::json models = nlohmann::json::array();
    for (const ModelStatus& m : snap.models) {
      models.push_back({{"name", m.name},
                        {"role", m.role},
                        {"version", m.version},
                        {"folder", m.folder},
                        {"state", toString(m.state)},
                        {"file_bytes", m.fileBytes},
                        {"load_ms", m.lastLoadMs},
                        {"valid", m.state != ModelState::Failed},
                        {"error", m.error}});
    }
    std::printf("%s\n",
                nlohmann::json({{"device", snap.deviceName}, {"models", models}}).dump(2).c_str());
  } else {
    std::string text = describeSnapshot(snap);
    if (!text.empty() && text.back() != '\n') text += '\n';
    std::fputs(text.c_str(), stdout);
  }
  return allGood ? 0 : static_cast<int>(ExitCode::ModelProblem);
}

}  // namespace h3d::cli
