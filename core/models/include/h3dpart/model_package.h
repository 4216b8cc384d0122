#pragma once
// A model package: a folder with manifest.json and TorchScript file(s).
// Reading a package validates its manifest and file hashes; loading the
// TorchScript and the dry run happen in the model manager.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace h3d {

enum class ModelRole { Segmenter, Generator };
std::string toString(ModelRole role);
std::optional<ModelRole> parseRole(const std::string& text);

struct TensorSpec {
  std::string name;
  std::vector<std::string> shape;  // each a number or a symbol ("N", "K")
  std::string dtype;               // "float32", "int64", ...
};

struct PackageFile {
  std::string path;    // relative to the package folder
  std::string sha256;  // lowercase hex
  std::uint64_t bytes = 0;
};

// A TorchScript module of the package. Stages name the components they need,
// so the manager can keep only those on the device.
struct ComponentSpec {
  std::string name;
  std::string file;  // a PackageFile::path
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

struct StageSpec {
  std::string name;
  std::vector<std::string> components;
};

struct PackageManifest {
  int format = 1;
  std::string name;
  ModelRole role = ModelRole::Segmenter;
  std::string version;
  std::string description;
  std::vector<PackageFile> files;
  std::vector<ComponentSpec> components;
  std::vector<StageSpec> stages;
  std::string preferredDevice = "auto";  // "cpu" | "cuda" | "auto"
  std::string dtype = "float32";
  bool halfPrecisionAllowed = false;
  bool cpuFallbackAllowed = true;
  std::uint64_t estimatedRunBytes = 0;  // working memory while running, beyond the weights
  // Symbol values ("N", "K", ...) used to build the tiny dry-run inputs.
  std::map<std::string, std::int64_t> dryRunSymbols;

  const ComponentSpec* component(const std::string& name) const;
  const StageSpec* stage(const std::string& name) const;
};

struct ModelPackage {
  std::filesystem::path folder;
  PackageManifest manifest;
  std::uint64_t fileBytes = 0;  // sum of the package files on disk
};

// Reads and checks manifest.json (schema, roles, files present, SHA-256).
// Throws ModelError "model package <folder>: <file>: <check>: <why>".
ModelPackage readPackage(const std::filesystem::path& folder, bool verifyHashes = true);

// Every visible folder directly under `dir`: each is a package, or is refused
// with the reason (no manifest.json, ...) when read.
std::vector<std::filesystem::path> findPackages(const std::filesystem::path& dir);

// Where the default packages are: $H3DPART_MODELS, else next to the executable
// (../share/h3dpart/models, or the build tree's models/).
std::filesystem::path defaultModelsDir();

std::string sha256File(const std::filesystem::path& file);
// SHA-256 of a byte range, lowercase hex.
std::string sha256Hex(const void* data, std::size_t size);

// Parses and checks the text of a manifest (schema and cross references, no
// file access). `packageName` names the package in error messages.
PackageManifest parseManifest(const std::string& jsonText, const std::string& packageName);

// The refusal message format: "model package <name>: <file>: <check>: <why>".
std::string packageErrorMessage(const std::string& package, const std::string& file,
                                const std::string& check, const std::string& why);

// The dtypes a TensorSpec may name.
bool isKnownDtype(const std::string& dtype);

}  // namespace h3d
