// Generation pipeline. Per part: when the part's own input triangles form an
// oriented surface with simple borders and its box was not edited, those
// triangles are kept and the borders (where the part met its neighbours) are
// closed by faired caps; otherwise the generator's field on a grid inside the
// part's padded box is marched into a closed mesh. Either way the part then
// fits its triangle budget (quadric edge collapses that keep it closed).

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>

#include "cap_patch.h"
#include "h3dpart/errors.h"
#include "h3dpart/marching.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/normalize.h"
#include "h3dpart/pipeline.h"
#include "h3dpart/simplify.h"
#include "h3dpart/surface_query.h"
#include "h3dpart/tensor.h"
#include "part_caps.h"
#include "pipeline_detail.h"

namespace h3d {
namespace {

constexpr const char* kNothingToGenerate =
    "no closed part could be generated: the parts enclose no volume (a flat or degenerate "
    "mesh); `segment` keeps its faces as they are";

// True when every vertex lies on one plane: such a mesh encloses no volume,
// so no closed part can come of it (found before any model work).
bool isFlat(const Mesh& mesh) {
  const float tolerance = 1e-6f * std::max(mesh.bounds().diagonal(), 1e-30f);
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    const Vec3& a = mesh.vertices[mesh.faces[f][0]];
    const Vec3 n = cross(mesh.vertices[mesh.faces[f][1]] - a, mesh.vertices[mesh.faces[f][2]] - a);
    if (length(n) <= tolerance * tolerance) continue;
    const Vec3 unit = normalized(n);
    for (const Vec3& v : mesh.vertices)
      if (std::fabs(dot(v - a, unit)) > tolerance) return false;
    return true;
  }
  return true;  // every face degenerate
}

Tensor vecTensor(const std::vector<Vec3>& v) {
  static_assert(sizeof(Vec3) == 3 * sizeof(float));
  Tensor t = Tensor::make(DType::Float32, {static_cast<std::int64_t>(v.size()), 3});
  if (!v.empty()) std::memcpy(t.raw(), v.data(), t.bytes());
  return t;
}

// The stage of the generator that matches `wanted`, else the one at `fallback`.
const StageSpec& pickStage(const PackageManifest& m, const std::string& wanted,
                           std::size_t fallback) {
  if (const StageSpec* s = m.stage(wanted)) return *s;
  if (fallback < m.stages.size()) return m.stages[fallback];
  throw ModelError("model package " + m.name + ": manifest.json: stages: no \"" + wanted +
                   "\" stage");
}

const ComponentSpec& stageComponent(const PackageManifest& m, const StageSpec& stage) {
  if (stage.components.empty())
    throw ModelError("model package " + m.name + ": manifest.json: stage " + stage.name +
                     ": no components");
  const ComponentSpec* c = m.component(stage.components.front());
  if (!c)
    throw ModelError("model package " + m.name + ": manifest.json: stage " + stage.name +
                     ": unknown component " + stage.components.front());
  return *c;
}

// Runs a component with its inputs taken by name from `named`; returns its
// first output.
Tensor runByName(const PackageManifest& m, ModelHandle& handle, const ComponentSpec& spec,
                 const std::map<std::string, Tensor>& named, const Progress& progress) {
  std::vector<Tensor> inputs;
  for (const auto& in : spec.inputs) {
    auto it = named.find(in.name);
    if (it == named.end())
      throw ModelError("model package " + m.name + ": " + spec.file + ": input \"" + in.name +
                       "\" is not one the host provides");
    inputs.push_back(it->second);
  }
  std::vector<Tensor> out = handle.run(spec.name, inputs, progress.cancelFlag());
  if (out.empty() || out[0].dtype() != DType::Float32)
    throw ModelError("model package " + m.name + ": " + spec.file +
                     ": the first output is not a float tensor");
  return out[0];
}

using FieldFn = std::function<Tensor(const std::vector<Vec3>&)>;

// The field on a grid of spacing `step` covering `box` plus a border, closed
// (positive) on the outer layer. Coarse to fine: a level's vertex is asked of
// the model only when the value interpolated from the coarser level is within
// about a coarse cell of the surface; elsewhere the interpolation stands (it
// only decides inside/outside there).
detail::ScalarGrid evaluateHierarchically(const Box3& box, float step, const FieldFn& field,
                                          Progress& progress) {
  constexpr int kPad = 2;
  constexpr long kChunk = 32768;  // one decoder call stays well under a second (cancel)
  int dims[3];
  const Vec3 size = box.size();
  int cells[3];
  int maxCells = 0;
  for (int a = 0; a < 3; ++a) {
    cells[a] = static_cast<int>(std::ceil(size[a] / step)) + 2 * kPad;
    maxCells = std::max(maxCells, cells[a]);
  }
  int levels = 0;
  while (levels < 4 && (maxCells >> (levels + 1)) >= 4) ++levels;
  const int unit = 1 << levels;
  for (int a = 0; a < 3; ++a) {
    cells[a] = (cells[a] + unit - 1) / unit * unit;
    dims[a] = cells[a] + 1;
  }
  detail::ScalarGrid grid;
  grid.nx = dims[0];
  grid.ny = dims[1];
  grid.nz = dims[2];
  grid.step = step;
  const Vec3 span{cells[0] * step, cells[1] * step, cells[2] * step};
  grid.origin = box.center() - span * 0.5f;
  const std::size_t total = static_cast<std::size_t>(dims[0]) * dims[1] * dims[2];
  grid.values.assign(total, 1.f);
  std::vector<char> known(total, 0);
  std::size_t asked = 0;
  std::vector<std::size_t> pending;
  std::vector<Vec3> queries;
  auto flush = [&] {
    for (std::size_t s = 0; s < pending.size(); s += kChunk) {
      progress.checkCancel();
      const std::size_t e = std::min(pending.size(), s + static_cast<std::size_t>(kChunk));
      queries.clear();
      for (std::size_t q = s; q < e; ++q) {
        const std::size_t i = pending[q];
        queries.push_back(
            grid.position(static_cast<int>(i % dims[0]), static_cast<int>((i / dims[0]) % dims[1]),
                          static_cast<int>(i / (static_cast<std::size_t>(dims[0]) * dims[1]))));
      }
      const Tensor t = field(queries);
      const float* fp = t.data<float>();
      for (std::size_t q = s; q < e; ++q) {
        const float v = fp[q - s];
        grid.values[pending[q]] = std::isfinite(v) ? v : 1.f;
      }
      asked += e - s;
      progress.report(std::min(0.9, static_cast<double>(asked) / static_cast<double>(total)));
    }
    pending.clear();
  };
  for (int level = levels; level >= 0; --level) {
    const int st = 1 << level;
    const float threshold = 1.5f * std::sqrt(3.f) * step * static_cast<float>(2 * st);
    for (int z = 0; z < dims[2]; z += st)
      for (int y = 0; y < dims[1]; y += st)
        for (int x = 0; x < dims[0]; x += st) {
          const std::size_t i = grid.index(x, y, z);
          if (known[i]) continue;
          known[i] = 1;
          if (level == levels) {
            pending.push_back(i);
            continue;
          }
          // mean of the coarser level's vertices around this one (trilinear at a midpoint)
          const int c = 2 * st;
          const int x0 = x / c * c, y0 = y / c * c, z0 = z / c * c;
          const int x1 = x % c ? x0 + c : x0, y1 = y % c ? y0 + c : y0, z1 = z % c ? z0 + c : z0;
          float sum = 0;
          int n = 0;
          for (int zz : {z0, z1})
            for (int yy : {y0, y1})
              for (int xx : {x0, x1}) {
                sum += grid.values[grid.index(xx, yy, zz)];
                ++n;
              }
          const float interp = sum / static_cast<float>(n);
          if (std::fabs(interp) > threshold)
            grid.values[i] = interp;
          else
            pending.push_back(i);
        }
    flush();
  }
  grid.closeBorder(1.f);
  return grid;
}

// The generator network's way: sampling and encoding once, then one field per
// part marched on a grid. Built only when some part needs it.
class FieldGenerator {
 public:
  FieldGenerator(const Mesh& mesh, const Segmentation& segmentation, ModelManager& models,
                 const GenerateOptions& options, Progress& progress)
      : options_(options) {
    progress.stage("loading generator");
    handle_ = models.acquire(ModelRole::Generator, progress.cancelFlag());
    const PackageManifest& manifest = handle_.manifest();
    const StageSpec& encodeStage = pickStage(manifest, "encode", 0);
    const StageSpec& decodeStage = pickStage(manifest, "decode", 1);
    const ComponentSpec& encoder = stageComponent(manifest, encodeStage);
    decoder_ = &stageComponent(manifest, decodeStage);
    progress.checkCancel();

    progress.stage("sampling");
    norm_ = Normalization::fit(mesh.bounds());
    Mesh normalized = mesh;
    norm_.applyInPlace(normalized);
    wholeExtent_ = std::max({normalized.bounds().size().x, normalized.bounds().size().y,
                             normalized.bounds().size().z, 1e-4f});
    const SurfaceSamples samples = detail::orientedSamples(
        normalized, static_cast<std::size_t>(options.samplePoints), options.seed);
    const int partCount = segmentation.partCount();
    boxes_.assign(static_cast<std::size_t>(partCount), Box3{});
    for (std::size_t f = 0; f < normalized.faces.size(); ++f) {
      const int l = segmentation.faceLabels[f];
      if (l < 0 || l >= partCount) continue;
      for (auto v : normalized.faces[f])
        boxes_[static_cast<std::size_t>(l)].add(normalized.vertices[v]);
    }
    // A part's own box (the user may have edited it) bounds what is generated
    // for it; parts without one use the box of their faces.
    for (int k = 0; k < partCount; ++k) {
      const Box3& given = segmentation.parts[static_cast<std::size_t>(k)].box;
      if (!given.empty() && !boxes_[static_cast<std::size_t>(k)].empty())
        boxes_[static_cast<std::size_t>(k)] = norm_.apply(given);
    }
    Tensor labels = Tensor::make(DType::Int64, {static_cast<std::int64_t>(samples.size())});
    auto* lp = labels.data<std::int64_t>();
    for (std::size_t s = 0; s < samples.size(); ++s)
      lp[s] = segmentation.faceLabels[samples.faces[s]];
    Tensor boxT = Tensor::make(DType::Float32, {std::max(partCount, 1), 6});
    float* bp = boxT.data<float>();
    for (int k = 0; k < partCount; ++k) {
      const Box3& b = boxes_[static_cast<std::size_t>(k)];
      if (b.empty()) continue;
      for (int a = 0; a < 3; ++a) {
        bp[k * 6 + a] = b.lo[a];
        bp[k * 6 + 3 + a] = b.hi[a];
      }
    }
    named_ = {{"points", vecTensor(samples.points)},
              {"normals", vecTensor(samples.normals)},
              {"labels", labels},
              {"boxes", boxT}};
    progress.report(1.0);

    progress.stage("encoding");
    handle_.enterStage(encodeStage.name);
    Tensor features = runByName(manifest, handle_, encoder, named_, progress);
    if (features.dim() < 1 || features.size(0) != static_cast<long>(samples.size()))
      throw ModelError("model package " + manifest.name + ": " + encoder.file +
                       ": features have the wrong shape");
    named_["features"] = features;
    progress.report(1.0);
    handle_.enterStage(decodeStage.name);
  }

  // Part k's closed mesh in input coordinates (empty when nothing is inside).
  Mesh part(int k, Progress& progress) {
    const Box3& box = boxes_[static_cast<std::size_t>(k)];
    if (box.empty()) return {};
    const Vec3 size = box.size();
    const float extent = std::max({size.x, size.y, size.z, 1e-4f});
    const float shortest = std::max({std::min({size.x, size.y, size.z}), 1e-6f});
    const float res = static_cast<float>(options_.resolution);
    // Cells follow the part's size: `resolution` cells along its longest side,
    // but no finer than a quarter of that across the whole shape (small parts
    // need fewer cells); a thin box (a plate, or a part the user cut with its
    // box) still gets a few cells across, at most 4x finer than asked.
    float step = std::max(extent / res, wholeExtent_ / (4.f * res));
    step = std::max(std::min(step, shortest / 4.f), extent / (4.f * res));
    const PackageManifest& manifest = handle_.manifest();
    Tensor part = Tensor::make(DType::Int64, {1});
    part.data<std::int64_t>()[0] = k;
    named_["part"] = part;
    const detail::ScalarGrid grid = evaluateHierarchically(
        box, step,
        [&](const std::vector<Vec3>& queries) {
          named_["queries"] = vecTensor(queries);
          Tensor field = runByName(manifest, handle_, *decoder_, named_, progress);
          if (field.numel() != static_cast<std::int64_t>(queries.size()))
            throw ModelError("model package " + manifest.name + ": " + decoder_->file +
                             ": field has the wrong size");
          return field;
        },
        progress);
    Mesh mesh = detail::marchTetrahedra(grid);
    detail::removeSmallComponents(mesh, 0.05);
    norm_.invertInPlace(mesh);
    return mesh;
  }

 private:
  GenerateOptions options_;
  ModelHandle handle_;
  const ComponentSpec* decoder_ = nullptr;
  Normalization norm_;
  float wholeExtent_ = 1.f;
  std::vector<Box3> boxes_;
  std::map<std::string, Tensor> named_;
};

// True when the part's box differs from the box of its faces (the user edited it).
bool boxEdited(const Box3& given, const Box3& faces, float tolerance) {
  if (given.empty() || faces.empty()) return false;
  for (int a = 0; a < 3; ++a)
    if (std::fabs(given.lo[a] - faces.lo[a]) > tolerance ||
        std::fabs(given.hi[a] - faces.hi[a]) > tolerance)
      return true;
  return false;
}

// At most this many triangles for a part: the user's budget, else 1.5x the
// part's input triangles plus its caps (at least 500, so a low-poly part
// made by the field keeps its shape).
std::size_t triangleBudget(std::size_t inputFaces, std::size_t capFaces, std::size_t maxTriangles) {
  if (maxTriangles > 0) return maxTriangles;
  return std::max<std::size_t>(inputFaces + inputFaces / 2 + capFaces, 500);
}

}  // namespace

GeneratedParts generate(const Mesh& mesh, const Segmentation& segmentation, ModelManager& models,
                        const GenerateOptions& options, Progress& progress) {
  if (mesh.faces.empty()) throw InputError("mesh", "no faces to generate from");
  if (segmentation.faceLabels.size() != mesh.faces.size())
    throw InputError("segmentation", "has " + std::to_string(segmentation.faceLabels.size()) +
                                         " face labels for " + std::to_string(mesh.faces.size()) +
                                         " faces");
  if (options.resolution < 8 || options.resolution > 512)
    throw UsageError("generate: resolution must be between 8 and 512");
  if (options.samplePoints < 16) throw UsageError("generate: samplePoints must be at least 16");
  if (options.maxTriangles != 0 && options.maxTriangles < 4)
    throw UsageError("generate: maxTriangles must be 0 (automatic) or at least 4");
  if (isFlat(mesh)) throw NoResultError(kNothingToGenerate);

  const int partCount = segmentation.partCount();
  std::vector<std::size_t> inputFaces(static_cast<std::size_t>(partCount), 0);
  std::vector<Box3> faceBoxes(static_cast<std::size_t>(partCount));
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    const int l = segmentation.faceLabels[f];
    if (l < 0 || l >= partCount) continue;
    ++inputFaces[static_cast<std::size_t>(l)];
    for (auto v : mesh.faces[f]) faceBoxes[static_cast<std::size_t>(l)].add(mesh.vertices[v]);
  }
  const float tolerance = 1e-5f * std::max(mesh.bounds().diagonal(), 1e-6f);

  std::vector<int> todo;
  if (options.onlyParts.empty()) {
    for (int k = 0; k < partCount; ++k) todo.push_back(k);
  } else {
    for (int k : options.onlyParts)
      if (k >= 0 && k < partCount) todo.push_back(k);
  }
  std::unique_ptr<FieldGenerator> field;        // made on first need
  std::unique_ptr<detail::SurfaceQuery> shape;  // the whole input, for the caps
  // A cap vertex shows when it is not inside the whole shape by a margin that
  // grows with its distance from the border (the cap must dive in, not hug),
  // up to a few thousandths of the shape's diagonal (deep enough not to show
  // through, and what a thin neighbour leaves room for).
  const float diagonal = std::max(mesh.bounds().diagonal(), 1e-6f);
  const float enoughDepth = 0.004f * diagonal;
  const detail::CapCheck hidden = [&](const std::vector<Vec3>& inner,
                                      const std::vector<float>& toBorders) {
    if (!shape) shape = std::make_unique<detail::SurfaceQuery>(mesh);
    // the sum of how far each vertex is from that depth
    double exposed = 0;
    for (std::size_t i = 0; i < inner.size(); ++i) {
      const Vec3& p = inner[i];
      const float toBorder = toBorders[i];
      const float depth = std::min(detail::kCheckDepthPerBorderDistance * toBorder, enoughDepth);
      const float reach = toBorder * 1.01f + tolerance;
      const float d = std::min(shape->signedDistance(p, reach), reach);
      if (d > -depth) exposed += static_cast<double>(d + depth);
    }
    return exposed;
  };
  // A point moved about `depth` in from the nearest surface, or to where the
  // shape is thickest along that way when it is thinner than that.
  const detail::CapInside inside = [&](const Vec3& p, float depth) {
    if (!shape) shape = std::make_unique<detail::SurfaceQuery>(mesh);
    const detail::Nearest near = shape->nearest(p, 0.25f * diagonal);
    if (!near.found() || near.distance <= -depth) return p;
    Vec3 best = p;
    float bestDistance = near.distance;
    for (const float share : {1.f, 0.5f, 0.2f}) {
      const Vec3 x = near.point - near.normal * (share * depth);
      const float d = shape->signedDistance(x, 2.f * depth + tolerance);
      if (d < bestDistance) {
        bestDistance = d;
        best = x;
      }
    }
    return best;
  };
  const detail::CapDistance distance = [&](const Vec3& p, float radius) {
    if (!shape) shape = std::make_unique<detail::SurfaceQuery>(mesh);
    return shape->signedDistance(p, radius);
  };
  // The input's surface beyond a loop of part `capPart` (an island of other
  // parts in it), for caps that follow it from inside.
  std::unique_ptr<detail::PatchFinder> patches;
  int capPart = -1;
  const detail::CapPatch beyond = [&](const std::vector<Vec3>& loop, double mostArea) {
    if (!patches) patches = std::make_unique<detail::PatchFinder>(mesh, segmentation.faceLabels);
    return patches->find(loop, capPart, mostArea);
  };
  GeneratedParts result;
  for (std::size_t t = 0; t < todo.size(); ++t) {
    const int k = todo[t];
    const auto uk = static_cast<std::size_t>(k);
    if (inputFaces[uk] == 0) continue;
    PartMesh part;
    part.label = k;
    part.name = uk < segmentation.parts.size() && !segmentation.parts[uk].name.empty()
                    ? segmentation.parts[uk].name
                    : "part_" + std::to_string(k);
    std::size_t capFaces = 0;
    bool kept = false;
    const bool edited = uk < segmentation.parts.size() &&
                        boxEdited(segmentation.parts[uk].box, faceBoxes[uk], tolerance);
    if (options.keepVisibleSurface && !edited) {
      part.mesh = detail::facesWithLabel(mesh, segmentation.faceLabels, k);
      capPart = k;
      kept = detail::closeWithCaps(part.mesh, &capFaces, hidden, inside, beyond, distance);
    }
    if (!kept) {
      if (!field)
        field = std::make_unique<FieldGenerator>(mesh, segmentation, models, options, progress);
      progress.stage("generating part " + std::to_string(t + 1) + "/" +
                     std::to_string(todo.size()));
      part.mesh = field->part(k, progress);
      capFaces = 0;
    } else {
      progress.stage("closing part " + std::to_string(t + 1) + "/" + std::to_string(todo.size()));
    }
    progress.checkCancel();
    detail::simplifyToBudget(part.mesh,
                             triangleBudget(inputFaces[uk], capFaces, options.maxTriangles));
    progress.report(1.0);
    if (!part.mesh.faces.empty()) result.parts.push_back(std::move(part));
  }
  if (result.parts.empty())
    throw NoResultError(
        "no closed part could be generated: the parts enclose no volume (a flat "
        "or degenerate mesh); `segment` keeps its faces as they are");
  return result;
}

}  // namespace h3d
