// Model packages: manifest parsing with strict schema checks, file hashes.
#include "h3dpart/model_package.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "h3dpart/digest.h"
#include "h3dpart/errors.h"

namespace h3d {

namespace {

using nlohmann::json;

constexpr const char* kManifest = "manifest.json";

// Throws the package's refusal for a manifest problem.
[[noreturn]] void fail(const std::string& package, const std::string& file,
                       const std::string& check, const std::string& why) {
  throw ModelError(packageErrorMessage(package, file, check, why));
}

std::string typeName(const json& j) {
  return j.type_name();
}

class Schema {
 public:
  explicit Schema(std::string package) : package_(std::move(package)) {}

  [[noreturn]] void bad(const std::string& where, const std::string& why) const {
    fail(package_, kManifest, "schema", where + ": " + why);
  }
  const json& field(const json& obj, const std::string& where, const char* key) const {
    auto it = obj.find(key);
    if (it == obj.end()) bad(where, std::string("missing field \"") + key + "\"");
    return *it;
  }
  std::string str(const json& obj, const std::string& where, const char* key) const {
    const json& v = field(obj, where, key);
    if (!v.is_string()) bad(where + "." + key, "expected a string, found " + typeName(v));
    return v.get<std::string>();
  }
  std::string strOr(const json& obj, const std::string& where, const char* key,
                    const std::string& fallback) const {
    return obj.contains(key) ? str(obj, where, key) : fallback;
  }
  bool boolOr(const json& obj, const std::string& where, const char* key, bool fallback) const {
    if (!obj.contains(key)) return fallback;
    const json& v = obj.at(key);
    if (!v.is_boolean()) bad(where + "." + key, "expected true or false, found " + typeName(v));
    return v.get<bool>();
  }
  std::uint64_t unsignedValue(const json& v, const std::string& where) const {
    if (!v.is_number_integer() ||
        (v.is_number_integer() && !v.is_number_unsigned() && v.get<std::int64_t>() < 0))
      bad(where,
          "expected a non-negative integer, found " + (v.is_number() ? v.dump() : typeName(v)));
    return v.get<std::uint64_t>();
  }
  const json& array(const json& obj, const std::string& where, const char* key) const {
    const json& v = field(obj, where, key);
    if (!v.is_array()) bad(where + "." + key, "expected an array, found " + typeName(v));
    return v;
  }
  const json& object(const json& v, const std::string& where) const {
    if (!v.is_object()) bad(where, "expected an object, found " + typeName(v));
    return v;
  }

  TensorSpec tensor(const json& v, const std::string& where) const {
    object(v, where);
    TensorSpec spec;
    spec.name = str(v, where, "name");
    const json& shape = array(v, where, "shape");
    for (std::size_t i = 0; i < shape.size(); ++i) {
      const json& d = shape[i];
      const std::string w = where + ".shape[" + std::to_string(i) + "]";
      if (d.is_string()) {
        const auto s = d.get<std::string>();
        if (s.empty()) bad(w, "empty symbol");
        spec.shape.push_back(s);
      } else if (d.is_number_integer()) {
        spec.shape.push_back(std::to_string(unsignedValue(d, w)));
      } else {
        bad(w, "expected a number or a symbol, found " + typeName(d));
      }
    }
    spec.dtype = str(v, where, "dtype");
    if (!isKnownDtype(spec.dtype)) bad(where + ".dtype", "unknown dtype \"" + spec.dtype + "\"");
    return spec;
  }

 private:
  std::string package_;
};

std::string readText(const std::filesystem::path& file, const std::string& package) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int err = errno;
    fail(package, file.filename().string(), "readable",
         err == EACCES ? "permission denied" : std::string("cannot open: ") + std::strerror(err));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string packageErrorMessage(const std::string& package, const std::string& file,
                                const std::string& check, const std::string& why) {
  return "model package " + package + ": " + file + ": " + check + ": " + why;
}

bool isKnownDtype(const std::string& dtype) {
  static const std::set<std::string> known = {"float32", "float16", "bfloat16", "float64", "int64",
                                              "int32",   "int16",   "int8",     "uint8",   "bool"};
  return known.count(dtype) > 0;
}

std::string toString(ModelRole role) {
  return role == ModelRole::Segmenter ? "segmenter" : "generator";
}

std::optional<ModelRole> parseRole(const std::string& text) {
  if (text == "segmenter") return ModelRole::Segmenter;
  if (text == "generator") return ModelRole::Generator;
  return std::nullopt;
}

const ComponentSpec* PackageManifest::component(const std::string& wanted) const {
  for (const auto& c : components)
    if (c.name == wanted) return &c;
  return nullptr;
}

const StageSpec* PackageManifest::stage(const std::string& wanted) const {
  for (const auto& s : stages)
    if (s.name == wanted) return &s;
  return nullptr;
}

PackageManifest parseManifest(const std::string& jsonText, const std::string& packageName) {
  json root;
  try {
    root = json::parse(jsonText);
  } catch (const json::exception& e) {
    std::string why = e.what();
    fail(packageName, kManifest, "json", why);
  }
  std::string package = packageName;
  if (root.is_object() && root.contains("name") && root["name"].is_string() &&
      !root["name"].get<std::string>().empty())
    package = root["name"].get<std::string>();
  Schema s(package);
  s.object(root, "manifest");

  PackageManifest m;
  const json& format = s.field(root, "manifest", "format");
  if (!format.is_number_integer())
    s.bad("format", "expected an integer, found " + typeName(format));
  m.format = format.get<int>();
  if (m.format != 1)
    fail(package, kManifest, "format",
         "unsupported format " + std::to_string(m.format) + " (this program reads format 1)");
  m.name = s.str(root, "manifest", "name");
  if (m.name.empty()) s.bad("name", "empty");
  const std::string role = s.str(root, "manifest", "role");
  const auto parsedRole = parseRole(role);
  if (!parsedRole)
    fail(package, kManifest, "role",
         "unknown role \"" + role + "\" (expected segmenter or generator)");
  m.role = *parsedRole;
  m.version = s.str(root, "manifest", "version");
  m.description = s.strOr(root, "manifest", "description", "");

  const json& files = s.array(root, "manifest", "files");
  std::set<std::string> filePaths;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string w = "files[" + std::to_string(i) + "]";
    s.object(files[i], w);
    PackageFile f;
    f.path = s.str(files[i], w, "path");
    if (f.path.empty() || f.path.front() == '/' || f.path.find("..") != std::string::npos)
      s.bad(w + ".path", "must be a relative path inside the package: \"" + f.path + "\"");
    f.sha256 = s.str(files[i], w, "sha256");
    std::transform(f.sha256.begin(), f.sha256.end(), f.sha256.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (f.sha256.size() != 64 ||
        f.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
      s.bad(w + ".sha256", "expected 64 hex digits");
    f.bytes = s.unsignedValue(s.field(files[i], w, "bytes"), w + ".bytes");
    if (!filePaths.insert(f.path).second) s.bad(w + ".path", "listed twice: \"" + f.path + "\"");
    m.files.push_back(std::move(f));
  }

  const json& components = s.array(root, "manifest", "components");
  if (components.empty()) s.bad("components", "at least one component is needed");
  for (std::size_t i = 0; i < components.size(); ++i) {
    const std::string w = "components[" + std::to_string(i) + "]";
    const json& c = s.object(components[i], w);
    ComponentSpec spec;
    spec.name = s.str(c, w, "name");
    spec.file = s.str(c, w, "file");
    const json& inputs = s.array(c, w, "inputs");
    for (std::size_t k = 0; k < inputs.size(); ++k)
      spec.inputs.push_back(s.tensor(inputs[k], w + ".inputs[" + std::to_string(k) + "]"));
    const json& outputs = s.array(c, w, "outputs");
    if (outputs.empty()) s.bad(w + ".outputs", "at least one output is needed");
    for (std::size_t k = 0; k < outputs.size(); ++k)
      spec.outputs.push_back(s.tensor(outputs[k], w + ".outputs[" + std::to_string(k) + "]"));
    if (m.component(spec.name)) s.bad(w + ".name", "duplicate component \"" + spec.name + "\"");
    if (!filePaths.count(spec.file))
      fail(package, spec.file, "component file",
           "component \"" + spec.name + "\" uses a file not listed in \"files\"");
    m.components.push_back(std::move(spec));
  }

  if (root.contains("stages")) {
    const json& stages = s.array(root, "manifest", "stages");
    for (std::size_t i = 0; i < stages.size(); ++i) {
      const std::string w = "stages[" + std::to_string(i) + "]";
      const json& st = s.object(stages[i], w);
      StageSpec stage;
      stage.name = s.str(st, w, "name");
      const json& names = s.array(st, w, "components");
      for (std::size_t k = 0; k < names.size(); ++k) {
        if (!names[k].is_string())
          s.bad(w + ".components[" + std::to_string(k) + "]",
                "expected a string, found " + typeName(names[k]));
        const auto name = names[k].get<std::string>();
        if (!m.component(name))
          fail(package, kManifest, "stage",
               "stage \"" + stage.name + "\" names unknown component \"" + name + "\"");
        stage.components.push_back(name);
      }
      if (m.stage(stage.name)) s.bad(w + ".name", "duplicate stage \"" + stage.name + "\"");
      m.stages.push_back(std::move(stage));
    }
  }

  m.preferredDevice = s.strOr(root, "manifest", "device", "auto");
  if (m.preferredDevice != "auto" && m.preferredDevice != "cpu" && m.preferredDevice != "cuda")
    s.bad("device", "expected auto, cpu or cuda, found \"" + m.preferredDevice + "\"");
  m.dtype = s.strOr(root, "manifest", "dtype", "float32");
  if (m.dtype != "float32" && m.dtype != "float16")
    s.bad("dtype", "expected float32 or float16, found \"" + m.dtype + "\"");
  m.halfPrecisionAllowed = s.boolOr(root, "manifest", "half_precision", false);
  m.cpuFallbackAllowed = s.boolOr(root, "manifest", "cpu_fallback", true);
  if (root.contains("memory")) {
    const json& mem = s.object(root["memory"], "memory");
    if (mem.contains("run_bytes")) {
      m.estimatedRunBytes = s.unsignedValue(mem["run_bytes"], "memory.run_bytes");
      // No device of this era has more; a larger figure is a broken manifest.
      constexpr std::uint64_t kMaxRunBytes = 1ull << 40;
      if (m.estimatedRunBytes > kMaxRunBytes)
        s.bad("memory.run_bytes", std::to_string(m.estimatedRunBytes) +
                                      " bytes is more than any device holds (limit 1 TiB)");
    }
  }
  if (root.contains("dry_run")) {
    const json& dry = s.object(root["dry_run"], "dry_run");
    for (auto it = dry.begin(); it != dry.end(); ++it) {
      const auto v = s.unsignedValue(it.value(), "dry_run." + it.key());
      if (v == 0 || v > 65536) s.bad("dry_run." + it.key(), "must be between 1 and 65536");
      m.dryRunSymbols[it.key()] = std::int64_t(v);
    }
  }
  // Every symbol of a component's contract needs a dry-run value.
  for (const auto& c : m.components) {
    for (const auto* list : {&c.inputs, &c.outputs}) {
      for (const auto& t : *list) {
        for (const auto& d : t.shape) {
          if (std::isdigit(static_cast<unsigned char>(d.front()))) continue;
          if (!m.dryRunSymbols.count(d))
            fail(package, kManifest, "dry_run",
                 "symbol \"" + d + "\" of " + c.name + "." + t.name +
                     " has no value in \"dry_run\"");
        }
      }
    }
  }
  return m;
}

ModelPackage readPackage(const std::filesystem::path& folder, bool verifyHashes) {
  namespace fs = std::filesystem;
  const std::string folderName = folder.filename().empty()
                                     ? folder.parent_path().filename().string()
                                     : folder.filename().string();
  const fs::path manifestPath = folder / kManifest;
  std::error_code ec;
  if (!fs::is_regular_file(manifestPath, ec))
    fail(folderName, kManifest, "file exists", "not found in " + folder.string());
  ModelPackage package;
  package.folder = folder;
  package.manifest = parseManifest(readText(manifestPath, folderName), folderName);
  const std::string& name = package.manifest.name;
  const fs::path root = fs::weakly_canonical(folder, ec);
  for (const auto& f : package.manifest.files) {
    const fs::path path = folder / f.path;
    if (!fs::is_regular_file(path, ec))
      fail(name, f.path, "file exists", "not found in " + folder.string());
    // A symlink (or any path) that resolves outside the package is refused.
    const fs::path real = fs::weakly_canonical(path, ec);
    const auto rel = real.lexically_relative(root);
    if (ec || rel.empty() || *rel.begin() == "..")
      fail(name, f.path, "inside the package",
           "resolves to " + real.string() + ", outside " + root.string());
    const auto size = fs::file_size(path, ec);
    if (ec) fail(name, f.path, "file exists", ec.message());
    if (size != f.bytes)
      fail(name, f.path, "size",
           "manifest says " + std::to_string(f.bytes) + " bytes, file has " + std::to_string(size));
    package.fileBytes += size;
    if (verifyHashes) {
      const std::string actual = sha256File(path);
      if (actual != f.sha256)
        fail(name, f.path, "sha256", "mismatch: manifest " + f.sha256 + ", file " + actual);
    }
  }
  return package;
}

std::vector<std::filesystem::path> findPackages(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::vector<fs::path> found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return found;
  // Every visible sub-folder: one without a manifest is reported, not skipped in silence.
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec) && entry.path().filename().string().front() != '.')
      found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::filesystem::path defaultModelsDir() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("H3DPART_MODELS"); env && *env) return fs::path(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
#ifdef H3DPART_INSTALL_MODELS_REL
    const fs::path installed = exe.parent_path().parent_path() / H3DPART_INSTALL_MODELS_REL;
    if (fs::is_directory(installed, ec)) return installed;
#endif
    // The build tree keeps them where an install does: <build>/share/h3dpart/models.
    const fs::path nextTo = exe.parent_path() / "models";
    if (fs::is_directory(nextTo, ec)) return nextTo;
  }
  return fs::path("models");
}

std::string sha256File(const std::filesystem::path& file) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!f) throw InputError(file.string(), "cannot open for reading");
  detail::Sha256 sha;
  std::vector<char> buffer(1 << 20);
  for (;;) {
    const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), f.get());
    if (n > 0) sha.update(buffer.data(), n);
    if (n < buffer.size()) break;
  }
  if (std::ferror(f.get())) throw InputError(file.string(), "read error");
  return sha.finishHex();
}

std::string sha256Hex(const void* data, std::size_t size) {
  return detail::sha256Hex(data, size);
}

}  // namespace h3d
