#include "h3dpart/samples.h"

#include <cstdlib>

namespace h3d {
namespace fs = std::filesystem;

fs::path executableDir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}

fs::path defaultSamplesDir() {
  if (const char* env = std::getenv("H3DPART_SAMPLES"); env && *env) return env;
  std::error_code ec;
  const fs::path installed = executableDir() / ".." / "share" / "h3dpart" / "samples";
  const fs::path resolved = fs::weakly_canonical(installed, ec);
  return ec ? installed : resolved;
}

fs::path defaultSampleMesh() {
  return defaultSamplesDir() / "table.glb";
}

}  // namespace h3d
