#pragma once
// Checks on a mesh file before and while Assimp reads it: files it refers to
// stay inside its folder, embedded data stays within a size limit, counts a
// header declares fit the file's size. Each failure is an InputError naming
// the file.
#include <assimp/DefaultIOSystem.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace h3d::detail {

// An Assimp file system that opens only files inside one folder (the mesh's
// own); the first refused path is kept so the error can name it.
class ConfinedIOSystem : public Assimp::DefaultIOSystem {
 public:
  explicit ConfinedIOSystem(const std::filesystem::path& meshFile);
  Assimp::IOStream* Open(const char* file, const char* mode = "rb") override;
  bool Exists(const char* file) const override;
  const std::string& refused() const { return refused_; }

 private:
  bool inside(const char* file) const;
  std::filesystem::path folder_;
  mutable std::string refused_;
};

// glTF (.gltf, .glb): buffer and image URIs must be relative paths that stay
// in the file's folder; data: URIs at most maxDataUriBytes long.
void checkGltfReferences(const std::filesystem::path& file, std::uint64_t maxDataUriBytes);

// OFF and PLY: the vertex and face counts of the header must fit the file.
void checkDeclaredCounts(const std::filesystem::path& file, const std::string& extension,
                         std::uint64_t fileBytes);

// Assimp's message for a file it could not read, made short and in our words.
std::string describeReadFailure(const std::string& assimpMessage, const std::string& extension);

}  // namespace h3d::detail
