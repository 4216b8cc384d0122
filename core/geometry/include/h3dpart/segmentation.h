#pragma once
// A segmentation of a mesh: one part label per face, and what each part is
// (name, box, score), and the parts generated from it. Plain data shared by the pipeline, the
// document and the file formats; the segmenter that produces it lives in core/pipeline.
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "h3dpart/mesh.h"

namespace h3d {

struct PartInfo {
  int label = 0;           // index into Segmentation::parts
  std::string name;        // "part_<k>"
  Box3 box;                // axis-aligned box of the part's faces, input coordinates
  float confidence = 0.f;  // the segmenter's score for this part, 0..1
  std::size_t faceCount = 0;
};

struct Segmentation {
  std::vector<int> faceLabels;  // one per input triangle, -1 = unassigned
  std::vector<PartInfo> parts;
  int partCount() const { return static_cast<int>(parts.size()); }
};

// Generated parts: one closed mesh per part.
struct GeneratedParts {
  std::vector<PartMesh> parts;  // closed meshes, input coordinates
};

// Recomputes boxes, face counts and names from faceLabels (after edits).
void refreshParts(const Mesh& mesh, Segmentation& segmentation);

// The input mesh cut by labels: one open mesh per part (the naive baseline, and
// what "segment -o" exports).
std::vector<PartMesh> cutByLabels(const Mesh& mesh, const Segmentation& segmentation);

// A distinct colour per part index (RGB 0..1), shared by export, document and
// viewer.
std::array<float, 3> partColor(int index);

}  // namespace h3d
