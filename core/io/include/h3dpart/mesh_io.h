#pragma once
// Mesh import and export through Assimp. Import flattens the scene graph with
// node transforms applied, triangulates, joins duplicate vertices and keeps
// the face order: face i of the result is triangle i of the imported,
// triangulated file. Errors: InputError / OutputError naming the file.
#include <filesystem>
#include <string>
#include <vector>

#include "h3dpart/atomic_file.h"
#include "h3dpart/mesh.h"
#include "h3dpart/progress.h"
#include "h3dpart/segmentation.h"

namespace h3d {

struct ImportReport {
  std::size_t sourceMeshes = 0;       // meshes in the file's scene
  std::size_t joinedVertices = 0;     // duplicates merged
  std::size_t degenerateFaces = 0;    // zero-area triangles (kept, so the order holds)
  std::size_t droppedPrimitives = 0;  // points and lines, which are not surfaces
  std::string format;                 // Assimp's name for the format
  // The file's objects (scene nodes holding triangles), when it has two to
  // kMaxFileObjects of them, as an exported parts file does: each one's name
  // and the object of every face. Empty otherwise.
  std::vector<std::string> objectNames;
  std::vector<int> faceObjects;
};

// More objects than this are a scene's pieces, not parts: none are kept.
inline constexpr std::size_t kMaxFileObjects = 256;

struct ImportLimits {
  std::uint64_t maxFileBytes = 4ull << 30;       // refuse larger files
  std::uint64_t maxTriangles = 50'000'000;       // refuse larger meshes
  std::uint64_t maxDataUriBytes = 256ull << 20;  // glTF embedded (data:) buffers and images
};

// The file extensions import accepts (lowercase, without dot).
const std::vector<std::string>& importExtensions();
bool canImport(const std::filesystem::path& file);

Mesh importMesh(const std::filesystem::path& file, ImportReport* report = nullptr,
                const ImportLimits& limits = {});

// The imported file's objects as parts of `mesh` (named after the objects),
// or an empty segmentation when the report holds no objects.
Segmentation objectParts(const Mesh& mesh, const ImportReport& report);

// Export formats chosen by extension: .glb (one node per part, "part_<k>",
// a distinct material colour each), .obj (one group per part), .ply (one
// mesh, per-vertex part colour). Written to a temporary file, then renamed:
// never a half-written output.
void exportParts(const std::filesystem::path& file, const std::vector<PartMesh>& parts);
// The same, staged in `outputs`: it appears when the transaction commits.
void exportParts(OutputTransaction& outputs, const std::filesystem::path& file,
                 const std::vector<PartMesh>& parts);
void exportMesh(const std::filesystem::path& file, const Mesh& mesh);
const std::vector<std::string>& exportExtensions();

}  // namespace h3d
