#include "h3dpart/document.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <stdexcept>

namespace h3d {

namespace {

using Draft = PartEditCommand::Draft;

bool sameMesh(const Mesh* a, const Mesh* b) {
  if (a == b) return true;
  if (!a || !b) return false;
  return a->vertices == b->vertices && a->faces == b->faces;
}

bool sameBox(const Box3& a, const Box3& b) {
  return a.lo == b.lo && a.hi == b.hi;
}

void checkPart(const PartDocument& doc, int part) {
  if (part < 0 || part >= doc.partCount())
    throw std::invalid_argument("no part " + std::to_string(part));
}

// Boxes of all parts from the labels, in face order (the same sums every time,
// so recomputing an unchanged part gives the identical box).
std::vector<Box3> boxesOf(const Mesh& mesh, const std::vector<int>& labels, std::size_t count) {
  std::vector<Box3> boxes(count);
  for (std::size_t f = 0; f < labels.size(); ++f) {
    const int l = labels[f];
    if (l < 0 || static_cast<std::size_t>(l) >= count) continue;
    for (auto v : mesh.faces[f]) boxes[static_cast<std::size_t>(l)].add(mesh.vertices[v]);
  }
  return boxes;
}

// "part_<k>" with the smallest k no part is called yet.
std::string unusedName(const std::vector<DocumentPart>& parts) {
  for (std::size_t k = 0;; ++k) {
    const std::string name = "part_" + std::to_string(k);
    if (std::none_of(parts.begin(), parts.end(),
                     [&](const DocumentPart& p) { return p.name == name; }))
      return name;
  }
}

int appendPart(Draft& draft) {
  DocumentPart part;
  part.name = unusedName(draft.parts);
  part.color = defaultPartColor(static_cast<int>(draft.parts.size()));
  draft.parts.push_back(std::move(part));
  draft.remove.push_back(false);
  return static_cast<int>(draft.parts.size()) - 1;
}

std::shared_ptr<const PartDocument::Adjacency> buildAdjacency(const Mesh& mesh) {
  // Every edge as (smaller vertex, larger vertex, face), sorted so that faces
  // sharing an edge sit together.
  struct EdgeFace {
    std::uint64_t key;
    std::uint32_t face;
    bool operator<(const EdgeFace& o) const { return key != o.key ? key < o.key : face < o.face; }
  };
  std::vector<EdgeFace> edges;
  edges.reserve(mesh.faces.size() * 3);
  for (std::uint32_t f = 0; f < mesh.faces.size(); ++f)
    for (int i = 0; i < 3; ++i) {
      std::uint64_t a = mesh.faces[f][i], b = mesh.faces[f][(i + 1) % 3];
      if (a == b) continue;
      if (a > b) std::swap(a, b);
      edges.push_back({(a << 32) | b, f});
    }
  std::sort(edges.begin(), edges.end());

  std::vector<std::vector<std::pair<std::uint32_t, float>>> lists(mesh.faces.size());
  for (std::size_t i = 0; i < edges.size();) {
    std::size_t j = i;
    while (j < edges.size() && edges[j].key == edges[i].key) ++j;
    const Vec3& va = mesh.vertices[edges[i].key >> 32];
    const Vec3& vb = mesh.vertices[edges[i].key & 0xffffffffu];
    const float len = length(va - vb);
    for (std::size_t p = i; p < j; ++p)
      for (std::size_t q = i; q < j; ++q)
        if (edges[p].face != edges[q].face) lists[edges[p].face].push_back({edges[q].face, len});
    i = j;
  }
  auto adj = std::make_shared<PartDocument::Adjacency>();
  adj->offsets.reserve(lists.size() + 1);
  adj->offsets.push_back(0);
  for (const auto& list : lists) {
    for (const auto& [g, len] : list) {
      adj->neighbours.push_back(g);
      adj->edgeLength.push_back(len);
    }
    adj->offsets.push_back(static_cast<std::uint32_t>(adj->neighbours.size()));
  }
  return adj;
}

}  // namespace

Rgb defaultPartColor(int index) {
  const auto c = partColor(index);
  Rgb out{};
  for (int i = 0; i < 3; ++i)
    out[static_cast<std::size_t>(i)] =
        static_cast<std::uint8_t>(std::lround(std::clamp(c[i], 0.f, 1.f) * 255.f));
  return out;
}

bool DocumentPart::operator==(const DocumentPart& o) const {
  return name == o.name && color == o.color && visible == o.visible && sameBox(box, o.box) &&
         boxEdited == o.boxEdited && sameMesh(generated.get(), o.generated.get());
}

// ---- PartDocument ----------------------------------------------------------

PartDocument::PartDocument() : mesh_(std::make_shared<const Mesh>()) {}

PartDocument::PartDocument(std::shared_ptr<const Mesh> mesh, std::string sourcePath)
    : mesh_(mesh ? std::move(mesh) : std::make_shared<const Mesh>()),
      sourcePath_(std::move(sourcePath)),
      labels_(mesh_->faces.size(), -1) {}

std::size_t PartDocument::facesOf(int part) const {
  return static_cast<std::size_t>(std::count(labels_.begin(), labels_.end(), part));
}

Segmentation PartDocument::segmentation() const {
  Segmentation s;
  s.faceLabels = labels_;
  s.parts.resize(parts_.size());
  for (std::size_t k = 0; k < parts_.size(); ++k) {
    s.parts[k].label = static_cast<int>(k);
    s.parts[k].name = parts_[k].name;
    s.parts[k].box = parts_[k].box;
  }
  for (int l : labels_)
    if (l >= 0) ++s.parts[static_cast<std::size_t>(l)].faceCount;
  return s;
}

GeneratedParts PartDocument::generatedParts() const {
  GeneratedParts g;
  for (std::size_t k = 0; k < parts_.size(); ++k)
    if (parts_[k].generated)
      g.parts.push_back({static_cast<int>(k), parts_[k].name, *parts_[k].generated});
  return g;
}

bool PartDocument::operator==(const PartDocument& o) const {
  return sameMesh(mesh_.get(), o.mesh_.get()) && sourcePath_ == o.sourcePath_ &&
         labels_ == o.labels_ && parts_ == o.parts_ && options_ == o.options_ &&
         models_ == o.models_;
}

void PartDocument::assign(std::vector<int> labels, std::vector<DocumentPart> parts) {
  if (labels.size() != mesh_->faces.size())
    throw std::invalid_argument("labels: " + std::to_string(labels.size()) + " for " +
                                std::to_string(mesh_->faces.size()) + " faces");
  for (int l : labels)
    if (l < -1 || l >= static_cast<int>(parts.size()))
      throw std::invalid_argument("label " + std::to_string(l) + " out of range");
  labels_ = std::move(labels);
  parts_ = std::move(parts);
}

void PartDocument::setParts(std::vector<DocumentPart> parts) {
  parts_ = std::move(parts);
}

void PartDocument::setLabelsAt(const std::vector<std::uint32_t>& faces,
                               const std::vector<int>& values) {
  for (std::size_t i = 0; i < faces.size(); ++i) labels_[faces[i]] = values[i];
}

const PartDocument::Adjacency& PartDocument::adjacency() const {
  if (!adjacency_) adjacency_ = buildAdjacency(*mesh_);
  return *adjacency_;
}

std::vector<std::uint32_t> brushFaces(const PartDocument& doc, std::uint32_t face,
                                      const Vec3& point, float radius) {
  const Mesh& mesh = doc.mesh();
  if (face >= mesh.faces.size()) return {};
  const auto& adj = doc.adjacency();
  const float r2 = radius * radius;
  auto inside = [&](std::uint32_t f) {
    const Vec3 d = mesh.faceCentroid(f) - point;
    return dot(d, d) <= r2;
  };
  // Breadth-first from the touched face; it is always painted.
  std::vector<std::uint32_t> out{face};
  std::vector<bool> seen(mesh.faces.size(), false);
  seen[face] = true;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::uint32_t f = out[i];
    for (std::uint32_t k = adj.offsets[f]; k < adj.offsets[f + 1]; ++k) {
      const std::uint32_t g = adj.neighbours[k];
      if (seen[g]) continue;
      seen[g] = true;
      if (inside(g)) out.push_back(g);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---- PartEditCommand -------------------------------------------------------

void PartEditCommand::redo(PartDocument& document) {
  if (!computed_) {
    Draft draft{document.faceLabels(), document.parts(),
                std::vector<bool>(document.parts().size(), false)};
    compute(document, draft);
    const std::vector<int>& before = document.faceLabels();
    const std::size_t oldCount = document.parts().size();
    const std::size_t count = draft.parts.size();

    // Parts whose faces changed: new boxes (unless edited), no generated mesh.
    std::vector<bool> touched(count, false);
    std::vector<std::size_t> faces(count, 0);
    for (std::size_t f = 0; f < before.size(); ++f) {
      const int now = draft.labels[f];
      if (now >= 0) ++faces[static_cast<std::size_t>(now)];
      if (before[f] == now) continue;
      if (before[f] >= 0 && static_cast<std::size_t>(before[f]) < count)
        touched[static_cast<std::size_t>(before[f])] = true;
      if (now >= 0) touched[static_cast<std::size_t>(now)] = true;
    }
    // (Part-only edits touch no faces and skip the pass over the mesh.)
    const bool anyTouched = std::find(touched.begin(), touched.end(), true) != touched.end();
    const std::vector<Box3> boxes =
        anyTouched ? boxesOf(document.mesh(), draft.labels, count) : std::vector<Box3>(count);
    for (std::size_t k = 0; k < count; ++k) {
      if (touched[k]) {
        draft.parts[k].generated.reset();
        if (!draft.parts[k].boxEdited) draft.parts[k].box = boxes[k];
      }
      // Parts emptied by this edit, and new parts that got no faces, go.
      if (faces[k] == 0 && (touched[k] || k >= oldCount)) draft.remove[k] = true;
    }

    // Compact renumbering.
    std::vector<int> newIndex(count, -1);
    std::vector<DocumentPart> kept;
    for (std::size_t k = 0; k < count; ++k)
      if (!draft.remove[k]) {
        newIndex[k] = static_cast<int>(kept.size());
        kept.push_back(std::move(draft.parts[k]));
      }
    for (int& l : draft.labels)
      if (l >= 0) l = newIndex[static_cast<std::size_t>(l)];

    for (std::uint32_t f = 0; f < before.size(); ++f)
      if (before[f] != draft.labels[f]) {
        changedFaces_.push_back(f);
        labelsBefore_.push_back(before[f]);
        labelsAfter_.push_back(draft.labels[f]);
      }
    partsBefore_ = document.parts();
    partsAfter_ = std::move(kept);
    computed_ = true;
  }
  document.setLabelsAt(changedFaces_, labelsAfter_);
  document.setParts(partsAfter_);
}

void PartEditCommand::undo(PartDocument& document) {
  document.setLabelsAt(changedFaces_, labelsBefore_);
  document.setParts(partsBefore_);
}

// ---- the edits -------------------------------------------------------------

void SetSegmentationCommand::compute(const PartDocument& doc, Draft& draft) const {
  if (seg_.faceLabels.size() != doc.mesh().faces.size())
    throw std::invalid_argument("segmentation has " + std::to_string(seg_.faceLabels.size()) +
                                " labels for " + std::to_string(doc.mesh().faces.size()) +
                                " faces");
  for (int l : seg_.faceLabels)
    if (l < -1 || l >= seg_.partCount())
      throw std::invalid_argument("label " + std::to_string(l) + " out of range");
  draft.labels = seg_.faceLabels;
  draft.parts.assign(seg_.parts.size(), DocumentPart{});
  draft.remove.assign(seg_.parts.size(), false);
  const std::vector<Box3> boxes = boxesOf(doc.mesh(), draft.labels, draft.parts.size());
  for (std::size_t k = 0; k < draft.parts.size(); ++k) {
    draft.parts[k].name = seg_.parts[k].name;
    draft.parts[k].color = defaultPartColor(static_cast<int>(k));
    draft.parts[k].box = boxes[k];
  }
}

void MergePartsCommand::compute(const PartDocument& doc, Draft& draft) const {
  if (parts_.size() < 2) throw std::invalid_argument("merge needs two parts or more");
  for (int p : parts_) checkPart(doc, p);
  const int target = *std::min_element(parts_.begin(), parts_.end());
  std::vector<bool> merged(draft.parts.size(), false);
  for (int p : parts_) merged[static_cast<std::size_t>(p)] = true;
  for (int& l : draft.labels)
    if (l >= 0 && merged[static_cast<std::size_t>(l)]) l = target;
  for (int p : parts_)
    if (p != target) draft.remove[static_cast<std::size_t>(p)] = true;
  auto& t = draft.parts[static_cast<std::size_t>(target)];
  t.boxEdited = false;  // the merged part's box is its faces' box
  t.box = boxesOf(doc.mesh(), draft.labels, draft.parts.size())[static_cast<std::size_t>(target)];
  t.generated.reset();
}

void DeletePartCommand::compute(const PartDocument& doc, Draft& draft) const {
  checkPart(doc, part_);
  int to = -1;
  if (target_ == DeleteTarget::Neighbour) {
    // The neighbour sharing the longest boundary (ties: the lower index).
    const auto& adj = doc.adjacency();
    std::vector<double> boundary(draft.parts.size(), 0.0);
    for (std::size_t f = 0; f < draft.labels.size(); ++f) {
      if (draft.labels[f] != part_) continue;
      for (std::uint32_t i = adj.offsets[f]; i < adj.offsets[f + 1]; ++i) {
        const int q = draft.labels[adj.neighbours[i]];
        if (q >= 0 && q != part_) boundary[static_cast<std::size_t>(q)] += adj.edgeLength[i];
      }
    }
    double best = 0.0;
    for (std::size_t q = 0; q < boundary.size(); ++q)
      if (boundary[q] > best) {
        best = boundary[q];
        to = static_cast<int>(q);
      }
  }
  for (int& l : draft.labels)
    if (l == part_) l = to;
  draft.remove[static_cast<std::size_t>(part_)] = true;
}

void RenamePartCommand::compute(const PartDocument& doc, Draft& draft) const {
  checkPart(doc, part_);
  draft.parts[static_cast<std::size_t>(part_)].name = name_;
}

void RecolorPartCommand::compute(const PartDocument& doc, Draft& draft) const {
  checkPart(doc, part_);
  draft.parts[static_cast<std::size_t>(part_)].color = color_;
}

void SetVisibilityCommand::compute(const PartDocument& doc, Draft& draft) const {
  for (int p : parts_) checkPart(doc, p);
  for (int p : parts_) draft.parts[static_cast<std::size_t>(p)].visible = visible_;
}

void IsolatePartsCommand::compute(const PartDocument& doc, Draft& draft) const {
  for (int p : parts_) checkPart(doc, p);
  for (auto& part : draft.parts) part.visible = false;
  for (int p : parts_) draft.parts[static_cast<std::size_t>(p)].visible = true;
}

void PaintFacesCommand::compute(const PartDocument& doc, Draft& draft) const {
  if (part_ != -1) checkPart(doc, part_);
  for (auto f : faces_) {
    if (f >= draft.labels.size()) throw std::invalid_argument("no face " + std::to_string(f));
    draft.labels[f] = part_;
  }
}

void AssignMaskCommand::compute(const PartDocument& doc, Draft& draft) const {
  if (mask_.size() != doc.mesh().faces.size())
    throw std::invalid_argument("mask has " + std::to_string(mask_.size()) + " flags for " +
                                std::to_string(doc.mesh().faces.size()) + " faces");
  int target = -1;
  if (mode_ == MaskMode::ReplaceOverlapped) {
    std::vector<std::size_t> overlap(draft.parts.size(), 0);
    for (std::size_t f = 0; f < mask_.size(); ++f)
      if (mask_[f] && draft.labels[f] >= 0) ++overlap[static_cast<std::size_t>(draft.labels[f])];
    std::size_t best = 0;
    for (std::size_t k = 0; k < overlap.size(); ++k)
      if (overlap[k] > best) {
        best = overlap[k];
        target = static_cast<int>(k);
      }
    if (target >= 0)
      for (std::size_t f = 0; f < mask_.size(); ++f)
        if (!mask_[f] && draft.labels[f] == target) draft.labels[f] = -1;
  }
  if (target < 0) target = appendPart(draft);
  for (std::size_t f = 0; f < mask_.size(); ++f)
    if (mask_[f]) draft.labels[f] = target;
}

void SplitPartCommand::compute(const PartDocument& doc, Draft& draft) const {
  checkPart(doc, part_);
  const std::size_t n = draft.labels.size();
  if (seedA_ >= n || seedB_ >= n) throw std::invalid_argument("seed face out of range");
  if (seedA_ == seedB_) throw std::invalid_argument("the two seeds are the same face");
  if (draft.labels[seedA_] != part_ || draft.labels[seedB_] != part_)
    throw std::invalid_argument("a seed face is not in the part");

  // Dijkstra from both seeds at once over face centroids, inside the part.
  const Mesh& mesh = doc.mesh();
  const auto& adj = doc.adjacency();
  std::vector<double> dist(n, std::numeric_limits<double>::infinity());
  std::vector<std::int8_t> owner(n, -1);
  using Item = std::pair<double, std::uint32_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
  dist[seedA_] = 0;
  owner[seedA_] = 0;
  dist[seedB_] = 0;
  owner[seedB_] = 1;
  queue.push({0.0, seedA_});
  queue.push({0.0, seedB_});
  while (!queue.empty()) {
    const auto [d, f] = queue.top();
    queue.pop();
    if (d > dist[f]) continue;
    const Vec3 cf = mesh.faceCentroid(f);
    for (std::uint32_t i = adj.offsets[f]; i < adj.offsets[f + 1]; ++i) {
      const std::uint32_t g = adj.neighbours[i];
      if (draft.labels[g] != part_) continue;
      const double nd = d + length(mesh.faceCentroid(g) - cf);
      if (nd < dist[g]) {
        dist[g] = nd;
        owner[g] = owner[f];
        queue.push({nd, g});
      }
    }
  }
  const int added = appendPart(draft);
  for (std::size_t f = 0; f < n; ++f)
    if (owner[f] == 1) draft.labels[f] = added;
}

void EditBoxCommand::compute(const PartDocument& doc, Draft& draft) const {
  checkPart(doc, part_);
  auto& part = draft.parts[static_cast<std::size_t>(part_)];
  if (box_.empty()) {
    part.boxEdited = false;
    part.box =
        boxesOf(doc.mesh(), draft.labels, draft.parts.size())[static_cast<std::size_t>(part_)];
  } else {
    part.boxEdited = true;
    part.box = box_;
  }
}

void SetGeneratedCommand::compute(const PartDocument& doc, Draft& draft) const {
  for (const auto& pm : generated_.parts) checkPart(doc, pm.label);
  for (const auto& pm : generated_.parts)
    draft.parts[static_cast<std::size_t>(pm.label)].generated =
        std::make_shared<const Mesh>(pm.mesh);
}

// ---- EditHistory -----------------------------------------------------------

void EditHistory::push(std::unique_ptr<EditCommand> command) {
  command->redo(document_);  // throws before anything is recorded
  commands_.resize(index_);
  if (clean_ != kNever && clean_ > index_) clean_ = kNever;
  commands_.push_back(std::move(command));
  ++index_;
}

void EditHistory::undo() {
  if (!canUndo()) return;
  --index_;
  commands_[index_]->undo(document_);
}

void EditHistory::redo() {
  if (!canRedo()) return;
  commands_[index_]->redo(document_);
  ++index_;
}

std::string EditHistory::undoText() const {
  return canUndo() ? commands_[index_ - 1]->text() : std::string();
}

std::string EditHistory::redoText() const {
  return canRedo() ? commands_[index_]->text() : std::string();
}

void EditHistory::clear() {
  commands_.clear();
  index_ = 0;
  clean_ = 0;
}

}  // namespace h3d
