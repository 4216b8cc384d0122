#include "viewer/picking.h"

#include <vtkCamera.h>
#include <vtkDataObject.h>
#include <vtkHardwareSelector.h>
#include <vtkMatrix4x4.h>
#include <vtkPropCollection.h>
#include <vtkRenderer.h>
#include <QImage>
#include <QOpenGLWidget>
#include <QPainter>

#include <algorithm>
#include <cmath>

#include "h3dpart/ui/mesh_viewer.h"
#include "viewer/gl_bridge.h"
#include "viewer/part_layers.h"
#include "viewer/view_scene.h"

namespace h3d::ui::viewer {

ScenePicker::ScenePicker(QOpenGLWidget& widget, GlBridge& gl, const PartLayers& layers,
                         ViewScene& scene)
    : widget_(widget), gl_(gl), layers_(layers), scene_(scene) {
  picker_->PickFromListOff();
}

vtkRenderer* ScenePicker::renderer() const {
  return gl_.renderer();
}
double ScenePicker::dpr() const {
  return widget_.devicePixelRatioF();
}
int ScenePicker::deviceWidth() const {
  return qMax(1, int(std::lround(widget_.width() * dpr())));
}
int ScenePicker::deviceHeight() const {
  return qMax(1, int(std::lround(widget_.height() * dpr())));
}
bool ScenePicker::canPick() const {
  return gl_.ready() && widget_.isVisible();
}

int ScenePicker::pickPart(QPointF pos) {
  if (!canPick()) return MeshViewer::kNoPart;
  const double r = dpr();
  const int x = int(pos.x() * r);
  const int y = int((widget_.height() - pos.y()) * r) - 1;
  widget_.makeCurrent();
  int label = MeshViewer::kNoPart;
  if (picker_->Pick(x, y, 0, renderer())) {
    vtkProp* prop = picker_->GetViewProp();
    for (const auto& p : layers_.shown())
      if (p.actor.Get() == prop) label = p.label;
  }
  return label;
}

// Renders the selection buffers (cell ids) of the visible input parts over a
// display-pixel area; everything else is hidden while it renders.
bool ScenePicker::captureInput(vtkHardwareSelector* selector, int x0, int y0, int x1, int y1) {
  const auto& input = layers_.input();
  if (!canPick() || layers_.generatedOnScreen() || input.empty()) return false;
  const int w = deviceWidth(), h = deviceHeight();
  x0 = std::clamp(x0, 0, w - 1);
  x1 = std::clamp(x1, 0, w - 1);
  y0 = std::clamp(y0, 0, h - 1);
  y1 = std::clamp(y1, 0, h - 1);
  if (x1 < x0 || y1 < y0) return false;
  widget_.makeCurrent();
  std::vector<vtkProp*> hiddenNow;
  vtkPropCollection* props = renderer()->GetViewProps();
  props->InitTraversal();
  while (vtkProp* prop = props->GetNextProp()) {
    bool isInput = false;
    for (const auto& p : input) isInput = isInput || p.actor.Get() == prop;
    if (!isInput && prop->GetVisibility()) {
      prop->SetVisibility(false);
      hiddenNow.push_back(prop);
    }
  }
  // The orientation marker has its own renderer: it would draw over the ids.
  vtkOrientationMarkerWidget* axes = scene_.axesWidget();
  const bool axesWere = axes->GetEnabled();
  if (axesWere) axes->SetEnabled(false);
  selector->SetRenderer(renderer());
  selector->SetFieldAssociation(vtkDataObject::FIELD_ASSOCIATION_CELLS);
  selector->SetArea(unsigned(x0), unsigned(y0), unsigned(x1), unsigned(y1));
  const bool ok = selector->CaptureBuffers();
  for (vtkProp* prop : hiddenNow) prop->SetVisibility(true);
  if (axesWere) axes->SetEnabled(true);
  return ok;
}

// The input part and face a selection pixel shows (-1: none).
long ScenePicker::faceAt(vtkHardwareSelector* selector, unsigned x, unsigned y,
                         std::size_t* part) const {
  const unsigned pos[2] = {x, y};
  const auto info = selector->GetPixelInformation(pos);
  if (!info.Valid || info.AttributeID < 0) return -1;
  const auto& input = layers_.input();
  for (std::size_t i = 0; i < input.size(); ++i)
    if (input[i].actor.Get() == info.Prop) {
      if (std::size_t(info.AttributeID) >= input[i].faces.size()) return -1;
      if (part) *part = i;
      return long(input[i].faces[std::size_t(info.AttributeID)]);
    }
  return -1;
}

// The camera ray through a display point, in world coordinates.
void ScenePicker::rayAt(double x, double y, Vec3& origin, Vec3& direction) {
  double p0[4], p1[4];
  vtkRenderer* r = renderer();
  r->SetDisplayPoint(x, y, 0.0);
  r->DisplayToWorld();
  r->GetWorldPoint(p0);
  r->SetDisplayPoint(x, y, 1.0);
  r->DisplayToWorld();
  r->GetWorldPoint(p1);
  for (double* p : {p0, p1})
    if (p[3] != 0.0)
      for (int i = 0; i < 3; ++i) p[i] /= p[3];
  origin = {float(p0[0]), float(p0[1]), float(p0[2])};
  direction = normalized(Vec3{float(p1[0] - p0[0]), float(p1[1] - p0[1]), float(p1[2] - p0[2])});
}

long ScenePicker::pickFace(QPointF pos, Vec3* point) {
  const MeshPtr& mesh = layers_.mesh();
  if (!mesh) return -1;
  const double dx = pos.x() * dpr(), dy = deviceHeight() - pos.y() * dpr();
  const int x = int(std::floor(dx)), y = deviceHeight() - 1 - int(std::floor(pos.y() * dpr()));
  if (x < 0 || y < 0 || x >= deviceWidth() || y >= deviceHeight()) return -1;
  vtkNew<vtkHardwareSelector> selector;
  if (!captureInput(selector, x, y, x, y)) return -1;
  std::size_t part = 0;
  const long face = faceAt(selector, unsigned(x), unsigned(y), &part);
  selector->ClearBuffers();
  if (face < 0) return -1;
  if (point) {
    const Vec3 off = layers_.input()[part].offset();
    const Triangle& t = mesh->faces[std::size_t(face)];
    const Vec3 a = mesh->vertices[t[0]], b = mesh->vertices[t[1]], c = mesh->vertices[t[2]];
    Vec3 hit = (a + b + c) / 3.f;
    Vec3 origin, dir;
    rayAt(dx, dy, origin, dir);
    const Vec3 n = cross(b - a, c - a);
    const float denom = dot(n, dir);
    if (std::fabs(denom) > 1e-20f) {
      const float s = dot(n, a + off - origin) / denom;
      hit = origin + dir * s - off;
    }
    *point = hit;
  }
  return face;
}

QPointF ScenePicker::project(const Vec3& p) {
  vtkRenderer* r = renderer();
  r->SetWorldPoint(p.x, p.y, p.z, 1.0);
  r->WorldToDisplay();
  double d[3];
  r->GetDisplayPoint(d);
  return {d[0] / dpr(), (deviceHeight() - d[1]) / dpr()};
}

std::vector<std::uint32_t> ScenePicker::facesInside(const QPolygonF& polygon) {
  std::vector<std::uint32_t> out;
  const MeshPtr& mesh = layers_.mesh();
  if (!mesh || polygon.size() < 3 || !canPick() || layers_.generatedOnScreen()) return out;
  const int w = deviceWidth(), h = deviceHeight();
  const double r = dpr();
  QPolygonF dev;  // device pixels, y down
  for (const QPointF& p : polygon) dev << p * r;
  const QRect rect = dev.boundingRect().toAlignedRect().intersected(QRect(0, 0, w, h));
  if (rect.isEmpty()) return out;
  QImage mask(rect.size(), QImage::Format_Grayscale8);
  mask.fill(0);
  {
    QPainter painter(&mask);
    painter.setPen(Qt::NoPen);
    painter.setBrush(Qt::white);
    painter.translate(-rect.topLeft());
    painter.drawPolygon(dev, Qt::OddEvenFill);
  }
  vtkNew<vtkHardwareSelector> selector;
  if (!captureInput(selector, rect.left(), h - 1 - rect.bottom(), rect.right(), h - 1 - rect.top()))
    return out;

  vtkCamera* camera = renderer()->GetActiveCamera();
  vtkMatrix4x4* m =
      camera->GetCompositeProjectionTransformMatrix(renderer()->GetTiledAspectRatio(), -1, 1);
  double e[16];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) e[4 * i + j] = m->GetElement(i, j);
  const bool parallel = camera->GetParallelProjection();
  double cp[3], dop[3];
  camera->GetPosition(cp);
  camera->GetDirectionOfProjection(dop);
  const Vec3 eye{float(cp[0]), float(cp[1]), float(cp[2])};
  const Vec3 forward{float(dop[0]), float(dop[1]), float(dop[2])};
  const Box3& bounds = layers_.bounds();
  const float eps = 2e-3f * std::max(bounds.diagonal(), 1e-6f);
  const auto& input = layers_.input();

  for (std::size_t pi = 0; pi < input.size(); ++pi) {
    const PartActor& part = input[pi];
    if (!part.actor->GetVisibility()) continue;
    const Vec3 off = part.offset();
    for (const std::uint32_t f : part.faces) {
      const Triangle& t = mesh->faces[f];
      const Vec3 a = mesh->vertices[t[0]] + off, b = mesh->vertices[t[1]] + off,
                 c = mesh->vertices[t[2]] + off;
      const Vec3 g = (a + b + c) / 3.f;
      const Vec3 n = cross(b - a, c - a);
      const Vec3 toEye = parallel ? forward * -1.f : eye - g;
      if (dot(n, toEye) <= 0.f) continue;  // back-facing (or edge-on)
      const double cw = e[12] * g.x + e[13] * g.y + e[14] * g.z + e[15];
      if (cw <= 0.0) continue;
      const double nx = (e[0] * g.x + e[1] * g.y + e[2] * g.z + e[3]) / cw;
      const double ny = (e[4] * g.x + e[5] * g.y + e[6] * g.z + e[7]) / cw;
      const double dispX = (nx + 1.0) * 0.5 * w, dispY = (ny + 1.0) * 0.5 * h;
      const int px = int(std::floor(dispX)), pyDown = int(std::floor(h - dispY));
      if (!rect.contains(px, pyDown)) continue;
      if (mask.constScanLine(pyDown - rect.top())[px - rect.left()] == 0) continue;
      std::size_t vp = 0;
      const long visible = faceAt(selector, unsigned(px), unsigned(h - 1 - pyDown), &vp);
      bool keep = visible < 0 || std::uint32_t(visible) == f;  // background: nothing in front
      if (!keep) {
        // Another face owns the pixel: keep ours if it lies on (or in front of) that surface.
        const Triangle& vt = mesh->faces[std::size_t(visible)];
        const Vec3 voff = input[vp].offset();
        const Vec3 va = mesh->vertices[vt[0]] + voff;
        const Vec3 vn = normalized(cross(mesh->vertices[vt[1]] - mesh->vertices[vt[0]],
                                         mesh->vertices[vt[2]] - mesh->vertices[vt[0]]));
        const Vec3 dir = parallel ? forward : normalized(g - eye);
        const Vec3 origin = parallel ? g - forward * (2.f * eps + bounds.diagonal()) : eye;
        const float tf = dot(g - origin, dir);
        const float denom = dot(vn, dir);
        keep = std::fabs(denom) < 1e-6f || tf <= dot(vn, va - origin) / denom + eps;
      }
      if (keep) out.push_back(f);
    }
  }
  selector->ClearBuffers();
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace h3d::ui::viewer
