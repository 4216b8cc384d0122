#include "h3dpart/segmentation.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <unordered_map>

namespace h3d {

void refreshParts(const Mesh& mesh, Segmentation& segmentation) {
  int maxLabel = -1;
  for (int l : segmentation.faceLabels) maxLabel = std::max(maxLabel, l);
  std::vector<PartInfo> parts(static_cast<std::size_t>(maxLabel + 1));
  for (std::size_t k = 0; k < parts.size(); ++k) {
    parts[k].label = static_cast<int>(k);
    parts[k].name = "part_" + std::to_string(k);
    if (k < segmentation.parts.size()) parts[k].confidence = segmentation.parts[k].confidence;
  }
  for (std::size_t f = 0; f < segmentation.faceLabels.size() && f < mesh.faces.size(); ++f) {
    const int l = segmentation.faceLabels[f];
    if (l < 0) continue;
    auto& p = parts[static_cast<std::size_t>(l)];
    ++p.faceCount;
    for (auto v : mesh.faces[f]) p.box.add(mesh.vertices[v]);
  }
  segmentation.parts = std::move(parts);
}

std::vector<PartMesh> cutByLabels(const Mesh& mesh, const Segmentation& segmentation) {
  std::vector<PartMesh> out;
  for (const auto& part : segmentation.parts) {
    PartMesh pm;
    pm.label = part.label;
    pm.name = part.name.empty() ? "part_" + std::to_string(part.label) : part.name;
    std::unordered_map<std::uint32_t, std::uint32_t> remap;
    for (std::size_t f = 0; f < mesh.faces.size() && f < segmentation.faceLabels.size(); ++f) {
      if (segmentation.faceLabels[f] != part.label) continue;
      Triangle t{};
      for (int c = 0; c < 3; ++c) {
        const std::uint32_t v = mesh.faces[f][c];
        auto [it, inserted] =
            remap.try_emplace(v, static_cast<std::uint32_t>(pm.mesh.vertices.size()));
        if (inserted) pm.mesh.vertices.push_back(mesh.vertices[v]);
        t[c] = it->second;
      }
      pm.mesh.faces.push_back(t);
    }
    if (!pm.mesh.faces.empty()) out.push_back(std::move(pm));
  }
  return out;
}

std::array<float, 3> partColor(int index) {
  // Golden-ratio hue steps give neighbouring indices well separated colours.
  const double hue = std::fmod(0.08 + index * 0.618033988749895, 1.0);
  const double s = index % 2 ? 0.55 : 0.70, v = index % 3 == 1 ? 0.80 : 0.92;
  const double h6 = hue * 6.0;
  const int sector = static_cast<int>(h6) % 6;
  const double f = h6 - std::floor(h6);
  const double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  double r = v, g = t, b = p;
  switch (sector) {
    case 1:
      r = q, g = v, b = p;
      break;
    case 2:
      r = p, g = v, b = t;
      break;
    case 3:
      r = p, g = q, b = v;
      break;
    case 4:
      r = t, g = p, b = v;
      break;
    case 5:
      r = v, g = p, b = q;
      break;
    default:
      break;
  }
  return {static_cast<float>(r), static_cast<float>(g), static_cast<float>(b)};
}

}  // namespace h3d
