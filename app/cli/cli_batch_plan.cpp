#include "cli_batch_plan.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "h3dpart/atomic_file.h"
#include "h3dpart/errors.h"
#include "h3dpart/mesh_io.h"

namespace h3d::cli {
namespace fs = std::filesystem;

std::vector<fs::path> FileJob::outputs() const {
  std::vector<fs::path> all;
  if (!faceLabelsOut.empty()) all.push_back(faceLabelsOut);
  all.push_back(output);
  return all;
}

bool outputsExist(const FileJob& job) {
  std::error_code ec;
  for (const auto& p : job.outputs())
    if (!fs::is_regular_file(p, ec)) return false;
  return true;
}

namespace {

std::string lowerExtension(const fs::path& p) {
  std::string e = p.extension().string();
  if (!e.empty()) e.erase(0, 1);
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

// A name for "the same file" that also holds for paths not written yet.
std::string identity(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return (ec ? fs::absolute(p).lexically_normal() : abs).string();
}

struct FileId {
  dev_t dev;
  ino_t ino;
  bool operator<(const FileId& o) const { return dev != o.dev ? dev < o.dev : ino < o.ino; }
};

bool fileId(const fs::path& p, FileId& id) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return false;
  id = {st.st_dev, st.st_ino};
  return true;
}

// Creates the folder when missing, then checks it takes a new file (the
// single-input check); in a batch a refusal before any work is a usage error.
void checkWritableFolder(const fs::path& folder) {
  std::error_code ec;
  if (fs::exists(folder, ec) && !fs::is_directory(folder, ec))
    throw UsageError(folder.string() + ": output folder is not a folder");
  fs::create_directories(folder, ec);
  if (ec) throw UsageError(folder.string() + ": cannot create the output folder: " + ec.message());
  const fs::path probe = folder / ".h3dpart-batch";
  try {
    checkWritableTarget(probe);
  } catch (const OutputError& e) {
    std::string why = e.what();
    if (why.rfind(probe.string() + ": ", 0) == 0) why.erase(0, probe.string().size() + 2);
    throw UsageError(folder.string() + ": output " + why);
  }
}

}  // namespace

BatchPlan planBatch(const Options& options, std::istream& listStream) {
  const NameTemplate name(options.nameTemplate.empty() ? "{stem}-parts.{ext}"
                                                       : options.nameTemplate);
  const std::string ext = options.format.empty() ? "glb" : options.format;
  std::optional<NameTemplate> labelsOut, labelsIn;
  if (!options.faceLabels.empty()) labelsOut.emplace(options.faceLabels, "--face-labels");
  if (!options.labelsIn.empty()) labelsIn.emplace(options.labelsIn, "--labels", false);

  InputSpec spec;
  spec.args = options.inputs;
  spec.fromList = options.fromList;
  spec.recursive = options.recursive;
  std::vector<InputItem> items = expandInputs(spec, listStream);
  // A folder that holds the out-dir would take the outputs of an earlier run
  // as inputs: files found inside the out-dir are left out.
  const fs::path outDir = options.outDir;
  const std::string outKey = identity(outDir) + "/";
  std::erase_if(items, [&](const InputItem& item) {
    return item.found && identity(item.path).rfind(outKey, 0) == 0;
  });
  if (items.empty()) throw UsageError(options.command + ": no input meshes found");

  BatchPlan plan;
  for (std::size_t i = 0; i < items.size(); ++i) {
    FileJob job;
    job.input = items[i];
    job.output = outDir / name.render(items[i], i, items.size(), ext);
    if (labelsOut) job.faceLabelsOut = outDir / labelsOut->render(items[i], i, items.size(), ext);
    if (labelsIn) job.labelsIn = labelsIn->render(items[i], i, items.size(), ext);
    const std::string outExt = lowerExtension(job.output);
    const auto& known = exportExtensions();
    if (std::find(known.begin(), known.end(), outExt) == known.end())
      throw UsageError(job.output.string() + ": unsupported output type (use .glb, .obj or .ply)");
    plan.jobs.push_back(std::move(job));
  }

  // Inputs by path and by inode (hard links), then every output against them
  // and against each other.
  std::map<std::string, std::string> inputByPath;
  std::map<FileId, std::string> inputById;
  auto addInput = [&](const fs::path& p) {
    inputByPath.emplace(identity(p), p.string());
    FileId id{};
    if (fileId(p, id)) inputById.emplace(id, p.string());
  };
  for (const auto& job : plan.jobs) {
    if (!job.input.problem.empty()) continue;
    addInput(job.input.path);
    if (!job.labelsIn.empty()) addInput(job.labelsIn);
  }
  std::map<std::string, std::string> writer;  // output identity -> the input that writes it
  auto claim = [&](const fs::path& out, const std::string& by) {
    const std::string key = identity(out);
    const auto in = inputByPath.find(key);
    FileId id{};
    const auto linked = fileId(out, id) ? inputById.find(id) : inputById.end();
    if (in != inputByPath.end() || linked != inputById.end()) {
      const std::string& victim = in != inputByPath.end() ? in->second : linked->second;
      throw UsageError(out.string() + ": would overwrite the input " + victim +
                       " (refused before any work)");
    }
    const auto [it, fresh] = writer.emplace(key, by);
    if (!fresh) {
      throw UsageError(it->second + " and " + by + " would both write " + out.string() +
                       " (refused before any work; put {dir} or {index} in --name)");
    }
  };
  for (const auto& job : plan.jobs) {
    if (!job.input.problem.empty()) continue;
    for (const auto& out : job.outputs()) claim(out, job.input.path.string());
  }
  if (!options.jsonReport.empty()) claim(options.jsonReport, "--json");
  if (!options.jsonLines.empty()) claim(options.jsonLines, "--json-lines");

  // Every folder an output goes to exists and takes a new file.
  std::set<fs::path> folders;
  folders.insert(outDir);
  for (const auto& job : plan.jobs)
    for (const auto& out : job.outputs()) folders.insert(out.parent_path());
  for (const auto& extra : {options.jsonReport, options.jsonLines})
    if (!extra.empty()) {
      const fs::path parent = fs::path(extra).parent_path();
      folders.insert(parent.empty() ? fs::path(".") : parent);
    }
  for (const auto& f : folders) checkWritableFolder(f);
  return plan;
}

}  // namespace h3d::cli
