#include "h3dpart/sampling.h"

#include <algorithm>
#include <random>

namespace h3d {

SurfaceSamples sampleSurface(const Mesh& mesh, std::size_t count, std::uint64_t seed) {
  SurfaceSamples out;
  if (mesh.faces.empty() || count == 0) return out;

  // Cumulative area table; a sample picks a face by area, then a uniform
  // point inside it (square-root warp of two uniforms).
  std::vector<double> cumulative(mesh.faces.size());
  double total = 0;
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    total += mesh.faceArea(f);
    cumulative[f] = total;
  }
  if (!(total > 0)) return out;

  // mt19937_64 and our own uniform mapping: std::uniform_real_distribution is
  // not specified bit-for-bit, and samples must repeat across toolchains.
  std::mt19937_64 rng(seed);
  auto uniform = [&rng] { return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0); };

  out.points.reserve(count);
  out.normals.reserve(count);
  out.faces.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const double target = uniform() * total;
    auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
    std::size_t f = std::min<std::size_t>(it - cumulative.begin(), mesh.faces.size() - 1);
    const Triangle& t = mesh.faces[f];
    const double r1 = std::sqrt(uniform());
    const double r2 = uniform();
    const float a = static_cast<float>(1.0 - r1);
    const float b = static_cast<float>(r1 * (1.0 - r2));
    const float c = static_cast<float>(r1 * r2);
    out.points.push_back(mesh.vertices[t[0]] * a + mesh.vertices[t[1]] * b +
                         mesh.vertices[t[2]] * c);
    out.normals.push_back(mesh.faceNormal(f));
    out.faces.push_back(static_cast<std::uint32_t>(f));
  }
  return out;
}

}  // namespace h3d
