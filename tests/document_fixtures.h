#pragma once
// A small segmented document shared by the document, project file and
// recovery tests: an 8 x 4 grid of unit squares (two triangles each, 64
// faces) in three parts:
//   part_0: columns 0-2 (all rows)      boundary with part_1: 3, with part_2: 1
//   part_1: columns 3-7, rows 0-2       boundary with part_2: 5
//   part_2: columns 3-7, row 3
#include <memory>

#include "h3dpart/document.h"

namespace fixtures {

inline constexpr int kColumns = 8, kRows = 4;

// The two faces of grid cell (column, row).
inline std::uint32_t cellFace(int column, int row, int half = 0) {
  return static_cast<std::uint32_t>((row * kColumns + column) * 2 + half);
}

inline h3d::Mesh gridMesh() {
  h3d::Mesh m;
  for (int y = 0; y <= kRows; ++y)
    for (int x = 0; x <= kColumns; ++x)
      m.vertices.push_back({float(x), float(y), 0.25f * float(x % 2)});
  auto v = [](int x, int y) { return static_cast<std::uint32_t>(y * (kColumns + 1) + x); };
  for (int y = 0; y < kRows; ++y)
    for (int x = 0; x < kColumns; ++x) {
      m.faces.push_back({v(x, y), v(x + 1, y), v(x + 1, y + 1)});
      m.faces.push_back({v(x, y), v(x + 1, y + 1), v(x, y + 1)});
    }
  return m;
}

inline int cellPart(int column, int row) {
  if (column < 3) return 0;
  return row < 3 ? 1 : 2;
}

inline h3d::Segmentation gridSegmentation() {
  h3d::Segmentation s;
  s.faceLabels.resize(kColumns * kRows * 2);
  for (int y = 0; y < kRows; ++y)
    for (int x = 0; x < kColumns; ++x)
      for (int h = 0; h < 2; ++h) s.faceLabels[cellFace(x, y, h)] = cellPart(x, y);
  for (int k = 0; k < 3; ++k) {
    h3d::PartInfo p;
    p.label = k;
    p.name = "part_" + std::to_string(k);
    s.parts.push_back(p);
  }
  return s;
}

// A closed tetrahedron moved by `offset`: stands in for a generated part.
inline h3d::Mesh tetra(float offset) {
  h3d::Mesh m;
  m.vertices = {{offset, 0, 0}, {offset + 1, 0, 0}, {offset, 1, 0}, {offset, 0, 1}};
  m.faces = {{0, 2, 1}, {0, 1, 3}, {0, 3, 2}, {1, 2, 3}};
  return m;
}

inline h3d::GeneratedParts generatedFor(std::initializer_list<int> parts, float offset = 0) {
  h3d::GeneratedParts g;
  for (int k : parts) g.parts.push_back({k, "part_" + std::to_string(k), tetra(offset + float(k))});
  return g;
}

// The segmented grid with every part generated, one part hidden and one box
// edited; options and models set.
inline h3d::PartDocument segmentedDocument(const std::string& sourcePath = "grid.obj") {
  h3d::PartDocument doc(std::make_shared<const h3d::Mesh>(gridMesh()), sourcePath);
  h3d::SetSegmentationCommand(gridSegmentation()).redo(doc);
  h3d::SetGeneratedCommand(generatedFor({0, 1, 2})).redo(doc);
  h3d::SetVisibilityCommand({2}, false).redo(doc);
  h3d::Box3 box;
  box.add({-0.5f, -0.5f, -0.5f});
  box.add({3.25f, 4.5f, 0.75f});
  h3d::EditBoxCommand(0, box).redo(doc);
  doc.setOptions({1234567890123ull, 96, false});
  doc.setModels({{"p3sam-lite", std::string(64, 'a')}, {"xpart-lite", std::string(64, 'b')}});
  return doc;
}

}  // namespace fixtures
