// `h3dpart bench editing`: what each edit of the studio costs on large
// meshes (first apply, undo, redo), the brush's face search, a point prompt,
// the document copy autosave takes on the GUI thread, and project save/open
// (embedded and referenced mesh) and a recovery snapshot. Printed as JSON.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_bench_util.h"
#include "cli_commands.h"
#include "h3dpart/document.h"
#include "h3dpart/mesh_io.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/pipeline.h"
#include "h3dpart/project_file.h"
#include "h3dpart/recovery.h"
#include "h3dpart/samples.h"

namespace h3d::cli {
namespace fs = std::filesystem;

namespace {

template <class F>
double millis(F&& f) {
  const auto t0 = BenchClock::now();
  f();
  return std::chrono::duration<double, std::milli>(BenchClock::now() - t0).count();
}

// Applies the edit (first redo computes what it changes), undoes and redoes
// it, then undoes again so every edit starts from the segmented document.
nlohmann::json timeEdit(EditHistory& history, std::unique_ptr<EditCommand> edit) {
  nlohmann::json r;
  r["apply_ms"] = millis([&] { history.push(std::move(edit)); });
  r["undo_ms"] = millis([&] { history.undo(); });
  r["redo_ms"] = millis([&] { history.redo(); });
  history.undo();
  return r;
}

int largestPart(const PartDocument& doc) {
  std::vector<std::size_t> faces(std::size_t(doc.partCount()), 0);
  for (int l : doc.faceLabels())
    if (l >= 0) ++faces[std::size_t(l)];
  return int(std::max_element(faces.begin(), faces.end()) - faces.begin());
}

// The two faces of `part` farthest apart along the box's longest axis.
std::pair<std::uint32_t, std::uint32_t> farFaces(const PartDocument& doc, int part) {
  const Box3& box = doc.parts()[std::size_t(part)].box;
  const Vec3 size = box.size();
  const int axis = size.x >= size.y && size.x >= size.z ? 0 : (size.y >= size.z ? 1 : 2);
  std::uint32_t lo = 0, hi = 0;
  float loV = INFINITY, hiV = -INFINITY;
  for (std::uint32_t f = 0; f < doc.faceLabels().size(); ++f) {
    if (doc.faceLabels()[f] != part) continue;
    const float v = doc.mesh().faceCentroid(f)[axis];
    if (v < loV) loV = v, lo = f;
    if (v > hiV) hiV = v, hi = f;
  }
  return {lo, hi};
}

nlohmann::json benchOne(const Mesh& base, const std::string& sizeText, const fs::path& scratch,
                        ModelManager& manager, const Options& options) {
  const fs::path meshFile = scratch / ("mesh-" + sizeText + ".ply");
  exportMesh(meshFile, refine(base, refineFactor(base, parseSize(sizeText))));
  auto mesh = std::make_shared<const Mesh>(importMesh(meshFile));  // joined: edges connect
  Progress progress;
  SegmentOptions so;
  so.seed = options.seed;
  const Segmentation seg = segment(*mesh, manager, so, progress);

  nlohmann::json run;
  run["triangles"] = mesh->faces.size();
  run["parts"] = seg.partCount();
  PartDocument doc(mesh, meshFile.string());
  EditHistory history(doc);
  run["set_segmentation"] = timeEdit(history, std::make_unique<SetSegmentationCommand>(seg));
  history.redo();
  history.setClean();
  const int big = largestPart(doc);
  const int other = big == 0 ? 1 : 0;

  nlohmann::json edits;
  edits["merge_two_parts"] =
      timeEdit(history, std::make_unique<MergePartsCommand>(std::vector<int>{big, other}));
  edits["delete_part_to_neighbour"] =
      timeEdit(history, std::make_unique<DeletePartCommand>(other, DeleteTarget::Neighbour));
  edits["rename_part"] = timeEdit(history, std::make_unique<RenamePartCommand>(big, "renamed"));
  edits["hide_part"] =
      timeEdit(history, std::make_unique<SetVisibilityCommand>(std::vector<int>{big}, false));
  const auto [a, b] = farFaces(doc, big);
  edits["split_part"] = timeEdit(history, std::make_unique<SplitPartCommand>(big, a, b));
  Box3 box = doc.parts()[std::size_t(big)].box;
  box.hi.y = (box.lo.y + box.hi.y) / 2;
  edits["edit_box"] = timeEdit(history, std::make_unique<EditBoxCommand>(big, box));

  // A brush dab of 5% of the diagonal on the largest part, then painting it.
  std::vector<std::uint32_t> brushed;
  const float radius = 0.05f * mesh->bounds().diagonal();
  const double brushMs =
      millis([&] { brushed = brushFaces(doc, a, mesh->faceCentroid(a), radius); });
  nlohmann::json paint = timeEdit(history, std::make_unique<PaintFacesCommand>(brushed, other));
  paint["brush_search_ms"] = brushMs;
  paint["faces"] = brushed.size();
  edits["brush_paint"] = paint;

  // A point prompt through the segmenter, its answer as a new part.
  std::vector<bool> mask;
  const double promptMs =
      millis([&] { mask = segmentPrompt(*mesh, mesh->faceCentroid(b), manager, so, progress); });
  nlohmann::json prompt =
      timeEdit(history, std::make_unique<AssignMaskCommand>(mask, MaskMode::NewPart));
  prompt["segmenter_ms"] = promptMs;
  edits["prompt_new_part"] = prompt;
  run["edits"] = edits;

  nlohmann::json files;
  files["document_copy_ms"] = millis([&] {
    PartDocument copy = doc;
    (void)copy;
  });
  const fs::path embedded = scratch / "embedded.h3dp";
  const fs::path referenced = scratch / "referenced.h3dp";
  files["save_embedded_ms"] = millis([&] { saveProject(embedded, doc); });
  files["open_embedded_ms"] = millis([&] { (void)openProject(embedded); });
  ProjectSaveOptions ref;
  ref.embedMesh = false;
  files["save_referenced_ms"] = millis([&] { saveProject(referenced, doc, ref); });
  files["open_referenced_ms"] = millis([&] { (void)openProject(referenced); });
  files["embedded_bytes"] = fs::file_size(embedded);
  files["referenced_bytes"] = fs::file_size(referenced);
  RecoveryStore store(scratch / "recovery");
  files["recovery_snapshot_ms"] = millis([&] { store.save(doc); });
  store.markCleanExit();
  run["files"] = files;
  return run;
}

}  // namespace

int runBenchEditing(const Options& options) {
  const fs::path input =
      options.inputs.empty() ? defaultSampleMesh() : fs::path(options.inputs.front());
  const Mesh base = importMesh(input);
  std::vector<std::string> sizes = options.sizes;
  if (sizes.empty()) sizes = {"100k", "1M"};
  auto manager = makeManager(options);
  const ScratchDir scratch("h3dpart-bench-editing-");
  nlohmann::json runs = nlohmann::json::array();
  for (const std::string& sizeText : sizes) {
    runs.push_back(benchOne(base, sizeText, scratch.path(), *manager, options));
    if (!options.quiet) std::fprintf(stderr, "h3dpart: bench editing %s done\n", sizeText.c_str());
  }
  const nlohmann::json doc = {{"benchmark", "editing"},
                              {"base_mesh", input.filename().string()},
                              {"peak_rss_bytes", currentRssBytes()},
                              {"runs", runs}};
  std::printf("%s\n", doc.dump(2).c_str());
  return 0;
}

}  // namespace h3d::cli
