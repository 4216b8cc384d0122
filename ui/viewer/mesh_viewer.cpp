#include "h3dpart/ui/mesh_viewer.h"

#include <vtkCamera.h>
#include <vtkMapper.h>
#include <vtkRenderer.h>

#include <algorithm>

#include "viewer/viewer_impl.h"

namespace h3d::ui {

MeshViewer::Impl::Impl(MeshViewer* owner)
    : q(owner),
      gl(*owner),
      layers(gl.renderer()),
      scene(gl.renderer(), gl.interactor()),
      picker(*owner, gl, layers, scene),
      navigate(*owner, picker),
      prompt(*owner, picker),
      split(*owner, picker),
      brush(*owner, picker),
      lasso(*owner, picker, viewer::OutlineTool::Shape::Lasso),
      rectangle(*owner, picker, viewer::OutlineTool::Shape::Rectangle),
      box(*owner, picker, gl.interactor(), gl.renderer()) {
  for (ViewerTool t :
       {ViewerTool::Navigate, ViewerTool::Prompt, ViewerTool::Split, ViewerTool::Brush,
        ViewerTool::Lasso, ViewerTool::Rectangle, ViewerTool::Box})
    controller(t).onOverlayChanged([this] { updateOverlay(); });
}

viewer::ToolController& MeshViewer::Impl::controller(ViewerTool t) {
  switch (t) {
    case ViewerTool::Prompt:
      return prompt;
    case ViewerTool::Split:
      return split;
    case ViewerTool::Brush:
      return brush;
    case ViewerTool::Lasso:
      return lasso;
    case ViewerTool::Rectangle:
      return rectangle;
    case ViewerTool::Box:
      return box;
    case ViewerTool::Navigate:
      break;
  }
  return navigate;
}

void MeshViewer::Impl::updateOverlay() {
  scene.setOverlay(active().overlay(cursorPos, cursorInside), picker.dpr(), picker.deviceHeight());
}

void MeshViewer::Impl::setHovered(int label) {
  if (label == layers.hovered()) return;
  layers.setHovered(label);
  QString name;
  if (const viewer::PartActor* p = label != kNoPart ? layers.shownPart(label) : nullptr)
    name = p->name;
  scene.setHoverText(name);
  q->update();
  Q_EMIT q->hoveredPartChanged(label, name);
}

void MeshViewer::Impl::pickHover() {
  if (!gl.ready() || dragging || !q->isVisible()) return;
  if (layers.shown().size() < 2) {  // one mesh: nothing to tell apart
    setHovered(kNoPart);
    return;
  }
  setHovered(picker.pickPart(hoverPos));
}

MeshViewer::MeshViewer(QWidget* parent) : QOpenGLWidget(parent), d_(std::make_unique<Impl>(this)) {
  setFocusPolicy(Qt::StrongFocus);
  setMouseTracking(true);
  setMinimumSize(320, 240);

  // Coincident surfaces (the preview over its part) resolved by polygon offset;
  // the preview's mappers add a negative relative offset on top.
  vtkMapper::SetResolveCoincidentTopologyToPolygonOffset();

  qRegisterMetaType<h3d::Vec3>();
  qRegisterMetaType<h3d::Box3>();
  qRegisterMetaType<std::vector<std::uint32_t>>();

  d_->hoverTimer.setSingleShot(true);
  d_->hoverTimer.setInterval(40);
  connect(&d_->hoverTimer, &QTimer::timeout, this, [this] { d_->pickHover(); });
}

MeshViewer::~MeshViewer() {
  d_->gl.shutdown();
}

void MeshViewer::setInput(MeshPtr mesh, SegmentationPtr segmentation) {
  auto& d = *d_;
  d.brush.reset();
  const bool newMesh = d.layers.setInput(std::move(mesh), std::move(segmentation));
  d.scene.setGrid(d.layers.bounds(), d.gridOn);
  if (newMesh) resetView();
  d.updateOverlay();
  update();
  Q_EMIT partsChanged();
}

void MeshViewer::setGenerated(GeneratedPartsPtr parts) {
  d_->layers.setGenerated(std::move(parts));
  update();
  Q_EMIT partsChanged();
}

void MeshViewer::setShowGenerated(bool on) {
  if (!d_->layers.setShowGenerated(on)) return;
  update();
  Q_EMIT partsChanged();
}

bool MeshViewer::showGenerated() const {
  return d_->layers.showGenerated();
}
bool MeshViewer::hasGenerated() const {
  return d_->layers.hasGenerated();
}

void MeshViewer::clear() {
  setGenerated(nullptr);
  setInput(nullptr);
}

QVector<int> MeshViewer::partLabels() const {
  QVector<int> labels;
  for (const auto& p : d_->layers.shown()) labels << p.label;
  return labels;
}

QString MeshViewer::partName(int label) const {
  const viewer::PartActor* p = d_->layers.shownPart(label);
  return p ? p->name : QString();
}

QColor MeshViewer::partColor(int label) const {
  const viewer::PartActor* p = d_->layers.shownPart(label);
  return p ? QColor::fromRgbF(p->color[0], p->color[1], p->color[2]) : QColor();
}

void MeshViewer::setPartVisible(int label, bool visible) {
  d_->layers.setPartVisible(label, visible);
  update();
}

bool MeshViewer::partVisible(int label) const {
  return d_->layers.partVisible(label);
}

void MeshViewer::setSelectedParts(const QVector<int>& labels) {
  d_->layers.setSelection(labels);
  update();
}

QVector<int> MeshViewer::selectedParts() const {
  return d_->layers.selection();
}

void MeshViewer::setPartStyles(const QVector<PartStyle>& styles) {
  auto& d = *d_;
  d.layers.setStyles(styles);
  if (d.layers.hovered() != kNoPart)  // the hover label follows a rename
    d.scene.setHoverText(partName(d.layers.hovered()));
  update();
  Q_EMIT partsChanged();
}

void MeshViewer::setTool(ViewerTool tool) {
  auto& d = *d_;
  d.active().cancel();
  d.active().setActive(false);
  d.tool = tool;
  d.active().setActive(true);
  setCursor(d.active().cursor());
  d.updateOverlay();
  update();
}

ViewerTool MeshViewer::tool() const {
  return d_->tool;
}

void MeshViewer::setBrushRadius(float worldRadius) {
  d_->brush.setRadius(worldRadius);
  d_->updateOverlay();
  update();
}

float MeshViewer::brushRadius() const {
  return d_->brush.radius();
}

void MeshViewer::setPreviewFaces(const std::vector<std::uint32_t>& faces, const QColor& color) {
  d_->layers.setPreview(faces, color);
  update();
}

void MeshViewer::showBox(const Box3& box) {
  d_->box.show(box);
  update();
}

void MeshViewer::hideBox() {
  if (!d_->box.shown()) return;
  d_->box.hide();
  update();
}

bool MeshViewer::boxShown() const {
  return d_->box.shown();
}

Box3 MeshViewer::boxBounds() const {
  return d_->box.bounds();
}

long MeshViewer::pickFace(const QPointF& widgetPos, Vec3* point) {
  return d_->picker.pickFace(widgetPos, point);
}

QPointF MeshViewer::projectToWidget(const Vec3& point) {
  return d_->picker.project(point);
}

std::vector<std::uint32_t> MeshViewer::facesInside(const QPolygonF& widgetPolygon) {
  return d_->picker.facesInside(widgetPolygon);
}

void MeshViewer::setExplode(double amount) {
  auto& d = *d_;
  const double clamped = std::clamp(amount, 0.0, 2.0);
  const bool widening = clamped > d.layers.explode();
  if (!d.layers.setExplode(clamped)) return;
  // Parts moved out of the frame: back the camera off (same direction) so
  // every part stays in view. Never zooms in: the user's framing is kept.
  double b[6];
  if (widening && width() >= 1 && height() >= 1 &&
      d.layers.shownBounds(
          b, [](const viewer::PartActor& p) { return bool(p.actor->GetVisibility()); }))
    d.scene.keepInView(b, double(width()) / double(height()));
  update();
  Q_EMIT explodeChanged(clamped);
}

double MeshViewer::explode() const {
  return d_->layers.explode();
}

void MeshViewer::setSmoothShading(bool on) {
  d_->layers.setSmooth(on);
  update();
}

void MeshViewer::setWireframe(bool on) {
  d_->layers.setWireframe(on);
  update();
}

void MeshViewer::setAxesVisible(bool on) {
  d_->axesOn = on;
  d_->scene.setAxesVisible(on, d_->gl.ready());
  update();
}

void MeshViewer::setGridVisible(bool on) {
  d_->gridOn = on;
  d_->scene.setGridVisible(on, !d_->layers.bounds().empty());
  update();
}

bool MeshViewer::smoothShading() const {
  return d_->layers.smooth();
}
bool MeshViewer::wireframe() const {
  return d_->layers.wireframe();
}
bool MeshViewer::axesVisible() const {
  return d_->axesOn;
}
bool MeshViewer::gridVisible() const {
  return d_->gridOn;
}

void MeshViewer::resetView() {
  d_->scene.resetCamera(d_->layers.bounds());
  update();
}

void MeshViewer::fitToSelection() {
  const auto& layers = d_->layers;
  double b[6];
  const bool any = layers.shownBounds(b, [&layers](const viewer::PartActor& p) {
    return layers.selection().isEmpty() ? bool(p.actor->GetVisibility())
                                        : layers.selection().contains(p.label);
  });
  if (!any) return;
  d_->scene.frame(b);
  update();
}

void MeshViewer::rotateCamera(double degrees) {
  d_->gl.renderer()->GetActiveCamera()->Azimuth(degrees);
  update();
}

int MeshViewer::hoveredPart() const {
  return d_->layers.hovered();
}

QImage MeshViewer::renderImage() {
  return grabFramebuffer();
}

double MeshViewer::lastFrameMs() const {
  return d_->lastFrameMs;
}

void MeshViewer::setFinishEachFrame(bool on) {
  d_->gl.setFinishEachFrame(on);
}

std::size_t MeshViewer::triangleCount() const {
  std::size_t n = 0;
  for (const auto& p : d_->layers.shown()) n += p.triangles;
  return n;
}

}  // namespace h3d::ui
