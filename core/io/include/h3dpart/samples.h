#pragma once
// Where the bundled sample meshes are: $H3DPART_SAMPLES, else next to the
// executable (../share/h3dpart/samples; the build tree links that to the
// source tree's resources/samples).
#include <filesystem>

namespace h3d {

std::filesystem::path defaultSamplesDir();
std::filesystem::path defaultSampleMesh();  // the mesh the first-run demo opens
std::filesystem::path executableDir();

}  // namespace h3d
