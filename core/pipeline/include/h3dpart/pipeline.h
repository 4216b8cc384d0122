#pragma once
// The two jobs of the product: segment a mesh into parts, and generate a
// complete closed mesh per part. The host owns everything outside the
// networks (normalisation, sampling, labels, marching); the networks come
// from the model manager.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "h3dpart/mesh.h"
#include "h3dpart/progress.h"
#include "h3dpart/segmentation.h"

namespace h3d {

class ModelManager;

struct SegmentOptions {
  std::uint64_t seed = 0;
  bool postprocess = true;             // merge tiny parts, clean labels by connectivity
  int samplePoints = 20000;            // surface samples sent to the segmenter
  double minPartAreaFraction = 0.004;  // parts smaller than this share of the area merge away
};

// Segments the whole mesh automatically.
Segmentation segment(const Mesh& mesh, ModelManager& models, const SegmentOptions& options,
                     Progress& progress);

// "The part under this point": the faces of the part containing the surface
// point nearest to `prompt` (input coordinates). Returns one flag per face.
std::vector<bool> segmentPrompt(const Mesh& mesh, const Vec3& prompt, ModelManager& models,
                                const SegmentOptions& options, Progress& progress);

// The same for several points in one segmenter run: one flag vector per prompt.
std::vector<std::vector<bool>> segmentPrompts(const Mesh& mesh, const std::vector<Vec3>& prompts,
                                              ModelManager& models, const SegmentOptions& options,
                                              Progress& progress);

struct GenerateOptions {
  std::uint64_t seed = 0;
  int resolution = 64;         // field path: grid cells along the longest side of a part's box
  std::vector<int> onlyParts;  // empty = all parts
  int samplePoints = 30000;    // surface samples sent to the generator
  // Triangles per part at most; 0 = automatic (1.5x the part's input
  // triangles plus its caps, at least 500).
  std::size_t maxTriangles = 0;
  // Keep a part's own input triangles (closed by caps) when they form an
  // oriented surface with simple borders and its box is not edited; false
  // always asks the generator's field.
  bool keepVisibleSurface = true;
};

GeneratedParts generate(const Mesh& mesh, const Segmentation& segmentation, ModelManager& models,
                        const GenerateOptions& options, Progress& progress);

}  // namespace h3d
