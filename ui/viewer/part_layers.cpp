#include "viewer/part_layers.h"

#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <QCoreApplication>

#include <numeric>
#include <utility>

#include "h3dpart/mesh_io.h"
#include "viewer/vtk_scene.h"

namespace h3d::ui::viewer {

namespace {

const std::array<float, 3> kSelectionTint{1.0f, 0.9f, 0.15f};  // yellow: not the hover white
const std::array<float, 3> kInputColor{0.78f, 0.78f, 0.80f};
const std::array<float, 3> kUnassignedColor{0.55f, 0.55f, 0.55f};

std::array<float, 3> toRgb(const QColor& c) {
  return {float(c.redF()), float(c.greenF()), float(c.blueF())};
}

std::array<float, 3> colorFor(int label) {
  return label < 0 ? kUnassignedColor : h3d::partColor(label);
}

QString tr(const char* text) {
  return QCoreApplication::translate("h3d::ui::MeshViewer", text);
}

}  // namespace

Vec3 PartActor::offset() const {
  const double* p = actor->GetPosition();
  return {float(p[0]), float(p[1]), float(p[2])};
}

const PartActor* PartLayers::shownPart(int label) const {
  for (const auto& p : shown())
    if (p.label == label) return &p;
  return nullptr;
}

bool PartLayers::setInput(MeshPtr mesh, SegmentationPtr segmentation) {
  const bool newMesh = mesh != mesh_;
  mesh_ = mesh;
  hovered_ = MeshViewer::kNoPart;
  hidden_.clear();
  selection_.clear();
  styles_.clear();
  clearPreviewActors();
  previewFaces_.clear();
  bounds_ = mesh ? mesh->bounds() : Box3{};
  center_ = bounds_.empty() ? Vec3{} : bounds_.center();

  // The same mesh again (a new segmentation of it): parts whose faces did not
  // change keep their actors, so a small edit rebuilds only what it touched.
  std::vector<PartActor> old = std::move(input_);
  input_.clear();
  std::map<int, std::size_t> oldByLabel;
  if (!newMesh)
    for (std::size_t i = 0; i < old.size(); ++i) oldByLabel[old[i].label] = i;

  std::vector<PartActor*> added;
  if (mesh && !mesh->empty()) {
    std::vector<scene::LabelledFaces> groups;
    const bool segmented = segmentation && segmentation->partCount() > 0;
    if (segmented) {
      groups = scene::groupByLabel(*segmentation, mesh->faces.size());
    } else {
      groups.push_back({0, std::vector<std::uint32_t>(mesh->faces.size())});
      std::iota(groups[0].faces.begin(), groups[0].faces.end(), 0u);
    }
    input_.reserve(groups.size());
    for (auto& group : groups) {
      QString name = tr("input");
      std::array<float, 3> color = kInputColor;
      if (segmented) {
        name = group.label < 0 ? tr("unassigned") : QStringLiteral("part_%1").arg(group.label);
        if (group.label >= 0 && group.label < segmentation->partCount() &&
            !segmentation->parts[std::size_t(group.label)].name.empty())
          name = QString::fromStdString(segmentation->parts[std::size_t(group.label)].name);
        color = colorFor(group.label);
      }
      auto it = oldByLabel.find(group.label);
      if (it != oldByLabel.end() && old[it->second].actor && old[it->second].faces == group.faces) {
        PartActor part = std::move(old[it->second]);
        old[it->second].actor = nullptr;
        part.name = name;
        part.color = color;
        input_.push_back(std::move(part));
        continue;
      }
      Box3 box;
      for (auto f : group.faces)
        for (auto v : mesh->faces[f]) box.add(mesh->vertices[v]);
      const std::size_t count = group.faces.size();
      input_.push_back(
          makePart(scene::toPolyData(*mesh, &group.faces), group.label, name, color, box, count));
      input_.back().faces = std::move(group.faces);
      added.push_back(&input_.back());
    }
    facePart_.assign(mesh->faces.size(), 0);
    for (std::size_t i = 0; i < input_.size(); ++i)
      for (auto f : input_[i].faces) facePart_[f] = int(i);
  } else {
    facePart_.clear();
  }
  for (auto& p : old)
    if (p.actor) renderer_->RemoveActor(p.actor);
  for (PartActor* p : added) renderer_->AddActor(p->actor);
  applyExplode();
  applyVisibility();
  restyle();
  return newMesh;
}

void PartLayers::setGenerated(GeneratedPartsPtr parts) {
  removeAll(generated_);
  if (parts) {
    for (const PartMesh& part : parts->parts) {
      if (part.mesh.empty()) continue;
      const QString name = part.name.empty() ? QStringLiteral("part_%1").arg(part.label)
                                             : QString::fromStdString(part.name);
      generated_.push_back(makePart(scene::toPolyData(part.mesh), part.label, name,
                                    colorFor(part.label), part.mesh.bounds(),
                                    part.mesh.faces.size()));
      applyStyle(generated_.back());
      renderer_->AddActor(generated_.back().actor);
    }
  }
  hovered_ = MeshViewer::kNoPart;
  applyExplode();
  applyVisibility();
  restyle();
}

bool PartLayers::setShowGenerated(bool on) {
  if (showGenerated_ == on) return false;
  showGenerated_ = on;
  hovered_ = MeshViewer::kNoPart;
  applyVisibility();
  restyle();
  return true;
}

void PartLayers::setPartVisible(int label, bool visible) {
  if (visible)
    hidden_.erase(label);
  else
    hidden_[label] = true;
  applyVisibility();
}

void PartLayers::setSelection(const QVector<int>& labels) {
  selection_ = labels;
  restyle();
}

void PartLayers::setStyles(const QVector<PartStyle>& styles) {
  for (const PartStyle& style : styles) {
    styles_[style.label] = style;
    if (style.visible)
      hidden_.erase(style.label);
    else
      hidden_[style.label] = true;
  }
  for (auto* layer : {&input_, &generated_})
    for (auto& p : *layer) applyStyle(p);
  applyVisibility();
  restyle();
}

void PartLayers::setPreview(const std::vector<std::uint32_t>& faces, const QColor& color) {
  previewFaces_ = faces;
  previewColor_ = color.isValid() ? color : QColor(255, 140, 0);
  buildPreview();
  applyExplode();
  applyVisibility();
}

bool PartLayers::setExplode(double amount) {
  if (amount == explode_) return false;
  explode_ = amount;
  applyExplode();
  return true;
}

void PartLayers::setSmooth(bool on) {
  smooth_ = on;
  restyle();
}

void PartLayers::setWireframe(bool on) {
  wireframe_ = on;
  restyle();
}

void PartLayers::setHovered(int label) {
  hovered_ = label;
  restyle();
}

PartActor PartLayers::makePart(vtkSmartPointer<vtkPolyData> poly, int label, const QString& name,
                               std::array<float, 3> color, const Box3& box, std::size_t triangles) {
  auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  mapper->SetInputData(poly);
  mapper->ScalarVisibilityOff();
  mapper->StaticOn();  // the data never changes after creation: skip pipeline checks
  auto actor = vtkSmartPointer<vtkActor>::New();
  actor->SetMapper(mapper);
  PartActor part{label, name, color, box.center(), triangles, actor, {}, nullptr};
  styleActor(part, false);
  return part;
}

void PartLayers::styleActor(PartActor& part, bool highlighted, bool selected) const {
  vtkProperty* p = part.actor->GetProperty();
  auto c = part.color;
  if (selected)
    for (int i = 0; i < 3; ++i) c[i] = 0.3f * c[i] + 0.7f * kSelectionTint[i];
  if (highlighted)
    for (float& v : c) v = 0.55f * v + 0.45f;
  p->SetColor(c[0], c[1], c[2]);
  p->SetInterpolation(smooth_ ? VTK_PHONG : VTK_FLAT);
  p->SetEdgeVisibility(wireframe_);
  p->SetEdgeColor(0.15, 0.15, 0.2);
  p->SetSpecular(0.2);
  p->SetSpecularPower(20);
  p->SetAmbient(highlighted || selected ? 0.25 : 0.08);
}

// The name and colour a part gets: its style if set, else what it has.
void PartLayers::applyStyle(PartActor& part) const {
  auto it = styles_.find(part.label);
  if (it == styles_.end()) return;
  if (!it->second.name.isEmpty()) part.name = it->second.name;
  if (it->second.color.isValid()) part.color = toRgb(it->second.color);
}

void PartLayers::removeAll(std::vector<PartActor>& parts) {
  for (auto& p : parts) {
    renderer_->RemoveActor(p.actor);
    if (p.preview) renderer_->RemoveActor(p.preview);
  }
  parts.clear();
}

void PartLayers::clearPreviewActors() {
  for (auto& p : input_)
    if (p.preview) {
      renderer_->RemoveActor(p.preview);
      p.preview = nullptr;
    }
}

void PartLayers::buildPreview() {
  clearPreviewActors();
  if (!mesh_ || previewFaces_.empty() || input_.empty()) return;
  std::vector<std::vector<std::uint32_t>> perPart(input_.size());
  for (auto f : previewFaces_)
    if (f < facePart_.size()) perPart[std::size_t(facePart_[f])].push_back(f);
  const auto rgb = toRgb(previewColor_);
  for (std::size_t i = 0; i < input_.size(); ++i) {
    if (perPart[i].empty()) continue;
    auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    mapper->SetInputData(scene::toPolyData(*mesh_, &perPart[i]));
    mapper->ScalarVisibilityOff();
    mapper->StaticOn();
    // Same triangles as the part: pull them towards the camera so they win.
    mapper->SetRelativeCoincidentTopologyPolygonOffsetParameters(-2, -12);
    auto actor = vtkSmartPointer<vtkActor>::New();
    actor->SetMapper(mapper);
    actor->PickableOff();
    vtkProperty* p = actor->GetProperty();
    p->SetColor(rgb[0], rgb[1], rgb[2]);
    p->SetAmbient(0.3);
    p->SetDiffuse(0.8);
    p->SetSpecular(0.1);
    p->SetOpacity(previewColor_.alphaF());
    p->SetInterpolation(VTK_FLAT);
    input_[i].preview = actor;
    renderer_->AddActor(actor);
  }
}

void PartLayers::applyVisibility() {
  const bool genShown = generatedOnScreen();
  for (auto& p : input_) {
    p.actor->SetVisibility(!genShown && !hidden_.count(p.label));
    if (p.preview) p.preview->SetVisibility(p.actor->GetVisibility());
  }
  for (auto& p : generated_) p.actor->SetVisibility(genShown && !hidden_.count(p.label));
}

void PartLayers::applyExplode() {
  // Each part moves out along its centre's offset from the whole's centre.
  for (auto* layer : {&input_, &generated_})
    for (auto& p : *layer) {
      const Vec3 d = (p.center - center_) * float(explode_);
      p.actor->SetPosition(d.x, d.y, d.z);
      if (p.preview) p.preview->SetPosition(d.x, d.y, d.z);
    }
}

void PartLayers::restyle() {
  const std::vector<PartActor>* onScreen = &shown();
  for (auto* layer : {&input_, &generated_})
    for (auto& p : *layer)
      styleActor(p, p.label == hovered_ && layer == onScreen, selection_.contains(p.label));
}

}  // namespace h3d::ui::viewer
