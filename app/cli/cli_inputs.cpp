#include "cli_inputs.h"

#include <glob.h>

#include <algorithm>
#include <fstream>

#include "h3dpart/errors.h"
#include "h3dpart/mesh_io.h"

namespace h3d::cli {
namespace fs = std::filesystem;

namespace {

bool isPattern(const std::string& arg) {
  return arg.find_first_of("*?[") != std::string::npos;
}

bool hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

void addFolder(const fs::path& folder, bool recursive, std::vector<InputItem>& out) {
  std::vector<InputItem> found;
  std::error_code ec;
  const auto options = fs::directory_options::skip_permission_denied;
  if (recursive) {
    fs::recursive_directory_iterator it(folder, options, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (hidden(it->path())) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file(ec) || !canImport(it->path())) continue;
      const fs::path rel = it->path().parent_path().lexically_relative(folder);
      found.push_back({it->path(), rel == "." ? std::string() : rel.string(), {}, true});
    }
  } else {
    for (fs::directory_iterator it(folder, options, ec), end; !ec && it != end; it.increment(ec)) {
      if (hidden(it->path()) || !it->is_regular_file(ec) || !canImport(it->path())) continue;
      found.push_back({it->path(), {}, {}, true});
    }
  }
  if (ec) {
    out.push_back({folder, {}, "cannot list the folder: " + ec.message()});
    return;
  }
  std::sort(found.begin(), found.end(),
            [](const InputItem& a, const InputItem& b) { return a.path < b.path; });
  if (found.empty()) out.push_back({folder, {}, "folder holds no mesh files"});
  out.insert(out.end(), found.begin(), found.end());
}

void addPattern(const std::string& pattern, std::vector<InputItem>& out) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g);
  std::vector<std::string> matches;
  if (rc == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i) matches.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  std::sort(matches.begin(), matches.end());
  std::size_t added = 0;
  std::error_code ec;
  for (const auto& m : matches) {
    if (!fs::is_regular_file(m, ec)) continue;  // patterns pick files, not folders
    out.push_back({m, {}, {}, true});
    ++added;
  }
  if (!added) out.push_back({pattern, {}, "no file matches this pattern"});
}

void addArgument(const std::string& arg, const InputSpec& spec, std::istream& listStream,
                 std::vector<InputItem>& out, int depth);

void addList(std::istream& in, const std::string& name, const InputSpec& spec,
             std::istream& listStream, std::vector<InputItem>& out, int depth) {
  if (depth > 4) throw UsageError(name + ": list files nest too deep");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    addArgument(line, spec, listStream, out, depth + 1);
  }
  if (in.bad()) throw UsageError(name + ": cannot read the list");
}

void addArgument(const std::string& arg, const InputSpec& spec, std::istream& listStream,
                 std::vector<InputItem>& out, int depth) {
  if (arg == "-") {
    if (depth > 0) {
      out.push_back({arg, {}, "'-' inside a list file"});
      return;
    }
    addList(listStream, "standard input", spec, listStream, out, depth);
    return;
  }
  std::error_code ec;
  const fs::path p(arg);
  if (fs::is_directory(p, ec)) {
    addFolder(p, spec.recursive, out);
  } else if (fs::exists(p, ec)) {
    out.push_back({p, {}, {}});
  } else if (isPattern(arg)) {
    addPattern(arg, out);
  } else {
    out.push_back({p, {}, "no such file"});
  }
}

}  // namespace

std::vector<InputItem> expandInputs(const InputSpec& spec, std::istream& listStream) {
  std::vector<InputItem> out;
  for (const auto& arg : spec.args) addArgument(arg, spec, listStream, out, 0);
  if (spec.fromList == "-") {
    addList(listStream, "standard input", spec, listStream, out, 0);
  } else if (!spec.fromList.empty()) {
    std::ifstream in(spec.fromList);
    if (!in) throw UsageError("--from " + spec.fromList + ": cannot open the list");
    addList(in, spec.fromList, spec, listStream, out, 0);
  }
  return out;
}

// ---------------------------------------------------------------------------

namespace {

const char* const kFields[] = {"stem", "ext", "input_ext", "dir", "index"};

template <typename Fn>
void forEachPiece(const std::string& text, const std::string& option, Fn&& fn) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find('{', i);
    if (open == std::string::npos) {
      fn(false, text.substr(i));
      return;
    }
    if (open > i) fn(false, text.substr(i, open - i));
    const std::size_t close = text.find('}', open);
    if (close == std::string::npos)
      throw UsageError(option + ": '" + text + "': a '{' is not closed");
    fn(true, text.substr(open + 1, close - open - 1));
    i = close + 1;
  }
}

}  // namespace

NameTemplate::NameTemplate(std::string text, const std::string& option, bool confined)
    : text_(std::move(text)), confined_(confined) {
  if (text_.empty()) throw UsageError(option + ": the template is empty");
  forEachPiece(text_, option, [&](bool field, const std::string& piece) {
    if (field) {
      if (std::find(std::begin(kFields), std::end(kFields), piece) == std::end(kFields))
        throw UsageError(option + ": '{" + piece +
                         "}' is not one of {stem} {ext} {input_ext} {dir} {index}");
    } else if (piece.find('}') != std::string::npos) {
      throw UsageError(option + ": '" + text_ + "': a '}' without '{'");
    }
  });
  if (!confined_) return;
  if (text_.front() == '/') throw UsageError(option + ": '" + text_ + "': must be a relative name");
  for (const auto& part : fs::path(text_))
    if (part == "..") throw UsageError(option + ": '" + text_ + "': '..' leaves the output folder");
}

std::string NameTemplate::render(const InputItem& item, std::size_t index, std::size_t count,
                                 const std::string& ext) const {
  std::string result;
  forEachPiece(text_, "--name", [&](bool field, const std::string& piece) {
    if (!field) {
      result += piece;
    } else if (piece == "stem") {
      result += item.path.stem().string();
    } else if (piece == "ext") {
      result += ext;
    } else if (piece == "input_ext") {
      std::string e = item.path.extension().string();
      result += e.empty() ? e : e.substr(1);
    } else if (piece == "dir") {
      result += item.subdir;
    } else if (piece == "index") {
      const std::string digits = std::to_string(index + 1);
      const std::size_t width = std::to_string(count).size();
      result += std::string(width > digits.size() ? width - digits.size() : 0, '0') + digits;
    }
  });
  if (!confined_) return result;
  // "{dir}/{stem}" with an empty dir gives "/stem": keep it inside the folder.
  std::string clean;
  for (const auto& part : fs::path(result).lexically_normal()) {
    if (part == "/" || part.empty() || part == ".") continue;
    clean = clean.empty() ? part.string() : (fs::path(clean) / part).string();
  }
  return clean;
}

}  // namespace h3d::cli
