#include "import_guard.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "h3dpart/errors.h"

namespace h3d::detail {
namespace fs = std::filesystem;

namespace {

fs::path resolved(const fs::path& p) {
  std::error_code ec;
  const fs::path abs = fs::absolute(p, ec).lexically_normal();
  const fs::path r = fs::weakly_canonical(abs, ec);
  return ec ? abs : r;
}

bool isInside(const fs::path& path, const fs::path& folder) {
  const fs::path rel = resolved(path).lexically_relative(folder);
  return !rel.empty() && *rel.begin() != ".." && !rel.is_absolute();
}

std::string percentDecoded(const std::string& uri) {
  std::string out;
  for (std::size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] == '%' && i + 2 < uri.size() &&
        std::isxdigit(static_cast<unsigned char>(uri[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(uri[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(uri.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(uri[i]);
    }
  }
  return out;
}

// The JSON of a .gltf, or the JSON chunk of a .glb; empty when unreadable
// (Assimp then says what is wrong with the file).
std::string gltfJson(const fs::path& file, bool binary) {
  std::ifstream in(file, std::ios::binary);
  if (!binary) {
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::uint32_t header[5] = {};
  if (!in.read(reinterpret_cast<char*>(header), sizeof header)) return {};
  constexpr std::uint32_t kMagic = 0x46546C67, kJson = 0x4E4F534A;  // "glTF", "JSON"
  if (header[0] != kMagic || header[4] != kJson) return {};
  std::error_code ec;
  if (header[3] > fs::file_size(file, ec)) return {};
  std::string text(header[3], '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(text.size()))) return {};
  return text;
}

}  // namespace

ConfinedIOSystem::ConfinedIOSystem(const fs::path& meshFile)
    : folder_(resolved(meshFile).parent_path()) {}

bool ConfinedIOSystem::inside(const char* file) const {
  if (isInside(file, folder_)) return true;
  if (refused_.empty()) refused_ = file;
  return false;
}

Assimp::IOStream* ConfinedIOSystem::Open(const char* file, const char* mode) {
  return inside(file) ? DefaultIOSystem::Open(file, mode) : nullptr;
}

bool ConfinedIOSystem::Exists(const char* file) const {
  return inside(file) && DefaultIOSystem::Exists(file);
}

void checkGltfReferences(const fs::path& file, std::uint64_t maxDataUriBytes) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (ext != ".gltf" && ext != ".glb") return;
  const nlohmann::json doc = nlohmann::json::parse(gltfJson(file, ext == ".glb"), nullptr, false);
  if (!doc.is_object()) return;
  const fs::path folder = resolved(file).parent_path();
  for (const char* list : {"buffers", "images"}) {
    if (!doc.contains(list) || !doc[list].is_array()) continue;
    const auto& items = doc[list];
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_object() || !items[i].contains("uri") || !items[i]["uri"].is_string())
        continue;
      const std::string uri = items[i]["uri"].get<std::string>();
      const std::string where = std::string(list) + "[" + std::to_string(i) + "]";
      if (uri.rfind("data:", 0) == 0) {
        if (uri.size() > maxDataUriBytes)
          throw InputError(file.string(), where + ": embedded data: URI of " +
                                              std::to_string(uri.size() >> 20) +
                                              " MiB, over the limit of " +
                                              std::to_string(maxDataUriBytes >> 20) + " MiB");
        continue;
      }
      const std::string path = percentDecoded(uri);
      const bool scheme = path.find("://") != std::string::npos || path.rfind("file:", 0) == 0;
      if (scheme || path.empty() || path.front() == '/' || !isInside(folder / path, folder))
        throw InputError(file.string(),
                         where + " refers to '" + uri + "', outside the file's folder; refused");
    }
  }
}

void checkDeclaredCounts(const fs::path& file, const std::string& extension,
                         std::uint64_t fileBytes) {
  if (extension != "off" && extension != "ply") return;
  std::ifstream in(file, std::ios::binary);
  std::uint64_t vertices = 0, faces = 0;
  // Smallest possible record of each kind: ASCII "0 0 0\n" and "3 0 0 0\n";
  // binary three floats and a byte count with three byte indices.
  std::uint64_t vertexBytes = 6, faceBytes = 8;
  std::string line;
  if (extension == "off") {
    std::vector<std::string> tokens;
    while (tokens.size() < 4 && std::getline(in, line)) {
      line = line.substr(0, line.find('#'));
      std::istringstream words(line);
      for (std::string w; words >> w;) tokens.push_back(w);
    }
    if (tokens.size() < 3 || tokens[0].find("OFF") == std::string::npos) return;
    if (tokens[0].find("BINARY") != std::string::npos || tokens[1] == "BINARY") return;
    try {
      // Counts follow the keyword: "OFF nv nf ne" on one or two lines.
      vertices = std::stoull(tokens[1]);
      faces = std::stoull(tokens[2]);
    } catch (const std::exception&) {
      return;
    }
  } else {
    for (int n = 0; n < 200 && std::getline(in, line) && line.rfind("end_header", 0) != 0; ++n) {
      std::istringstream words(line);
      std::string key, what;
      std::uint64_t count = 0;
      words >> key;
      if (key == "format" && (words >> what) && what != "ascii") {
        vertexBytes = 12;
        faceBytes = 4;
      }
      if (key == "element" && (words >> what >> count)) {
        if (what == "vertex") vertices = count;
        if (what == "face") faces = count;
      }
    }
  }
  const long double need = static_cast<long double>(vertices) * vertexBytes +
                           static_cast<long double>(faces) * faceBytes;
  if (need > static_cast<long double>(fileBytes))
    throw InputError(file.string(), "claims " + std::to_string(vertices) + " vertices and " +
                                        std::to_string(faces) + " faces but the file has only " +
                                        std::to_string(fileBytes) + " bytes");
}

std::string describeReadFailure(const std::string& assimpMessage, const std::string& extension) {
  std::string format = extension;
  std::transform(format.begin(), format.end(), format.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  const auto has = [&](const char* s) { return assimpMessage.find(s) != std::string::npos; };
  std::string reason;
  if (has("is a POINT") || has("is a LINE") || has("mNumIndices"))
    reason = "a face has fewer than three corners";
  else if (has("is nullptr") || has("is NULL"))
    reason = "the file ends before all its faces are read";
  else if (has("mIndices") || has("index out of range") || has("invalid index") ||
           has("Invalid face index") || has("out of range"))
    reason = "a face refers to a vertex that is not there";
  else if (has("end of file") || has("EOF") || has("nexpected end") || has("too short") ||
           has("Unexpected end"))
    reason = "the file ends before its data does";
  else if (has("aiMesh") || has("aiScene") || has("Validation"))
    reason = "its data is inconsistent";
  if (!reason.empty()) return "truncated or malformed " + format + ": " + reason;
  std::string why = assimpMessage.empty() ? "not a readable mesh" : assimpMessage;
  std::replace(why.begin(), why.end(), '\n', ' ');  // the boundary wants one line
  return "cannot read as ." + extension + ": " + why;
}

}  // namespace h3d::detail
