#include "cli_options.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "h3dpart/errors.h"

namespace h3d::cli {

namespace {

std::uint64_t parseUnsigned(const std::string& option, const std::string& text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || text.empty())
    throw UsageError(option + ": '" + text + "' is not a whole number");
  // Byte sizes may carry a unit.
  std::string unit(ptr, end);
  if (unit.empty()) return value;
  if (unit == "K" || unit == "KiB") return value << 10;
  if (unit == "M" || unit == "MiB") return value << 20;
  if (unit == "G" || unit == "GiB") return value << 30;
  throw UsageError(option + ": '" + text + "' is not a whole number");
}

}  // namespace

std::string usageText() {
  return R"(usage: h3dpart [options] <command> ...

Split a 3D mesh into parts and generate every part as a closed mesh.

commands:
  segment IN -o OUT [--face-labels FILE] [--json REPORT] [--seed N] [--no-postprocess]
      split IN into parts; OUT (.glb/.obj/.ply) holds the input cut by part;
      --face-labels writes one part label per imported triangle, one a line
  generate IN -o OUT [--labels FILE | --parts-from-objects] [--seed N] [--resolution R] [--max-triangles N] [--field] [--json REPORT]
      generate a closed mesh per part; segments first unless --labels gives
      the face labels (the file --face-labels wrote) or --parts-from-objects
      takes the file's objects (2 to 256, a GLB's nodes, an OBJ's objects) as
      the parts; --max-triangles caps
      each part's triangles (default: 1.5x the part's input triangles plus caps);
      --field makes every part from the generator's field instead of keeping
      its own input triangles closed by caps
  run IN -o OUT [--face-labels FILE] [--seed N] [--resolution R] [--max-triangles N] [--field] [--json REPORT]
      segment, then generate
  segment|generate|run IN... --out-dir DIR [batch options]
      batch mode: many inputs (files, folders, glob patterns, --from LIST),
      the models loaded once; a failed input is reported in one line and the
      batch goes on (exit 1 when some failed, the summary names them)
  models [--json]
      list the model packages, validate each (load and dry run) and show the
      model manager's state
  bench pipeline [--sizes 10k,100k,1M] [--json]
      time import, sampling, segment, generate and export, with peak memory
  bench models [--json]
      model manager figures: cold load vs disk read, warm switch, policies
  bench editing [--sizes 100k,1M] [--json]
      cost of each studio edit (apply, undo, redo), a point prompt, project
      save/open and an autosave snapshot
  bench cancel [MESH] [--json]
      time from a cancel to stopped at 20 points spread over model loading,
      segment and generate: in process (the studio's cancel) and SIGINT to
      an `h3dpart run` process; min / median / p95 / max

batch options:
  --out-dir DIR        where the outputs go (made when missing; refused before any work
                       when it cannot be written)
  --name TEMPLATE      output name: {stem} {ext} {input_ext} {dir} {index}
                       (default '{stem}-parts.{ext}'); --face-labels and --labels take
                       templates too (labels read relative to the current folder)
  --format F           glb | obj | ply: the {ext} of the name (default glb)
  --recursive          folders: take meshes in subfolders too ({dir} keeps the subfolder)
  --from FILE          more inputs, one path a line ('-': standard input)
  --skip-existing      skip inputs whose outputs exist (outputs are written atomically,
                       so an existing one is complete): resume a stopped batch
  --fail-fast          stop at the first failed input
  --jobs N             files processed at a time, as memory allows (default 1)
  --json-lines FILE    one JSON object per input as it finishes
  --json FILE          the whole run's report

options:
  --models DIR         model packages to use (default: $H3DPART_MODELS, then the installed ones)
  --device D           cpu | cuda | cuda:N | auto (default auto)
  --policy P           sequential | keep | budget (default sequential)
  --vram-budget BYTES  budget for --policy budget (K/M/G suffixes)
  --keep-alive SECONDS keep and budget: end the model runner after this long idle
  --quiet              no progress on stderr
  --verbose            log every model manager step on stderr
  -h, --help           this text
  --version            the program's version

exit codes: 0 ok, 1 bad input (batch: some inputs failed), 2 usage, 3 model problem,
            4 out of memory, 70 internal error, 130 cancelled
)";
}

Options parseOptions(const std::vector<std::string>& args) {
  Options o;
  auto need = [&](std::size_t& i) -> const std::string& {
    if (i + 1 >= args.size()) throw UsageError(args[i] + " needs a value");
    return args[++i];
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (a == "--version") {
      o.version = true;
    } else if (a == "-o" || a == "--output") {
      o.output = need(i);
    } else if (a == "--face-labels") {
      o.faceLabels = need(i);
    } else if (a == "--labels") {
      o.labelsIn = need(i);
    } else if (a == "--parts-from-objects") {
      o.partsFromObjects = true;
    } else if (a == "--json") {
      // `models`/`bench` take a bare --json (stdout); the pipeline commands a file.
      if (o.command == "models" || o.command == "bench") {
        o.json = true;
      } else {
        o.jsonReport = need(i);
      }
    } else if (a == "--models") {
      o.modelsDir = need(i);
    } else if (a == "--device") {
      o.device = need(i);
      if (o.device != "cpu" && o.device != "auto" && o.device.rfind("cuda", 0) != 0) {
        throw UsageError("--device: '" + o.device + "' is not cpu, cuda, cuda:N or auto");
      }
    } else if (a == "--policy") {
      o.policy = need(i);
    } else if (a == "--vram-budget") {
      o.vramBudget = parseUnsigned(a, need(i));
    } else if (a == "--keep-alive") {
      const std::string& v = need(i);
      char* end = nullptr;
      o.keepAlive = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || o.keepAlive < 0)
        throw UsageError("--keep-alive: '" + v + "' is not a number of seconds");
    } else if (a == "--seed") {
      o.seed = parseUnsigned(a, need(i));
    } else if (a == "--resolution") {
      const auto r = parseUnsigned(a, need(i));
      if (r < 8 || r > 512) throw UsageError("--resolution: must be between 8 and 512");
      o.resolution = static_cast<int>(r);
    } else if (a == "--max-triangles") {
      const auto n = parseUnsigned(a, need(i));
      if (n != 0 && n < 4) throw UsageError("--max-triangles: must be 0 (automatic) or at least 4");
      o.maxTriangles = static_cast<std::size_t>(n);
    } else if (a == "--field") {
      o.fieldOnly = true;
    } else if (a == "--out-dir") {
      o.outDir = need(i);
      if (o.outDir.empty()) throw UsageError("--out-dir: needs a folder");
    } else if (a == "--name") {
      o.nameTemplate = need(i);
    } else if (a == "--format") {
      o.format = need(i);
      if (o.format != "glb" && o.format != "obj" && o.format != "ply")
        throw UsageError("--format: '" + o.format + "' is not glb, obj or ply");
    } else if (a == "--from") {
      o.fromList = need(i);
    } else if (a == "--json-lines") {
      o.jsonLines = need(i);
    } else if (a == "--recursive" || a == "-r") {
      o.recursive = true;
    } else if (a == "--fail-fast") {
      o.failFast = true;
    } else if (a == "--skip-existing") {
      o.skipExisting = true;
    } else if (a == "--jobs" || a == "-j") {
      const auto n = parseUnsigned(a, need(i));
      if (n < 1 || n > 64) throw UsageError("--jobs: must be between 1 and 64");
      o.jobs = static_cast<int>(n);
    } else if (a == "--no-postprocess") {
      o.postprocess = false;
    } else if (a == "--sizes") {
      std::string list = need(i);
      std::size_t start = 0;
      while (start <= list.size()) {
        const std::size_t comma = list.find(',', start);
        std::string item =
            list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!item.empty()) o.sizes.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (a == "--quiet" || a == "-q") {
      o.quiet = true;
    } else if (a == "--verbose" || a == "-v") {
      o.verbose = true;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      throw UsageError("unknown option '" + a + "'");
    } else if (o.command.empty()) {
      o.command = a;
    } else if (o.command == "bench" && o.subcommand.empty()) {
      o.subcommand = a;
    } else {
      o.inputs.push_back(a);
    }
  }
  if (o.help || o.version) return o;
  static const std::vector<std::string> commands = {"segment", "generate", "run", "models",
                                                    "bench"};
  if (o.command.empty())
    throw UsageError("no command given (segment, generate, run, models, bench)");
  if (std::find(commands.begin(), commands.end(), o.command) == commands.end()) {
    throw UsageError("unknown command '" + o.command + "'");
  }
  const bool pipeline = o.command == "segment" || o.command == "generate" || o.command == "run";
  if (pipeline && o.batch()) {
    if (!o.output.empty())
      throw UsageError(o.command +
                       ": -o is for one input; with --out-dir the names come from --name");
    if (o.inputs.empty() && o.fromList.empty())
      throw UsageError(o.command + ": no input meshes given");
  } else if (pipeline) {
    const bool batchOnly = !o.nameTemplate.empty() || !o.format.empty() || !o.fromList.empty() ||
                           !o.jsonLines.empty() || o.recursive || o.failFast || o.skipExisting ||
                           o.jobs != 1;
    if (batchOnly)
      throw UsageError(o.command +
                       ": --name, --format, --from, --recursive, --jobs, "
                       "--json-lines, --skip-existing and --fail-fast need --out-dir DIR");
    if (o.inputs.size() > 1)
      throw UsageError(o.command + ": many inputs need --out-dir DIR (-o is for one input)");
    if (o.inputs.size() != 1) throw UsageError(o.command + ": needs exactly one input mesh");
    if (o.output.empty()) throw UsageError(o.command + ": needs -o OUT (.glb, .obj or .ply)");
  }
  if (o.command == "bench" && o.subcommand != "pipeline" && o.subcommand != "models" &&
      o.subcommand != "editing" && o.subcommand != "cancel") {
    throw UsageError(
        "bench: say 'bench pipeline', 'bench models', 'bench editing' or 'bench cancel'");
  }
  if (!o.labelsIn.empty() && o.command != "generate") throw UsageError("--labels is for generate");
  if (o.partsFromObjects && o.command != "generate")
    throw UsageError("--parts-from-objects is for generate");
  if (o.partsFromObjects && !o.labelsIn.empty())
    throw UsageError("--parts-from-objects and --labels both give the parts: choose one");
  return o;
}

}  // namespace h3d::cli
