#include "h3dpart/project_file.h"

#include <array>
#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "h3dpart/atomic_file.h"
#include "h3dpart/digest.h"
#include "h3dpart/errors.h"
#include "h3dpart/mesh_io.h"

namespace h3d {
namespace fs = std::filesystem;
using nlohmann::json;

static_assert(std::endian::native == std::endian::little,
              "project files are written as raw little-endian arrays");

namespace {

// More vertices or faces than this cannot be real (and would overflow sizes).
constexpr std::uint64_t kMaxElements = 1ull << 32;

constexpr std::array<char, 8> kMagic{'H', '3', 'D', 'P', '\r', '\n', '\x1a', '\n'};

template <class T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class T>
void putArray(std::string& out, const std::vector<T>& values) {
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

void writeSection(std::ostream& out, const char (&tag)[5], const std::string& payload) {
  std::string head(tag, 4);
  put<std::uint64_t>(head, payload.size());
  put<std::uint32_t>(head, detail::crc32(payload.data(), payload.size()));
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
}

std::string meshContentHash(const Mesh& mesh) {
  detail::Sha256 h;
  h.update(mesh.vertices.data(), mesh.vertices.size() * sizeof(Vec3));
  h.update(mesh.faces.data(), mesh.faces.size() * sizeof(Triangle));
  return h.finishHex();
}

std::string fileHash(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  detail::Sha256 h;
  std::array<char, 1 << 16> buf{};
  while (in) {
    in.read(buf.data(), buf.size());
    h.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  return h.finishHex();
}

json vec3Json(const Vec3& v) {
  return json::array({v.x, v.y, v.z});
}

std::string meshPayload(const Mesh& mesh, std::uint32_t part) {
  std::string s;
  put<std::uint32_t>(s, part);
  put<std::uint32_t>(s, static_cast<std::uint32_t>(mesh.vertices.size()));
  put<std::uint32_t>(s, static_cast<std::uint32_t>(mesh.faces.size()));
  putArray(s, mesh.vertices);
  putArray(s, mesh.faces);
  return s;
}

// ---- reading ----------------------------------------------------------------

// A bounds-checked cursor over the file's bytes; every failure names the file.
class Reader {
 public:
  Reader(std::string file, std::string bytes) : file_(std::move(file)), bytes_(std::move(bytes)) {}

  [[noreturn]] void fail(const std::string& why) const { throw InputError(file_, why); }
  std::size_t left() const { return bytes_.size() - pos_; }
  const char* take(std::size_t n, const char* what) {
    if (n > left()) {
      std::string why("truncated (");
      why.append(what);
      why.append(" cut short)");
      fail(why);
    }
    const char* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  template <class T>
  T get(const char* what) {
    T v;
    std::memcpy(&v, take(sizeof v, what), sizeof v);
    return v;
  }

 private:
  std::string file_;
  std::string bytes_;
  std::size_t pos_ = 0;
};

struct Section {
  std::string tag;
  const char* data;
  std::size_t size;
};

template <class T>
std::vector<T> arrayFrom(const char* data, std::size_t count) {
  std::vector<T> v(count);
  std::memcpy(v.data(), data, count * sizeof(T));
  return v;
}

Vec3 vec3From(const json& j) {
  if (!j.is_array() || j.size() != 3) throw std::invalid_argument("a point is not 3 numbers");
  return {j.at(0).get<float>(), j.at(1).get<float>(), j.at(2).get<float>()};
}

Mesh meshFrom(Reader& r, const Section& s, std::uint32_t& part) {
  if (s.size < 12) r.fail("generated part section too short");
  std::uint32_t head[3];
  std::memcpy(head, s.data, sizeof head);
  part = head[0];
  const std::uint64_t need =
      12 + std::uint64_t(head[1]) * sizeof(Vec3) + std::uint64_t(head[2]) * sizeof(Triangle);
  if (need != s.size) r.fail("generated part section has the wrong length");
  Mesh m;
  m.vertices = arrayFrom<Vec3>(s.data + 12, head[1]);
  m.faces = arrayFrom<Triangle>(s.data + 12 + head[1] * sizeof(Vec3), head[2]);
  for (const auto& t : m.faces)
    for (auto v : t)
      if (v >= m.vertices.size()) r.fail("generated part has a face index out of range");
  return m;
}

enum class Lookup { Found, Changed, Gone };
struct LookupResult {
  Lookup state = Lookup::Gone;
  fs::path path;
  bool moved = false;  // found beside the project, not where it was saved
};

// Where a referenced mesh is now: its saved path (a relative one from the
// project's folder), else a file of the same name beside the project (the two
// were moved together). The first candidate with the saved size and hash wins.
LookupResult findReferencedMesh(const fs::path& project, const fs::path& saved, std::uint64_t size,
                                const std::string& sha256) {
  const fs::path folder = project.parent_path();
  std::vector<fs::path> candidates{saved.is_relative() ? folder / saved : saved};
  if (!saved.filename().empty()) candidates.push_back(folder / saved.filename());
  LookupResult result;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const fs::path& c = candidates[i];
    std::error_code ec;
    if (!fs::is_regular_file(c, ec)) continue;
    if (fs::file_size(c, ec) == size && !ec && fileHash(c) == sha256)
      return {Lookup::Found, c, i > 0};
    result.state = Lookup::Changed;
  }
  return result;
}

}  // namespace

void saveProject(const fs::path& file, const PartDocument& doc, const ProjectSaveOptions& options) {
  const Mesh& mesh = doc.mesh();
  json header;
  header["format"] = kProjectFormatVersion;
  std::string writer("h3dpart ");
  writer.append(H3DPART_VERSION);
  header["writer"] = writer;
  header["sourcePath"] = doc.sourcePath();
  json jm;
  jm["embedded"] = options.embedMesh;
  jm["vertices"] = mesh.vertices.size();
  jm["faces"] = mesh.faces.size();
  jm["contentSha256"] = meshContentHash(mesh);
  if (!options.embedMesh) {
    std::error_code ec;
    const auto size = fs::file_size(doc.sourcePath(), ec);
    if (doc.sourcePath().empty() || ec) {
      std::string why("cannot reference the input mesh '");
      why.append(doc.sourcePath());
      why.append("' (not a readable file); embed it instead");
      throw OutputError(file.string(), why);
    }
    jm["fileSize"] = size;
    jm["fileSha256"] = fileHash(doc.sourcePath());
  }
  header["mesh"] = jm;
  const auto& o = doc.options();
  header["options"] = {
      {"seed", o.seed}, {"resolution", o.resolution}, {"postprocess", o.postprocess}};
  json models = json::array();
  for (const auto& m : doc.models()) models.push_back({{"name", m.name}, {"sha256", m.sha256}});
  header["models"] = models;
  json parts = json::array();
  for (const auto& p : doc.parts()) {
    json jp;
    jp["name"] = p.name;
    jp["color"] = {p.color[0], p.color[1], p.color[2]};
    jp["visible"] = p.visible;
    jp["box"] = p.box.empty() ? json(nullptr)
                              : json{{"lo", vec3Json(p.box.lo)}, {"hi", vec3Json(p.box.hi)}};
    jp["boxEdited"] = p.boxEdited;
    jp["generated"] = static_cast<bool>(p.generated);
    parts.push_back(jp);
  }
  header["parts"] = parts;
  if (!options.recoveryOf.empty()) header["recoveryOf"] = options.recoveryOf;

  const std::string text = header.dump();
  writeFileAtomically(file, [&](std::ostream& out) {
    std::string head(kMagic.data(), kMagic.size());
    put<std::uint32_t>(head, kProjectFormatVersion);
    put<std::uint32_t>(head, static_cast<std::uint32_t>(text.size()));
    put<std::uint32_t>(head, detail::crc32(text.data(), text.size()));
    head.append(text);
    out.write(head.data(), static_cast<std::streamsize>(head.size()));
    if (options.embedMesh) {
      std::string v, f;
      putArray(v, mesh.vertices);
      putArray(f, mesh.faces);
      writeSection(out, "VERT", v);
      writeSection(out, "FACE", f);
    }
    std::string labels;
    putArray(labels, doc.faceLabels());
    writeSection(out, "LABL", labels);
    for (std::size_t k = 0; k < doc.parts().size(); ++k)
      if (doc.parts()[k].generated)
        writeSection(out, "GMSH", meshPayload(*doc.parts()[k].generated, std::uint32_t(k)));
    writeSection(out, "END ", {});
  });
}

PartDocument openProject(const fs::path& file, ProjectInfo* info) {
  const std::string name = file.string();
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw InputError(name, "cannot open: " + std::string(std::strerror(errno)));
    bytes.assign(std::istreambuf_iterator<char>(in), {});
    if (in.bad()) throw InputError(name, "read error");
  }
  Reader r(name, std::move(bytes));
  if (r.left() < kMagic.size() || std::memcmp(r.take(kMagic.size(), "magic"), kMagic.data(), 8))
    r.fail("not an h3dpart project file");
  const auto version = r.get<std::uint32_t>("format version");
  if (version > static_cast<std::uint32_t>(kProjectFormatVersion)) {
    std::string why("made by a newer h3dpart (format ");
    why.append(std::to_string(version));
    why.append("); this one reads up to ");
    why.append(std::to_string(kProjectFormatVersion));
    r.fail(why);
  }
  if (version == 0) r.fail("format version 0 is not valid");
  const auto headerSize = r.get<std::uint32_t>("header length");
  const auto headerCrc = r.get<std::uint32_t>("header checksum");
  const char* headerBytes = r.take(headerSize, "header");
  if (detail::crc32(headerBytes, headerSize) != headerCrc)
    r.fail("corrupt (header checksum mismatch)");

  std::vector<Section> sections;
  for (;;) {
    std::string tag(r.take(4, "section tag"), 4);
    const auto size = r.get<std::uint64_t>("section length");
    const auto crc = r.get<std::uint32_t>("section checksum");
    if (size > r.left()) r.fail("truncated (section " + tag + " cut short)");
    const char* data = r.take(static_cast<std::size_t>(size), "section");
    if (detail::crc32(data, static_cast<std::size_t>(size)) != crc)
      r.fail("corrupt (section " + tag + " checksum mismatch)");
    if (tag == "END ") break;
    sections.push_back({tag, data, static_cast<std::size_t>(size)});
  }
  auto find = [&](const char* tag) -> const Section* {
    for (const auto& s : sections)
      if (s.tag == tag) return &s;
    return nullptr;
  };

  try {
    const json h = json::parse(headerBytes, headerBytes + headerSize);
    const json& jm = h.at("mesh");
    const bool embedded = jm.at("embedded").get<bool>();
    const auto nv = jm.at("vertices").get<std::uint64_t>();
    const auto nf = jm.at("faces").get<std::uint64_t>();
    const std::string sourcePath = h.at("sourcePath").get<std::string>();
    std::string meshPath = sourcePath;  // where a referenced mesh was found
    if (nv > kMaxElements || nf > kMaxElements) r.fail("bad header: mesh size out of range");

    auto mesh = std::make_shared<Mesh>();
    if (embedded) {
      const Section* v = find("VERT");
      const Section* f = find("FACE");
      if (!v || !f) r.fail("the embedded mesh is missing");
      if (v->size != nv * sizeof(Vec3) || f->size != nf * sizeof(Triangle))
        r.fail("the embedded mesh has the wrong size");
      mesh->vertices = arrayFrom<Vec3>(v->data, nv);
      mesh->faces = arrayFrom<Triangle>(f->data, nf);
      for (const auto& t : mesh->faces)
        for (auto i : t)
          if (i >= nv) r.fail("the embedded mesh has a face index out of range");
    } else {
      std::string what("the referenced mesh '");
      what.append(sourcePath);
      what.append("'");
      const auto found =
          findReferencedMesh(file, sourcePath, jm.at("fileSize").get<std::uint64_t>(),
                             jm.at("fileSha256").get<std::string>());
      if (found.state == Lookup::Gone) r.fail(what + " is gone");
      if (found.state == Lookup::Changed) r.fail(what + " has changed since the project was saved");
      if (found.moved) meshPath = found.path.string();
      try {
        *mesh = importMesh(found.path);
      } catch (const Error& e) {
        r.fail(what + " cannot be read: " + e.what());
      }
    }
    if (meshContentHash(*mesh) != jm.at("contentSha256").get<std::string>())
      r.fail(embedded ? "corrupt (mesh hash mismatch)"
                      : "the referenced mesh imports differently than when saved");

    const Section* l = find("LABL");
    if (!l || l->size != nf * sizeof(int)) r.fail("the face labels are missing or the wrong size");
    std::vector<int> labels = arrayFrom<int>(l->data, nf);

    std::vector<DocumentPart> parts;
    for (const json& jp : h.at("parts")) {
      DocumentPart p;
      p.name = jp.at("name").get<std::string>();
      const json& c = jp.at("color");
      if (!c.is_array() || c.size() != 3) r.fail("a part colour is not 3 numbers");
      for (std::size_t i = 0; i < 3; ++i) p.color[i] = c.at(i).get<std::uint8_t>();
      p.visible = jp.at("visible").get<bool>();
      const json& b = jp.at("box");
      if (!b.is_null()) {
        p.box.lo = vec3From(b.at("lo"));
        p.box.hi = vec3From(b.at("hi"));
      }
      p.boxEdited = jp.at("boxEdited").get<bool>();
      parts.push_back(std::move(p));
    }
    std::size_t expectGenerated = 0;
    for (const json& jp : h.at("parts")) expectGenerated += jp.at("generated").get<bool>() ? 1 : 0;
    std::size_t gotGenerated = 0;
    for (const auto& s : sections) {
      if (s.tag != "GMSH") continue;
      std::uint32_t part = 0;
      Mesh m = meshFrom(r, s, part);
      if (part >= parts.size() || parts[part].generated)
        r.fail("a generated part names no part or a part twice");
      parts[part].generated = std::make_shared<const Mesh>(std::move(m));
      ++gotGenerated;
    }
    if (gotGenerated != expectGenerated) r.fail("generated parts are missing");

    PartDocument doc(std::move(mesh), meshPath);
    try {
      doc.assign(std::move(labels), std::move(parts));
    } catch (const std::invalid_argument& e) {
      r.fail(std::string("inconsistent: ") + e.what());
    }
    const json& o = h.at("options");
    doc.setOptions({o.at("seed").get<std::uint64_t>(), o.at("resolution").get<int>(),
                    o.at("postprocess").get<bool>()});
    std::vector<ModelRef> models;
    for (const json& m : h.at("models"))
      models.push_back({m.at("name").get<std::string>(), m.at("sha256").get<std::string>()});
    doc.setModels(std::move(models));
    if (info) {
      info->formatVersion = static_cast<int>(version);
      info->writer = h.value("writer", std::string());
      info->meshEmbedded = embedded;
      info->recoveryOf = h.value("recoveryOf", std::string());
    }
    return doc;
  } catch (const json::exception& e) {
    r.fail(std::string("bad header: ") + e.what());
  } catch (const std::invalid_argument& e) {
    r.fail(std::string("bad header: ") + e.what());
  }
}

}  // namespace h3d
