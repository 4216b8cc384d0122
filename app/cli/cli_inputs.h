#pragma once
// Batch inputs: what the command line names (files, folders, glob patterns,
// list files) expanded into a list of meshes, and the output name template
// that turns each one into its output names.
#include <cstddef>
#include <filesystem>
#include <istream>
#include <string>
#include <vector>

namespace h3d::cli {

struct InputItem {
  std::filesystem::path path;  // as the user named it (or as the folder/pattern produced it)
  std::string subdir;          // folder inputs: the subfolder below the named folder ("" at top)
  std::string problem;         // non-empty: an input that cannot be used ("no such file", ...)
  bool found = false;          // came from a folder or a pattern, not named one by one
};

struct InputSpec {
  std::vector<std::string> args;  // positional arguments; "-" reads a list from `listStream`
  std::string fromList;           // a list file, one path a line; "-" = `listStream`
  bool recursive = false;
};

// Expands in order: a file stays as given, a folder gives its importable
// meshes sorted by name (subfolders too when recursive; hidden files never),
// a pattern with * ? or [ gives its matches sorted, a list file gives each
// line expanded the same way (blank lines and lines starting with # skipped).
// A missing file or a pattern that matches nothing becomes an item with a
// problem, so the batch reports it and goes on. Throws UsageError when a list
// file cannot be read.
std::vector<InputItem> expandInputs(const InputSpec& spec, std::istream& listStream);

// "{stem}-parts.{ext}": {stem} the input's name without extension, {ext} the
// output format, {input_ext} the input's extension, {dir} the subfolder below
// a named folder (empty for files), {index} the input's position (1-based,
// zero-padded to the width of the count). Throws UsageError on an unknown
// placeholder, an unclosed brace, an absolute path or "..".
class NameTemplate {
 public:
  // `option` names the template in messages ("--name", "--face-labels");
  // `confined` refuses names that leave the output folder (not for --labels,
  // which reads relative to the current folder).
  explicit NameTemplate(std::string text, const std::string& option = "--name",
                        bool confined = true);
  std::string render(const InputItem& item, std::size_t index, std::size_t count,
                     const std::string& ext) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  bool confined_;
};

}  // namespace h3d::cli
