// Segmentation pipeline: normalise, sample, run the segmenter, turn point
// masks into face labels, clean the labels by connectivity, merge tiny parts.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <unordered_map>

#include "h3dpart/errors.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/normalize.h"
#include "h3dpart/pipeline.h"
#include "h3dpart/sampling.h"
#include "h3dpart/tensor.h"
#include "h3dpart/union_find.h"
#include "pipeline_detail.h"

namespace h3d {
namespace detail {

double signedVolume6(const Mesh& mesh) {
  double v = 0;
  for (const auto& t : mesh.faces) {
    const Vec3& a = mesh.vertices[t[0]];
    const Vec3& b = mesh.vertices[t[1]];
    const Vec3& c = mesh.vertices[t[2]];
    v += static_cast<double>(dot(a, cross(b, c)));
  }
  return v;
}

SurfaceSamples orientedSamples(const Mesh& normalizedMesh, std::size_t count, std::uint64_t seed) {
  SurfaceSamples s = sampleSurface(normalizedMesh, count, seed);
  if (signedVolume6(normalizedMesh) < 0)
    for (auto& n : s.normals) n = n * -1.f;
  return s;
}

PointGrid::PointGrid(const std::vector<Vec3>& points, float targetPerCell) : points_(points) {
  if (points.empty()) return;
  Box3 box;
  for (const auto& p : points) box.add(p);
  lo_ = box.lo;
  const Vec3 size = box.size();
  const float extent = std::max({size.x, size.y, size.z, 1e-6f});
  // a surface in a cube: cells of this size hold about targetPerCell points
  cell_ = extent / std::max(1.f, std::sqrt(static_cast<float>(points.size()) / targetPerCell));
  for (int a = 0; a < 3; ++a) dims_[a] = std::max(1, static_cast<int>(size[a] / cell_) + 1);
  while (static_cast<double>(dims_[0]) * dims_[1] * dims_[2] > 8e6) {
    cell_ *= 1.5f;
    for (int a = 0; a < 3; ++a) dims_[a] = std::max(1, static_cast<int>(size[a] / cell_) + 1);
  }
  const std::size_t cells = static_cast<std::size_t>(dims_[0]) * dims_[1] * dims_[2];
  std::vector<std::uint32_t> cellOfPoint(points.size());
  start_.assign(cells + 1, 0);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::size_t c = static_cast<std::size_t>(cellOf(points[i].x, 0)) +
                          dims_[0] * (static_cast<std::size_t>(cellOf(points[i].y, 1)) +
                                      dims_[1] * static_cast<std::size_t>(cellOf(points[i].z, 2)));
    cellOfPoint[i] = static_cast<std::uint32_t>(c);
    ++start_[c + 1];
  }
  std::partial_sum(start_.begin(), start_.end(), start_.begin());
  order_.resize(points.size());
  std::vector<std::uint32_t> fill(start_.begin(), start_.end() - 1);
  for (std::size_t i = 0; i < points.size(); ++i)
    order_[fill[cellOfPoint[i]]++] = static_cast<std::uint32_t>(i);
}

long PointGrid::cellOf(float v, int axis) const {
  const long c = static_cast<long>(std::floor((v - lo_[axis]) / cell_));
  return std::clamp(c, 0L, static_cast<long>(dims_[axis] - 1));
}

std::size_t PointGrid::nearest(const Vec3& q) const {
  if (points_.empty()) return std::numeric_limits<std::size_t>::max();
  const long ci = cellOf(q.x, 0), cj = cellOf(q.y, 1), ck = cellOf(q.z, 2);
  std::size_t best = std::numeric_limits<std::size_t>::max();
  float bestD = std::numeric_limits<float>::infinity();
  const long maxRing = std::max({dims_[0], dims_[1], dims_[2]});
  for (long r = 0; r <= maxRing; ++r) {
    // every point outside rings 0..r-1 is at least (r - 1) cells away from q's cell border
    if (best != std::numeric_limits<std::size_t>::max()) {
      const float ringDist = static_cast<float>(r - 1) * cell_;
      if (ringDist > 0 && ringDist * ringDist > bestD) break;
    }
    for (long k = ck - r; k <= ck + r; ++k) {
      if (k < 0 || k >= dims_[2]) continue;
      for (long j = cj - r; j <= cj + r; ++j) {
        if (j < 0 || j >= dims_[1]) continue;
        for (long i = ci - r; i <= ci + r; ++i) {
          if (i < 0 || i >= dims_[0]) continue;
          if (std::max({std::labs(i - ci), std::labs(j - cj), std::labs(k - ck)}) != r) continue;
          const std::size_t c =
              static_cast<std::size_t>(i) +
              dims_[0] * (static_cast<std::size_t>(j) + dims_[1] * static_cast<std::size_t>(k));
          for (std::uint32_t s = start_[c]; s < start_[c + 1]; ++s) {
            const Vec3 d = points_[order_[s]] - q;
            const float dd = dot(d, d);
            if (dd < bestD) {
              bestD = dd;
              best = order_[s];
            }
          }
        }
      }
    }
  }
  return best;
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> faceAdjacency(const Mesh& mesh) {
  // Every face edge (a < b, vertex indices) with its face, in the order of
  // (a, b, face): bucketed by a (a counting sort), each bucket (a vertex's
  // few edges) sorted by (b, face).
  const std::size_t nv = mesh.vertices.size();
  std::vector<std::uint32_t> start(nv + 1, 0);
  for (const auto& t : mesh.faces)
    for (int e = 0; e < 3; ++e) {
      const std::uint32_t a = std::min(t[e], t[(e + 1) % 3]);
      if (a != std::max(t[e], t[(e + 1) % 3])) ++start[a + 1];
    }
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges(start.back());  // (b, face)
  std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    const auto& t = mesh.faces[f];
    for (int e = 0; e < 3; ++e) {
      const std::uint32_t a = std::min(t[e], t[(e + 1) % 3]);
      const std::uint32_t b = std::max(t[e], t[(e + 1) % 3]);
      if (a != b) edges[fill[a]++] = {b, static_cast<std::uint32_t>(f)};
    }
  }
  std::vector<std::pair<std::uint32_t, std::uint32_t>> adj;
  adj.reserve(edges.size() / 2 + 1);
  for (std::size_t a = 0; a < nv; ++a) {
    const auto first = edges.begin() + start[a], last = edges.begin() + start[a + 1];
    std::sort(first, last);
    for (auto i = first; i != last;) {
      auto j = i + 1;
      while (j != last && j->first == i->first) ++j;
      // a manifold edge has two faces; a non-manifold one links its faces in a chain
      for (auto q = i + 1; q != j; ++q)
        if ((q - 1)->second != q->second) adj.emplace_back((q - 1)->second, q->second);
      i = j;
    }
  }
  return adj;
}

namespace {

Tensor toTensor(const std::vector<Vec3>& v) {
  static_assert(sizeof(Vec3) == 3 * sizeof(float));
  Tensor t = Tensor::make(DType::Float32, {static_cast<std::int64_t>(v.size()), 3});
  if (!v.empty()) std::memcpy(t.raw(), v.data(), t.bytes());
  return t;
}

struct MaskResult {
  SurfaceSamples samples;
  std::vector<int> pointLabels;  // per sample, index into scores
  std::vector<float> scores;
  std::vector<std::vector<float>> promptMasks;  // mask row p for prompt p
};

// Normalises, samples and runs the segmenter; prompts in input coordinates.
MaskResult runSegmenter(const Mesh& mesh, const std::vector<Vec3>& prompts, ModelManager& models,
                        const SegmentOptions& options, Progress& progress) {
  if (mesh.faces.empty()) throw InputError("mesh", "no faces to segment");
  if (options.samplePoints < 16) throw UsageError("segment: samplePoints must be at least 16");
  // Sampling first: a runner started ahead (ModelManager::prestart) loads
  // LibTorch meanwhile.
  progress.stage("sampling");
  MaskResult result;
  std::vector<Vec3> normPrompts;
  {
    const Normalization norm = Normalization::fit(mesh.bounds());
    Mesh normalized = mesh;
    norm.applyInPlace(normalized);
    result.samples = detail::orientedSamples(
        normalized, static_cast<std::size_t>(options.samplePoints), options.seed);
    if (result.samples.size() == 0) throw InputError("mesh", "the surface has no area to sample");
    for (const auto& p : prompts) normPrompts.push_back(norm.apply(p));
  }
  progress.report(1.0);
  progress.checkCancel();

  progress.stage("loading segmenter");
  ModelHandle handle = models.acquire(ModelRole::Segmenter, progress.cancelFlag());
  const auto& manifest = handle.manifest();
  if (manifest.stages.empty() || manifest.components.empty())
    throw ModelError("model package " + manifest.name + ": manifest.json: stages: none declared");
  handle.enterStage(manifest.stages.front().name);
  const std::string componentName = manifest.stages.front().components.empty()
                                        ? manifest.components.front().name
                                        : manifest.stages.front().components.front();
  progress.checkCancel();

  progress.stage("inference");
  const std::vector<Tensor> out = handle.run(
      componentName,
      {toTensor(result.samples.points), toTensor(result.samples.normals), toTensor(normPrompts)},
      progress.cancelFlag());
  if (out.size() < 2)
    throw ModelError("model package " + manifest.name +
                     ": segmenter: output is not (masks, scores)");
  const Tensor& masks = out[0];
  const Tensor& scores = out[1];
  const long n = static_cast<long>(result.samples.size());
  if (masks.dim() != 2 || masks.size(1) != n || masks.size(0) < 1 || scores.dim() != 1 ||
      scores.size(0) != masks.size(0) || masks.dtype() != DType::Float32 ||
      scores.dtype() != DType::Float32)
    throw ModelError("model package " + manifest.name +
                     ": segmenter: masks/scores have the wrong shape");
  progress.report(1.0);
  handle.release();

  // The best mask of each point (the first of equal ones, as argmax).
  const long k = static_cast<long>(masks.size(0));
  const float* mp = masks.data<float>();
  result.pointLabels.assign(static_cast<std::size_t>(n), 0);
  std::vector<float> best(mp, mp + n);
  for (long r = 1; r < k; ++r) {
    const float* row = mp + r * n;
    for (long i = 0; i < n; ++i)
      if (row[i] > best[static_cast<std::size_t>(i)]) {
        best[static_cast<std::size_t>(i)] = row[i];
        result.pointLabels[static_cast<std::size_t>(i)] = static_cast<int>(r);
      }
  }
  const float* sp = scores.data<float>();
  result.scores.assign(sp, sp + k);
  if (!prompts.empty() && k < static_cast<long>(prompts.size()))
    throw ModelError("model package " + manifest.name +
                     ": segmenter: fewer masks than prompt points");
  for (std::size_t p = 0; p < prompts.size(); ++p) {
    const float* row = mp + static_cast<long>(p) * n;
    result.promptMasks.emplace_back(row, row + n);
  }
  return result;
}

// Face labels from sample labels: the votes of the samples lying on a face,
// else the label of the sample nearest to the face's centroid.
std::vector<int> faceLabelsFromSamples(const Mesh& normalized, const SurfaceSamples& samples,
                                       const std::vector<int>& pointLabels, Progress& progress) {
  const std::size_t nf = normalized.faces.size();
  std::vector<int> labels(nf, -1);
  std::unordered_map<std::uint64_t, int> votes;  // (face, label) -> count
  std::vector<int> bestCount(nf, 0);
  for (std::size_t s = 0; s < samples.size(); ++s) {
    const std::uint32_t f = samples.faces[s];
    const int l = pointLabels[s];
    const int c = ++votes[(static_cast<std::uint64_t>(f) << 20) ^ static_cast<std::uint64_t>(l)];
    if (c > bestCount[f] || (c == bestCount[f] && l < labels[f])) {
      bestCount[f] = c;
      labels[f] = l;
    }
  }
  detail::PointGrid grid(samples.points);
  for (std::size_t f = 0; f < nf; ++f) {
    if (labels[f] >= 0) continue;
    if ((f & 4095) == 0) progress.checkCancel();
    labels[f] = pointLabels[grid.nearest(normalized.faceCentroid(f))];
  }
  return labels;
}

// Keeps the largest face-connected piece of every label and merges the other
// pieces, and labels below minFraction of the area, into the neighbour they
// share the most edges with. Labels are renumbered 0..K-1 by first face.
void cleanLabels(const Mesh& mesh, std::vector<int>& labels, double minFraction,
                 Progress& progress) {
  const std::size_t nf = mesh.faces.size();
  const auto adj = detail::faceAdjacency(mesh);
  std::vector<double> area(nf);
  double total = 0;
  for (std::size_t f = 0; f < nf; ++f) total += area[f] = mesh.faceArea(f);
  for (int round = 0; round < 6; ++round) {
    progress.checkCancel();
    UnionFind uf(nf);
    for (const auto& [a, b] : adj)
      if (labels[a] == labels[b]) uf.unite(a, b);
    std::unordered_map<std::uint32_t, double> pieceArea;
    std::map<int, double> labelArea;
    for (std::size_t f = 0; f < nf; ++f) {
      pieceArea[uf.find(static_cast<std::uint32_t>(f))] += area[f];
      labelArea[labels[f]] += area[f];
    }
    std::map<int, std::pair<double, std::uint32_t>> mainPiece;  // label -> (area, root)
    for (const auto& [root, a] : pieceArea) {
      auto& m = mainPiece[labels[root]];
      if (a > m.first || (a == m.first && root < m.second)) m = {a, root};
    }
    // the smallest label below the threshold goes first, one per round when labels are small,
    // so two tiny neighbours do not swap into each other
    auto dropped = [&](std::uint32_t root) {
      const int l = labels[root];
      return mainPiece[l].second != root || labelArea[l] < minFraction * total;
    };
    std::unordered_map<std::uint32_t, std::map<int, int>> border;  // dropped root -> label -> edges
    bool any = false;
    for (const auto& [a, b] : adj) {
      const std::uint32_t ra = uf.find(a), rb = uf.find(b);
      if (ra == rb) continue;
      if (dropped(ra) && !dropped(rb)) ++border[ra][labels[rb]];
      if (dropped(rb) && !dropped(ra)) ++border[rb][labels[ra]];
    }
    std::unordered_map<std::uint32_t, int> newLabel;
    for (const auto& [root, counts] : border) {
      int bestL = -1, bestC = -1;
      for (const auto& [l, c] : counts)
        if (c > bestC) {
          bestC = c;
          bestL = l;
        }
      newLabel[root] = bestL;
      any = true;
    }
    if (!any) break;
    for (std::size_t f = 0; f < nf; ++f) {
      auto it = newLabel.find(uf.find(static_cast<std::uint32_t>(f)));
      if (it != newLabel.end()) labels[f] = it->second;
    }
  }
}

void renumberLabels(std::vector<int>& labels, std::vector<int>* oldOfNew) {
  std::map<int, int> remap;
  for (int l : labels)
    if (l >= 0 && !remap.count(l)) remap.emplace(l, static_cast<int>(remap.size()));
  if (oldOfNew) {
    oldOfNew->assign(remap.size(), -1);
    for (const auto& [o, nw] : remap) (*oldOfNew)[nw] = o;
  }
  for (int& l : labels)
    if (l >= 0) l = remap[l];
}

}  // namespace
}  // namespace detail

Segmentation segment(const Mesh& mesh, ModelManager& models, const SegmentOptions& options,
                     Progress& progress) {
  detail::MaskResult r = detail::runSegmenter(mesh, {}, models, options, progress);
  progress.stage("post-processing");
  const Normalization norm = Normalization::fit(mesh.bounds());
  Mesh normalized = mesh;
  norm.applyInPlace(normalized);
  Segmentation seg;
  seg.faceLabels = detail::faceLabelsFromSamples(normalized, r.samples, r.pointLabels, progress);
  progress.report(0.4);
  const std::vector<int> raw = seg.faceLabels;
  if (options.postprocess)
    detail::cleanLabels(normalized, seg.faceLabels, options.minPartAreaFraction, progress);
  progress.report(0.8);
  std::vector<int> oldOfNew;
  detail::renumberLabels(seg.faceLabels, &oldOfNew);
  refreshParts(mesh, seg);
  // confidence: the score of the segmenter mask that holds most of the part's faces
  std::vector<std::map<int, std::size_t>> share(seg.parts.size());
  for (std::size_t f = 0; f < raw.size(); ++f)
    if (seg.faceLabels[f] >= 0 && raw[f] >= 0) ++share[seg.faceLabels[f]][raw[f]];
  for (std::size_t k = 0; k < seg.parts.size(); ++k) {
    std::size_t bestC = 0;
    int bestL = -1;
    for (const auto& [l, c] : share[k])
      if (c > bestC) {
        bestC = c;
        bestL = l;
      }
    seg.parts[k].confidence = bestL >= 0 && bestL < static_cast<int>(r.scores.size())
                                  ? std::clamp(r.scores[bestL], 0.f, 1.f)
                                  : 0.f;
  }
  progress.report(1.0);
  return seg;
}

std::vector<bool> segmentPrompt(const Mesh& mesh, const Vec3& prompt, ModelManager& models,
                                const SegmentOptions& options, Progress& progress) {
  return segmentPrompts(mesh, {prompt}, models, options, progress).front();
}

std::vector<std::vector<bool>> segmentPrompts(const Mesh& mesh, const std::vector<Vec3>& prompts,
                                              ModelManager& models, const SegmentOptions& options,
                                              Progress& progress) {
  if (prompts.empty()) throw UsageError("segment: no prompt points");
  detail::MaskResult r = detail::runSegmenter(mesh, prompts, models, options, progress);
  progress.stage("post-processing");
  const Normalization norm = Normalization::fit(mesh.bounds());
  Mesh normalized = mesh;
  norm.applyInPlace(normalized);
  std::vector<std::vector<bool>> out;
  std::vector<int> inPart(r.samples.size(), 0);
  for (std::size_t p = 0; p < prompts.size(); ++p) {
    // one mask row per prompt: the samples in the part have mask > 0.5
    for (std::size_t s = 0; s < r.samples.size(); ++s)
      inPart[s] = r.promptMasks[p][s] > 0.5f ? 1 : 0;
    const std::vector<int> labels =
        detail::faceLabelsFromSamples(normalized, r.samples, inPart, progress);
    std::vector<bool> flags(labels.size());
    for (std::size_t f = 0; f < labels.size(); ++f) flags[f] = labels[f] == 1;
    out.push_back(std::move(flags));
    progress.report(static_cast<double>(p + 1) / static_cast<double>(prompts.size()));
  }
  return out;
}

}  // namespace h3d
