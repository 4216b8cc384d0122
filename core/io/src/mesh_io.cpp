#include "h3dpart/mesh_io.h"

#include <assimp/importerdesc.h>
#include <assimp/postprocess.h>
#include <assimp/scene.h>

#include <algorithm>
#include <assimp/Exporter.hpp>
#include <assimp/Importer.hpp>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "h3dpart/atomic_file.h"
#include "h3dpart/errors.h"
#include "import_guard.h"

namespace h3d {
namespace fs = std::filesystem;
using detail::checkDeclaredCounts;
using detail::checkGltfReferences;

namespace {

std::string lowerExtension(const fs::path& file) {
  std::string ext = file.extension().string();
  if (!ext.empty() && ext[0] == '.') ext.erase(0, 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext;
}

// Exact-position key for joining duplicate vertices (+0.0f folds -0 into 0).
struct PositionKey {
  std::uint32_t x, y, z;
  bool operator==(const PositionKey&) const = default;
};
struct PositionKeyHash {
  std::size_t operator()(const PositionKey& k) const {
    std::uint64_t h = k.x * 0x9E3779B97F4A7C15ull;
    h ^= (k.y + 0x632BE59BD9B4E019ull) + (h << 6) + (h >> 2);
    h ^= (k.z + 0x85157AF5ull) + (h << 6) + (h >> 2);
    return static_cast<std::size_t>(h);
  }
};
PositionKey keyOf(const Vec3& v) {
  PositionKey k;
  const float x = v.x + 0.0f, y = v.y + 0.0f, z = v.z + 0.0f;
  std::memcpy(&k.x, &x, 4);
  std::memcpy(&k.y, &y, 4);
  std::memcpy(&k.z, &z, 4);
  return k;
}

// Flattens the scene graph depth-first; the order of nodes, then of their
// meshes, then of each mesh's faces defines the output face order.
class SceneFlattener {
 public:
  SceneFlattener(const aiScene& scene, const std::string& file, Mesh& out, ImportReport& report)
      : scene_(scene), file_(file), out_(out), report_(report) {}

  void run() { visit(*scene_.mRootNode, aiMatrix4x4()); }

  // Fills the report's faceObjects when the file has 2..kMaxFileObjects
  // objects; otherwise it keeps none (one object is no parts; thousands are
  // a scene's pieces).
  void keepObjects() {
    const std::size_t n = objectStarts_.size();
    if (n < 2 || n > kMaxFileObjects) {
      report_.objectNames.clear();
      return;
    }
    report_.faceObjects.assign(out_.faces.size(), 0);
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t end = k + 1 < n ? objectStarts_[k + 1] : out_.faces.size();
      std::fill(report_.faceObjects.begin() + static_cast<std::ptrdiff_t>(objectStarts_[k]),
                report_.faceObjects.begin() + static_cast<std::ptrdiff_t>(end),
                static_cast<int>(k));
    }
  }

 private:
  void visit(const aiNode& node, const aiMatrix4x4& parent) {
    const aiMatrix4x4 transform = parent * node.mTransformation;
    const std::size_t firstFace = out_.faces.size();
    for (unsigned i = 0; i < node.mNumMeshes; ++i)
      addMesh(*scene_.mMeshes[node.mMeshes[i]], transform);
    if (out_.faces.size() > firstFace) addObject(node, firstFace);
    for (unsigned i = 0; i < node.mNumChildren; ++i) visit(*node.mChildren[i], transform);
  }

  // The faces the node added, from firstFace on, are one object of the file.
  void addObject(const aiNode& node, std::size_t firstFace) {
    std::string name(node.mName.C_Str());
    if (name.empty()) name = "part_" + std::to_string(report_.objectNames.size());
    report_.objectNames.push_back(std::move(name));
    objectStarts_.push_back(firstFace);
  }

  void addMesh(const aiMesh& mesh, const aiMatrix4x4& transform) {
    std::vector<std::uint32_t> remap(mesh.mNumVertices, UINT32_MAX);
    for (unsigned f = 0; f < mesh.mNumFaces; ++f) {
      const aiFace& face = mesh.mFaces[f];
      if (face.mNumIndices != 3) {
        ++report_.droppedPrimitives;
        continue;
      }
      Triangle tri;
      for (int c = 0; c < 3; ++c) {
        const unsigned vi = face.mIndices[c];
        if (vi >= mesh.mNumVertices) throw InputError(file_, "face refers to a missing vertex");
        if (remap[vi] == UINT32_MAX) remap[vi] = joinVertex(transform * mesh.mVertices[vi]);
        tri[c] = remap[vi];
      }
      out_.faces.push_back(tri);
    }
  }

  std::uint32_t joinVertex(const aiVector3D& p) {
    const Vec3 v{p.x, p.y, p.z};
    if (!std::isfinite(v.x) || !std::isfinite(v.y) || !std::isfinite(v.z)) {
      throw InputError(file_,
                       "vertex " + std::to_string(seen_) + " has a NaN or infinite coordinate");
    }
    ++seen_;
    auto [it, inserted] =
        index_.try_emplace(keyOf(v), static_cast<std::uint32_t>(out_.vertices.size()));
    if (inserted) {
      out_.vertices.push_back(v);
    } else {
      ++report_.joinedVertices;
    }
    return it->second;
  }

  const aiScene& scene_;
  const std::string& file_;
  Mesh& out_;
  ImportReport& report_;
  std::unordered_map<PositionKey, std::uint32_t, PositionKeyHash> index_;
  std::vector<std::size_t> objectStarts_;  // first face of each object
  std::size_t seen_ = 0;
};

}  // namespace

const std::vector<std::string>& importExtensions() {
  static const std::vector<std::string> exts = {"glb", "gltf", "obj", "ply", "stl",
                                                "off", "fbx",  "3mf", "dae"};
  return exts;
}

bool canImport(const fs::path& file) {
  const auto& exts = importExtensions();
  return std::find(exts.begin(), exts.end(), lowerExtension(file)) != exts.end();
}

Mesh importMesh(const fs::path& file, ImportReport* reportOut, const ImportLimits& limits) {
  const std::string name = file.string();
  std::error_code ec;
  if (!fs::exists(file, ec)) throw InputError(name, "no such file");
  if (fs::is_directory(file, ec)) throw InputError(name, "is a folder, not a mesh file");
  const auto bytes = fs::file_size(file, ec);
  if (ec) throw InputError(name, "cannot read: " + ec.message());
  if (bytes == 0) throw InputError(name, "empty file");
  if (bytes > limits.maxFileBytes) {
    throw InputError(name, "file is " + std::to_string(bytes >> 20) + " MiB, over the " +
                               std::to_string(limits.maxFileBytes >> 20) + " MiB limit");
  }
  if (!canImport(file)) {
    throw InputError(name, "unsupported file type '." + lowerExtension(file) + "'");
  }

  checkDeclaredCounts(file, lowerExtension(file), bytes);
  checkGltfReferences(file, limits.maxDataUriBytes);

  ImportReport report;
  Mesh mesh;
  try {
    Assimp::Importer importer;
    auto* io = new detail::ConfinedIOSystem(file);  // the importer owns it
    importer.SetIOHandler(io);
    // Points and lines are not surfaces: drop them instead of failing.
    importer.SetPropertyInteger(AI_CONFIG_PP_SBP_REMOVE,
                                aiPrimitiveType_POINT | aiPrimitiveType_LINE);
    const aiScene* scene =
        importer.ReadFile(name, aiProcess_Triangulate | aiProcess_ValidateDataStructure);
    if (!io->refused().empty())
      throw InputError(name,
                       "refers to '" + io->refused() + "', outside the file's folder; refused");
    if (!scene || !scene->mRootNode) {
      const std::string why = importer.GetErrorString();
      if (why.find("no faces") != std::string::npos)
        throw InputError(name, "the file holds no triangles");
      throw InputError(name, detail::describeReadFailure(why, lowerExtension(file)));
    }
    std::uint64_t triangles = 0;
    for (unsigned i = 0; i < scene->mNumMeshes; ++i) triangles += scene->mMeshes[i]->mNumFaces;
    if (triangles > limits.maxTriangles) {
      throw InputError(name, std::to_string(triangles) + " faces, over the limit of " +
                                 std::to_string(limits.maxTriangles));
    }
    report.sourceMeshes = scene->mNumMeshes;
    const aiImporterDesc* desc =
        importer.GetImporterInfo(importer.GetImporterIndex(lowerExtension(file).c_str()));
    if (desc) report.format = desc->mName;
    mesh.faces.reserve(triangles);
    SceneFlattener flattener(*scene, name, mesh, report);
    flattener.run();
    flattener.keepObjects();
  } catch (const std::bad_alloc&) {
    throw OutOfMemoryError(name + ": out of memory while reading the mesh");
  }
  if (mesh.faces.empty()) throw InputError(name, "the file holds no triangles");

  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    const Triangle& t = mesh.faces[f];
    if (t[0] == t[1] || t[1] == t[2] || t[0] == t[2] || mesh.faceArea(f) <= 0.0)
      ++report.degenerateFaces;
  }
  if (report.degenerateFaces == mesh.faces.size()) {
    throw InputError(name, "every triangle is degenerate (zero area)");
  }
  if (reportOut) *reportOut = report;
  return mesh;
}

Segmentation objectParts(const Mesh& mesh, const ImportReport& report) {
  Segmentation parts;
  if (report.objectNames.empty() || report.faceObjects.size() != mesh.faces.size()) return parts;
  parts.faceLabels = report.faceObjects;
  refreshParts(mesh, parts);
  for (std::size_t k = 0; k < parts.parts.size() && k < report.objectNames.size(); ++k)
    parts.parts[k].name = report.objectNames[k];
  return parts;
}

const std::vector<std::string>& exportExtensions() {
  static const std::vector<std::string> exts = {"glb", "obj", "ply"};
  return exts;
}

namespace {

std::string partName(const PartMesh& part) {
  return part.name.empty() ? "part_" + std::to_string(part.label) : part.name;
}

template <class T>
void putRaw(std::string& buf, const T& value) {
  buf.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// glTF 2.0 binary through Assimp's exporter: under the root, one node, mesh
// and material (the part's colour) per part, each named after the part.
void writeGlb(std::ostream& out, const std::vector<PartMesh>& parts, const fs::path& file) {
  std::vector<const PartMesh*> shown;
  for (const PartMesh& part : parts)
    if (!part.mesh.faces.empty()) shown.push_back(&part);
  aiScene scene;  // owns (and deletes) everything below
  scene.mRootNode = new aiNode("parts");
  const unsigned n = static_cast<unsigned>(shown.size());
  if (n > 0) {
    scene.mNumMeshes = scene.mNumMaterials = scene.mRootNode->mNumChildren = n;
    scene.mMeshes = new aiMesh*[n];
    scene.mMaterials = new aiMaterial*[n];
    scene.mRootNode->mChildren = new aiNode*[n];
  }
  for (unsigned k = 0; k < n; ++k) {
    const PartMesh& part = *shown[k];
    const aiString name(partName(part));
    auto* mesh = new aiMesh();
    scene.mMeshes[k] = mesh;
    mesh->mName = name;
    mesh->mMaterialIndex = k;
    mesh->mPrimitiveTypes = aiPrimitiveType_TRIANGLE;
    mesh->mNumVertices = static_cast<unsigned>(part.mesh.vertices.size());
    mesh->mVertices = new aiVector3D[mesh->mNumVertices];
    for (unsigned i = 0; i < mesh->mNumVertices; ++i) {
      const Vec3& v = part.mesh.vertices[i];
      mesh->mVertices[i] = aiVector3D(v.x, v.y, v.z);
    }
    mesh->mNumFaces = static_cast<unsigned>(part.mesh.faces.size());
    mesh->mFaces = new aiFace[mesh->mNumFaces];
    for (unsigned f = 0; f < mesh->mNumFaces; ++f) {
      aiFace& face = mesh->mFaces[f];
      face.mNumIndices = 3;
      face.mIndices = new unsigned[3];
      for (int i = 0; i < 3; ++i) face.mIndices[i] = part.mesh.faces[f][i];
    }
    auto* material = new aiMaterial();
    scene.mMaterials[k] = material;
    const auto c = partColor(part.label);
    const aiColor4D color(c[0], c[1], c[2], 1.0f);
    const float metallic = 0.0f, roughness = 0.8f;
    material->AddProperty(&name, AI_MATKEY_NAME);
    material->AddProperty(&color, 1, AI_MATKEY_BASE_COLOR);
    material->AddProperty(&metallic, 1, AI_MATKEY_METALLIC_FACTOR);
    material->AddProperty(&roughness, 1, AI_MATKEY_ROUGHNESS_FACTOR);
    auto* node = new aiNode(partName(part));
    scene.mRootNode->mChildren[k] = node;
    node->mParent = scene.mRootNode;
    node->mNumMeshes = 1;
    node->mMeshes = new unsigned[1]{k};
  }
  Assimp::Exporter exporter;
  const aiExportDataBlob* blob = exporter.ExportToBlob(&scene, "glb2");
  if (!blob)
    throw OutputError(file.string(), std::string("glTF export: ") + exporter.GetErrorString());
  out.write(static_cast<const char*>(blob->data), static_cast<std::streamsize>(blob->size));
}

// Ours, not Assimp's: its OBJ exporter always writes a second file (the .mtl
// its `mtllib` names), which an export written atomically as one file cannot be.
void writeObj(std::ostream& out, const std::vector<PartMesh>& parts) {
  out << "# h3dpart\n";
  std::size_t base = 1;
  char line[128];
  for (const PartMesh& part : parts) {
    if (part.mesh.faces.empty()) continue;
    out << "o " << partName(part) << "\ng " << partName(part) << "\n";
    for (const Vec3& v : part.mesh.vertices) {
      const int n = std::snprintf(line, sizeof line, "v %.7g %.7g %.7g\n", v.x, v.y, v.z);
      out.write(line, n);
    }
    for (const Triangle& t : part.mesh.faces) {
      const int n = std::snprintf(line, sizeof line, "f %zu %zu %zu\n", t[0] + base, t[1] + base,
                                  t[2] + base);
      out.write(line, n);
    }
    base += part.mesh.vertices.size();
  }
}

// Binary PLY, one mesh; each vertex carries its part's colour and a face
// property names the part (Assimp's PLY exporter writes no face property).
void writePly(std::ostream& out, const std::vector<PartMesh>& parts) {
  std::size_t nv = 0, nf = 0;
  for (const PartMesh& p : parts) nv += p.mesh.vertices.size(), nf += p.mesh.faces.size();
  out << "ply\nformat binary_little_endian 1.0\ncomment h3dpart\n"
      << "element vertex " << nv << "\nproperty float x\nproperty float y\nproperty float z\n"
      << "property uchar red\nproperty uchar green\nproperty uchar blue\n"
      << "element face " << nf
      << "\nproperty list uchar uint vertex_indices\nproperty int part\nend_header\n";
  std::string buf;
  for (const PartMesh& p : parts) {
    const auto c = partColor(p.label);
    const unsigned char rgb[3] = {static_cast<unsigned char>(c[0] * 255),
                                  static_cast<unsigned char>(c[1] * 255),
                                  static_cast<unsigned char>(c[2] * 255)};
    for (const Vec3& v : p.mesh.vertices) {
      putRaw(buf, v.x), putRaw(buf, v.y), putRaw(buf, v.z);
      buf.append(reinterpret_cast<const char*>(rgb), 3);
    }
  }
  std::uint32_t base = 0;
  for (const PartMesh& p : parts) {
    for (const Triangle& t : p.mesh.faces) {
      buf.push_back(3);
      for (std::uint32_t i : t) putRaw(buf, i + base);
      putRaw(buf, static_cast<std::int32_t>(p.label));
    }
    base += p.mesh.vertices.size();
  }
  out.write(buf.data(), buf.size());
}

}  // namespace

void exportParts(OutputTransaction& outputs, const fs::path& file,
                 const std::vector<PartMesh>& parts) {
  const std::string ext = lowerExtension(file);
  std::function<void(std::ostream&)> writer;
  if (ext == "glb") {
    writer = [&](std::ostream& o) { writeGlb(o, parts, file); };
  } else if (ext == "obj") {
    writer = [&](std::ostream& o) { writeObj(o, parts); };
  } else if (ext == "ply") {
    writer = [&](std::ostream& o) { writePly(o, parts); };
  } else {
    throw OutputError(file.string(),
                      "unsupported export type '." + ext + "' (use .glb, .obj or .ply)");
  }
  outputs.stage(file, writer);
}

void exportParts(const fs::path& file, const std::vector<PartMesh>& parts) {
  OutputTransaction outputs;
  exportParts(outputs, file, parts);
  outputs.commit();
}

void exportMesh(const fs::path& file, const Mesh& mesh) {
  exportParts(file, {PartMesh{0, "part_0", mesh}});
}

}  // namespace h3d
