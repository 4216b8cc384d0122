#include "h3dpart/ui/mesh_viewer.h"

#include <vtkActor.h>
#include <vtkActor2D.h>
#include <vtkAxesActor.h>
#include <vtkBoxRepresentation.h>
#include <vtkBoxWidget2.h>
#include <vtkCallbackCommand.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkDataObject.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkHardwareSelector.h>
#include <vtkInteractorStyleTrackballCamera.h>
#include <vtkLightKit.h>
#include <vtkMatrix4x4.h>
#include <vtkNew.h>
#include <vtkOpenGLState.h>
#include <vtkOrientationMarkerWidget.h>
#include <vtkPoints.h>
#include <vtkPolyDataMapper.h>
#include <vtkPolyDataMapper2D.h>
#include <vtkPropCollection.h>
#include <vtkPropPicker.h>
#include <vtkProperty.h>
#include <vtkProperty2D.h>
#include <vtkRenderer.h>
#include <vtkTextActor.h>
#include <vtkTextProperty.h>
#include <QColor>
#include <QElapsedTimer>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QOpenGLContext>
#include <QPainter>
#include <QTimer>
#include <QWheelEvent>

#include <climits>
#include <cmath>
#include <map>
#include <numeric>
#include <unordered_map>
#include <utility>

#include "h3dpart/mesh_io.h"
#include "vtk_scene.h"

// GL enums used with vtkOpenGLState (VTK loads GL itself; no GL header here).
#ifndef GL_DRAW_FRAMEBUFFER
#define GL_DRAW_FRAMEBUFFER 0x8CA9
#endif
#ifndef GL_COLOR_BUFFER_BIT
#define GL_COLOR_BUFFER_BIT 0x00004000
#endif
#ifndef GL_NEAREST
#define GL_NEAREST 0x2600
#endif

namespace h3d::ui {

namespace {

constexpr int kNoPart = MeshViewer::kNoPart;
constexpr double kClickSlop = 4.0;  // px: a press and release closer than this is a click
constexpr double kDabStep = 2.0;    // px between brush dabs
const std::array<float, 3> kSelectionTint{1.0f, 0.9f, 0.15f};  // yellow: not the hover white
const std::array<float, 3> kInputColor{0.78f, 0.78f, 0.80f};
const std::array<float, 3> kUnassignedColor{0.55f, 0.55f, 0.55f};

struct PartActor {
  int label = 0;
  QString name;
  std::array<float, 3> color{};
  Vec3 center;
  std::size_t triangles = 0;
  vtkSmartPointer<vtkActor> actor;
  // Input layer only: the face of the input mesh behind each cell of the actor.
  std::vector<std::uint32_t> faces;
  // Input layer only: the preview faces that fall in this part (null = none).
  vtkSmartPointer<vtkActor> preview;
};

std::array<float, 3> toRgb(const QColor& c) {
  return {float(c.redF()), float(c.greenF()), float(c.blueF())};
}

double distance(QPointF a, QPointF b) {
  return std::hypot(a.x() - b.x(), a.y() - b.y());
}

std::array<float, 3> colorFor(int label) {
  return label < 0 ? kUnassignedColor : h3d::partColor(label);
}

}  // namespace

struct MeshViewer::Impl {
  MeshViewer* q;
  vtkNew<vtkGenericOpenGLRenderWindow> window;
  vtkNew<vtkGenericRenderWindowInteractor> interactor;
  vtkNew<vtkInteractorStyleTrackballCamera> style;
  vtkNew<vtkRenderer> renderer;
  vtkNew<vtkAxesActor> axes;
  vtkNew<vtkOrientationMarkerWidget> axesWidget;
  vtkNew<vtkActor> grid;
  vtkNew<vtkTextActor> hoverText;
  vtkNew<vtkPropPicker> picker;

  MeshPtr mesh;  // the input on screen; a new one resets the camera
  std::vector<PartActor> input;
  std::vector<PartActor> generated;
  bool showGenerated = true;
  std::map<int, bool> hidden;  // by label; absent = visible
  QVector<int> selection;
  double explode = 0.0;
  bool smooth = true;
  bool wireframe = false;
  bool axesOn = true;
  bool gridOn = true;
  Box3 bounds;
  Vec3 center;
  int hovered = kNoPart;
  bool glReady = false;
  bool finishEachFrame = false;
  double lastFrameMs = 0.0;
  QTimer hoverTimer;
  QPoint hoverPos;
  bool dragging = false;
  bool secondOfDoubleClick = false;  // a double-click is one click, not two
  QMetaObject::Connection contextWatch;

  // Name and colour set by setPartStyles, by label (reset by setInput).
  std::map<int, PartStyle> styles;
  std::vector<int> facePart;  // input face -> index in `input`
  std::vector<std::uint32_t> previewFaces;
  QColor previewColor;

  // Tools.
  ViewerTool tool = ViewerTool::Navigate;
  float brushRadius = 0.05f;
  bool leftDown = false;
  bool toolDrag = false;  // the left drag belongs to the tool, not the camera
  QPointF pressPos;
  QPointF lastDabPos;
  Vec3 lastDabPoint;
  bool haveDabPoint = false;
  bool outlineActive = false;
  QPolygonF outline;  // widget pixels
  QPointF cursorPos;
  bool cursorInside = false;
  vtkNew<vtkActor2D> overlay2D;  // outline or brush circle, display pixels

  vtkNew<vtkBoxWidget2> boxWidget;
  vtkNew<vtkBoxRepresentation> boxRep;
  bool boxOn = false;

  explicit Impl(MeshViewer* owner) : q(owner) {}

  std::vector<PartActor>& shown() {
    return showGenerated && !generated.empty() ? generated : input;
  }
  const std::vector<PartActor>& shown() const {
    return showGenerated && !generated.empty() ? generated : input;
  }
  double dpr() const { return q->devicePixelRatioF(); }

  // VTK asks to make its context current / whether it is: the context is Qt's.
  static void onMakeCurrent(vtkObject*, unsigned long, void* clientData, void*) {
    auto* self = static_cast<Impl*>(clientData);
    // QOpenGLWidget::makeCurrent() also binds the widget's framebuffer; done
    // while VTK believes its own is bound, VTK would attach its buffers to
    // Qt's. So only when not current, and then VTK re-reads the bindings.
    if (!self->q->context() || QOpenGLContext::currentContext() == self->q->context()) return;
    self->q->makeCurrent();
    self->window->GetState()->ResetFramebufferBindings();
  }
  static void onIsCurrent(vtkObject*, unsigned long, void* clientData, void* callData) {
    auto* self = static_cast<Impl*>(clientData);
    *static_cast<bool*>(callData) =
        self->q->context() && QOpenGLContext::currentContext() == self->q->context();
  }
  // The interactor's renders become paint requests: Qt decides when to paint.
  static void onRenderRequest(vtkObject*, unsigned long, void* clientData, void*) {
    static_cast<Impl*>(clientData)->q->update();
  }

  PartActor makePart(vtkSmartPointer<vtkPolyData> poly, int label, const QString& name,
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

  void styleActor(PartActor& part, bool highlighted, bool selected = false) {
    vtkProperty* p = part.actor->GetProperty();
    auto c = part.color;
    if (selected)
      for (int i = 0; i < 3; ++i) c[i] = 0.3f * c[i] + 0.7f * kSelectionTint[i];
    if (highlighted)
      for (float& v : c) v = 0.55f * v + 0.45f;
    p->SetColor(c[0], c[1], c[2]);
    p->SetInterpolation(smooth ? VTK_PHONG : VTK_FLAT);
    p->SetEdgeVisibility(wireframe);
    p->SetEdgeColor(0.15, 0.15, 0.2);
    p->SetSpecular(0.2);
    p->SetSpecularPower(20);
    p->SetAmbient(highlighted || selected ? 0.25 : 0.08);
  }

  void removeAll(std::vector<PartActor>& parts) {
    for (auto& p : parts) {
      renderer->RemoveActor(p.actor);
      if (p.preview) renderer->RemoveActor(p.preview);
    }
    parts.clear();
  }

  // The name and colour a part gets: its style if set, else `fallback`.
  void applyStyle(PartActor& part) const {
    auto it = styles.find(part.label);
    if (it == styles.end()) return;
    if (!it->second.name.isEmpty()) part.name = it->second.name;
    if (it->second.color.isValid()) part.color = toRgb(it->second.color);
  }

  bool generatedOnScreen() const { return showGenerated && !generated.empty(); }

  void clearPreviewActors() {
    for (auto& p : input)
      if (p.preview) {
        renderer->RemoveActor(p.preview);
        p.preview = nullptr;
      }
  }

  void buildPreview() {
    clearPreviewActors();
    if (!mesh || previewFaces.empty() || input.empty()) return;
    std::vector<std::vector<std::uint32_t>> perPart(input.size());
    for (auto f : previewFaces)
      if (f < facePart.size()) perPart[std::size_t(facePart[f])].push_back(f);
    const auto rgb = toRgb(previewColor);
    for (std::size_t i = 0; i < input.size(); ++i) {
      if (perPart[i].empty()) continue;
      auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
      mapper->SetInputData(scene::toPolyData(*mesh, &perPart[i]));
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
      p->SetOpacity(previewColor.alphaF());
      p->SetInterpolation(VTK_FLAT);
      input[i].preview = actor;
      renderer->AddActor(actor);
    }
  }

  void applyVisibility() {
    const bool genShown = showGenerated && !generated.empty();
    for (auto& p : input) {
      p.actor->SetVisibility(!genShown && !hidden.count(p.label));
      if (p.preview) p.preview->SetVisibility(p.actor->GetVisibility());
    }
    for (auto& p : generated) {
      p.actor->SetVisibility(genShown && !hidden.count(p.label));
    }
  }

  void applyExplode() {
    // Each part moves out along its centre's offset from the whole's centre.
    for (auto* layer : {&input, &generated})
      for (auto& p : *layer) {
        const Vec3 d = (p.center - center) * float(explode);
        p.actor->SetPosition(d.x, d.y, d.z);
        if (p.preview) p.preview->SetPosition(d.x, d.y, d.z);
      }
  }

  void restyle() {
    for (auto* layer : {&input, &generated})
      for (auto& p : *layer)
        styleActor(p, p.label == hovered && layer == &shown(), selection.contains(p.label));
  }

  // Union of the bounds (as placed, explode included) of the shown parts that
  // `wanted` accepts; false when none.
  template <class Filter>
  bool shownBounds(double b[6], Filter wanted) const {
    const double init[6] = {VTK_DOUBLE_MAX, VTK_DOUBLE_MIN, VTK_DOUBLE_MAX,
                            VTK_DOUBLE_MIN, VTK_DOUBLE_MAX, VTK_DOUBLE_MIN};
    std::copy(init, init + 6, b);
    bool any = false;
    for (const auto& p : shown()) {
      if (!wanted(p)) continue;
      const double* ab = p.actor->GetBounds();
      for (int i = 0; i < 3; ++i) {
        b[2 * i] = std::min(b[2 * i], ab[2 * i]);
        b[2 * i + 1] = std::max(b[2 * i + 1], ab[2 * i + 1]);
      }
      any = true;
    }
    return any;
  }

  void keepShownPartsInView() {
    double b[6];
    const bool any =
        shownBounds(b, [](const PartActor& p) { return bool(p.actor->GetVisibility()); });
    if (!any || q->width() < 1 || q->height() < 1) return;
    vtkCamera* camera = renderer->GetActiveCamera();
    vtkMatrix4x4* m = camera->GetCompositeProjectionTransformMatrix(
        double(q->width()) / double(q->height()), -1, 1);
    for (int corner = 0; corner < 8; ++corner) {
      const double in[4] = {b[corner & 1 ? 1 : 0], b[corner & 2 ? 3 : 2], b[corner & 4 ? 5 : 4], 1};
      double out[4];
      m->MultiplyPoint(in, out);
      if (out[3] <= 0 || std::abs(out[0] / out[3]) > 0.95 || std::abs(out[1] / out[3]) > 0.95) {
        renderer->ResetCamera(b);
        return;
      }
    }
  }

  void updateGrid() {
    if (bounds.empty()) {
      grid->SetVisibility(false);
      return;
    }
    auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    mapper->SetInputData(scene::floorGrid(bounds));
    grid->SetMapper(mapper);
    grid->GetProperty()->SetColor(0.55, 0.58, 0.65);
    grid->GetProperty()->SetOpacity(0.6);
    grid->GetProperty()->LightingOff();
    grid->PickableOff();
    grid->SetVisibility(gridOn);
  }

  void setHovered(int label) {
    if (label == hovered) return;
    hovered = label;
    restyle();
    QString name;
    if (label != kNoPart) {
      for (const auto& p : shown())
        if (p.label == label) name = p.name;
    }
    hoverText->SetInput(name.toUtf8().constData());
    hoverText->SetVisibility(!name.isEmpty());
    q->update();
    Q_EMIT q->hoveredPartChanged(label, name);
  }

  // Picks the part under the cursor by rendering ids (one extra frame, any mesh size).
  void pickHover() {
    if (!glReady || dragging || !q->isVisible()) return;
    const auto& parts = shown();
    if (parts.size() < 2) {  // one mesh: nothing to tell apart
      setHovered(kNoPart);
      return;
    }
    setHovered(pickPart(hoverPos));
  }

  // The part of the layer on screen under a widget point (kNoPart: none).
  int pickPart(QPointF pos) {
    if (!glReady || !q->isVisible()) return kNoPart;
    const double r = dpr();
    const int x = int(pos.x() * r);
    const int y = int((q->height() - pos.y()) * r) - 1;
    q->makeCurrent();
    int label = kNoPart;
    if (picker->Pick(x, y, 0, renderer)) {
      vtkProp* prop = picker->GetViewProp();
      for (const auto& p : shown())
        if (p.actor.Get() == prop) label = p.label;
    }
    return label;
  }

  int deviceWidth() const { return qMax(1, int(std::lround(q->width() * dpr()))); }
  int deviceHeight() const { return qMax(1, int(std::lround(q->height() * dpr()))); }

  // Widget (logical, y down) <-> VTK display (device, y up) coordinates.
  void toDisplay(QPointF pos, double& x, double& y) const {
    x = pos.x() * dpr();
    y = deviceHeight() - pos.y() * dpr();
  }

  Vec3 offsetOf(const PartActor& part) const {
    const double* p = part.actor->GetPosition();
    return {float(p[0]), float(p[1]), float(p[2])};
  }

  // Renders the selection buffers (cell ids) of the visible input parts over a
  // display-pixel area; everything else is hidden while it renders.
  bool captureInput(vtkHardwareSelector* selector, int x0, int y0, int x1, int y1) {
    if (!glReady || !q->isVisible() || generatedOnScreen() || input.empty()) return false;
    const int w = deviceWidth(), h = deviceHeight();
    x0 = std::clamp(x0, 0, w - 1);
    x1 = std::clamp(x1, 0, w - 1);
    y0 = std::clamp(y0, 0, h - 1);
    y1 = std::clamp(y1, 0, h - 1);
    if (x1 < x0 || y1 < y0) return false;
    q->makeCurrent();
    std::vector<vtkProp*> hiddenNow;
    vtkPropCollection* props = renderer->GetViewProps();
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
    const bool axesWere = axesWidget->GetEnabled();
    if (axesWere) axesWidget->SetEnabled(false);
    selector->SetRenderer(renderer);
    selector->SetFieldAssociation(vtkDataObject::FIELD_ASSOCIATION_CELLS);
    selector->SetArea(unsigned(x0), unsigned(y0), unsigned(x1), unsigned(y1));
    const bool ok = selector->CaptureBuffers();
    for (vtkProp* prop : hiddenNow) prop->SetVisibility(true);
    if (axesWere) axesWidget->SetEnabled(true);
    return ok;
  }

  // The input part and face a selection pixel shows (-1: none).
  long faceAt(vtkHardwareSelector* selector, unsigned x, unsigned y, std::size_t* part) const {
    const unsigned pos[2] = {x, y};
    const auto info = selector->GetPixelInformation(pos);
    if (!info.Valid || info.AttributeID < 0) return -1;
    for (std::size_t i = 0; i < input.size(); ++i)
      if (input[i].actor.Get() == info.Prop) {
        if (std::size_t(info.AttributeID) >= input[i].faces.size()) return -1;
        if (part) *part = i;
        return long(input[i].faces[std::size_t(info.AttributeID)]);
      }
    return -1;
  }

  // The camera ray through a display point, in world coordinates.
  void rayAt(double x, double y, Vec3& origin, Vec3& direction) {
    double p0[4], p1[4];
    renderer->SetDisplayPoint(x, y, 0.0);
    renderer->DisplayToWorld();
    renderer->GetWorldPoint(p0);
    renderer->SetDisplayPoint(x, y, 1.0);
    renderer->DisplayToWorld();
    renderer->GetWorldPoint(p1);
    for (double* p : {p0, p1})
      if (p[3] != 0.0)
        for (int i = 0; i < 3; ++i) p[i] /= p[3];
    origin = {float(p0[0]), float(p0[1]), float(p0[2])};
    direction = normalized(Vec3{float(p1[0] - p0[0]), float(p1[1] - p0[1]), float(p1[2] - p0[2])});
  }

  long pickFace(QPointF pos, Vec3* point) {
    if (!mesh) return -1;
    double dx = 0, dy = 0;
    toDisplay(pos, dx, dy);
    const int x = int(std::floor(dx)), y = deviceHeight() - 1 - int(std::floor(pos.y() * dpr()));
    if (x < 0 || y < 0 || x >= deviceWidth() || y >= deviceHeight()) return -1;
    vtkNew<vtkHardwareSelector> selector;
    if (!captureInput(selector, x, y, x, y)) return -1;
    std::size_t part = 0;
    const long face = faceAt(selector, unsigned(x), unsigned(y), &part);
    selector->ClearBuffers();
    if (face < 0) return -1;
    if (point) {
      const Vec3 off = offsetOf(input[part]);
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

  QPointF project(const Vec3& p) {
    renderer->SetWorldPoint(p.x, p.y, p.z, 1.0);
    renderer->WorldToDisplay();
    double d[3];
    renderer->GetDisplayPoint(d);
    return {d[0] / dpr(), (deviceHeight() - d[1]) / dpr()};
  }

  std::vector<std::uint32_t> facesInside(const QPolygonF& polygon) {
    std::vector<std::uint32_t> out;
    if (!mesh || polygon.size() < 3 || !glReady || !q->isVisible() || generatedOnScreen())
      return out;
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
    if (!captureInput(selector, rect.left(), h - 1 - rect.bottom(), rect.right(),
                      h - 1 - rect.top()))
      return out;

    vtkCamera* camera = renderer->GetActiveCamera();
    vtkMatrix4x4* m =
        camera->GetCompositeProjectionTransformMatrix(renderer->GetTiledAspectRatio(), -1, 1);
    double e[16];
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) e[4 * i + j] = m->GetElement(i, j);
    const bool parallel = camera->GetParallelProjection();
    double cp[3], dop[3];
    camera->GetPosition(cp);
    camera->GetDirectionOfProjection(dop);
    const Vec3 eye{float(cp[0]), float(cp[1]), float(cp[2])};
    const Vec3 forward{float(dop[0]), float(dop[1]), float(dop[2])};
    const float eps = 2e-3f * std::max(bounds.diagonal(), 1e-6f);

    for (std::size_t pi = 0; pi < input.size(); ++pi) {
      const PartActor& part = input[pi];
      if (!part.actor->GetVisibility()) continue;
      const Vec3 off = offsetOf(part);
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
          const Vec3 voff = offsetOf(input[vp]);
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

  // Screen radius of the brush, in device pixels, at the depth of the last dab
  // (or of the focal point).
  double brushPixels() {
    vtkCamera* camera = renderer->GetActiveCamera();
    const double h = deviceHeight();
    if (camera->GetParallelProjection())
      return brushRadius / std::max(camera->GetParallelScale(), 1e-9) * h * 0.5;
    double cp[3], fp[3], dop[3];
    camera->GetPosition(cp);
    camera->GetFocalPoint(fp);
    camera->GetDirectionOfProjection(dop);
    const double ref[3] = {haveDabPoint ? lastDabPoint.x : fp[0],
                           haveDabPoint ? lastDabPoint.y : fp[1],
                           haveDabPoint ? lastDabPoint.z : fp[2]};
    double depth = 0;
    for (int i = 0; i < 3; ++i) depth += (ref[i] - cp[i]) * dop[i];
    depth = std::max(depth, 1e-6);
    const double half = std::tan(camera->GetViewAngle() * M_PI / 360.0);
    return brushRadius / (depth * half) * h * 0.5;
  }

  // The 2D overlay: the lasso/rectangle outline, or the brush circle.
  void updateOverlay() {
    auto points = vtkSmartPointer<vtkPoints>::New();
    const double hdev = deviceHeight();
    auto add = [&](QPointF p) {
      return points->InsertNextPoint(p.x() * dpr(), hdev - p.y() * dpr(), 0.0);
    };
    std::vector<vtkIdType> ids;
    if (outlineActive && outline.size() >= 2) {
      for (const QPointF& p : outline) ids.push_back(add(p));
      ids.push_back(ids.front());
    } else if (tool == ViewerTool::Brush && cursorInside) {
      const double rpx = std::max(brushPixels(), 2.0) / dpr();
      constexpr int kSegments = 48;
      for (int i = 0; i <= kSegments; ++i) {
        const double a = 2 * M_PI * i / kSegments;
        ids.push_back(add(cursorPos + QPointF(rpx * std::cos(a), rpx * std::sin(a))));
      }
    }
    if (ids.size() < 2) {
      overlay2D->SetVisibility(false);
      return;
    }
    auto lines = vtkSmartPointer<vtkCellArray>::New();
    lines->InsertNextCell(vtkIdType(ids.size()), ids.data());
    auto poly = vtkSmartPointer<vtkPolyData>::New();
    poly->SetPoints(points);
    poly->SetLines(lines);
    auto mapper = vtkSmartPointer<vtkPolyDataMapper2D>::New();
    mapper->SetInputData(poly);
    overlay2D->SetMapper(mapper);
    overlay2D->SetVisibility(true);
  }

  void cancelOutline() {
    outlineActive = false;
    outline.clear();
    updateOverlay();
    q->update();
  }

  bool toolOwnsLeft(Qt::KeyboardModifiers mods) const {
    const bool drawing =
        tool == ViewerTool::Brush || tool == ViewerTool::Lasso || tool == ViewerTool::Rectangle;
    return drawing && !(mods & Qt::AltModifier);  // Alt+left still rotates
  }

  void toolPress(QPointF pos) {
    switch (tool) {
      case ViewerTool::Brush:
        lastDabPos = pos;
        dab(pos);
        break;
      case ViewerTool::Lasso:
        outlineActive = true;
        outline = QPolygonF{pos};
        break;
      case ViewerTool::Rectangle:
        outlineActive = true;
        outline = QPolygonF{pos, pos, pos, pos};
        break;
      default:
        break;
    }
    updateOverlay();
    q->update();
  }

  void toolMove(QPointF pos) {
    switch (tool) {
      case ViewerTool::Brush:
        if (distance(pos, lastDabPos) >= kDabStep) {
          lastDabPos = pos;
          dab(pos);
        }
        break;
      case ViewerTool::Lasso:
        if (outlineActive && distance(pos, outline.back()) >= 2.0) outline << pos;
        break;
      case ViewerTool::Rectangle:
        if (outlineActive)
          outline = QPolygonF{pressPos, QPointF(pos.x(), pressPos.y()), pos,
                              QPointF(pressPos.x(), pos.y())};
        break;
      default:
        break;
    }
    updateOverlay();
    q->update();
  }

  void toolRelease(QPointF pos, Qt::KeyboardModifiers mods) {
    switch (tool) {
      case ViewerTool::Brush:
        Q_EMIT q->brushStrokeFinished();
        break;
      case ViewerTool::Lasso:
      case ViewerTool::Rectangle: {
        if (!outlineActive) break;  // cancelled with Escape
        toolMove(pos);
        const QPolygonF shape = outline;
        cancelOutline();
        const QRectF box = shape.boundingRect();
        if (shape.size() >= 3 && box.width() >= 2 && box.height() >= 2)
          Q_EMIT q->facesSelected(facesInside(shape), mods);
        break;
      }
      default:
        break;
    }
    updateOverlay();
    q->update();
  }

  void dab(QPointF pos) {
    Vec3 point;
    const long face = pickFace(pos, &point);
    if (face < 0) return;
    lastDabPoint = point;
    haveDabPoint = true;
    Q_EMIT q->brushDab(quint32(face), point);
  }

  // A left click (press and release within kClickSlop) that the camera had.
  void click(QPointF pos, Qt::KeyboardModifiers mods) {
    switch (tool) {
      case ViewerTool::Navigate:
        Q_EMIT q->partClicked(pickPart(pos), mods);
        break;
      case ViewerTool::Prompt:
      case ViewerTool::Split: {
        Vec3 point;
        const long face = pickFace(pos, &point);
        if (face >= 0) Q_EMIT q->surfaceClicked(quint32(face), point, mods);
        break;
      }
      default:
        break;
    }
  }

  static void onBoxEdited(vtkObject*, unsigned long, void* clientData, void*) {
    auto* self = static_cast<Impl*>(clientData);
    Q_EMIT self->q->boxEdited(self->currentBox());
  }

  Box3 currentBox() {
    Box3 box;
    if (!boxOn) return box;
    const double* b = boxRep->GetBounds();
    box.add(Vec3{float(b[0]), float(b[2]), float(b[4])});
    box.add(Vec3{float(b[1]), float(b[3]), float(b[5])});
    return box;
  }
};

MeshViewer::MeshViewer(QWidget* parent) : QOpenGLWidget(parent), d_(std::make_unique<Impl>(this)) {
  setFocusPolicy(Qt::StrongFocus);
  setMouseTracking(true);
  setMinimumSize(320, 240);

  auto& d = *d_;
  // The window renders only inside paintGL, into its own framebuffer, which we blit.
  d.window->SetReadyForRendering(false);
  d.window->SetFrameBlitModeToNoBlit();
  d.window->SetMultiSamples(0);
  d.window->AddRenderer(d.renderer);
  d.window->SetInteractor(d.interactor);
  auto observe = [&](vtkObject* object, unsigned long event,
                     void (*fn)(vtkObject*, unsigned long, void*, void*)) {
    vtkNew<vtkCallbackCommand> cb;
    cb->SetCallback(fn);
    cb->SetClientData(&d);
    object->AddObserver(event, cb);
  };
  observe(d.window, vtkCommand::WindowMakeCurrentEvent, &Impl::onMakeCurrent);
  observe(d.window, vtkCommand::WindowIsCurrentEvent, &Impl::onIsCurrent);
  d.interactor->SetRenderWindow(d.window);
  d.interactor->SetInteractorStyle(d.style);
  d.interactor->EnableRenderOff();
  observe(d.interactor, vtkCommand::RenderEvent, &Impl::onRenderRequest);

  // A key/fill/back light kit: a headlight alone leaves surfaces facing up
  // (table tops, floors) dark in the default three-quarter view.
  vtkNew<vtkLightKit> lights;
  lights->AddLightsToRenderer(d.renderer);
  d.renderer->GradientBackgroundOn();
  d.renderer->SetBackground(0.82, 0.84, 0.88);
  d.renderer->SetBackground2(0.36, 0.39, 0.46);
  d.renderer->AddActor(d.grid);
  d.grid->SetVisibility(false);

  d.hoverText->GetTextProperty()->SetFontSize(16);
  d.hoverText->GetTextProperty()->SetColor(1, 1, 1);
  d.hoverText->GetTextProperty()->SetShadow(true);
  d.hoverText->SetDisplayPosition(12, 12);
  d.hoverText->SetVisibility(false);
  d.hoverText->PickableOff();
  d.renderer->AddViewProp(d.hoverText);
  d.picker->PickFromListOff();

  d.axesWidget->SetOrientationMarker(d.axes);
  d.axesWidget->SetInteractor(d.interactor);
  d.axesWidget->SetViewport(0.0, 0.8, 0.2, 1.0);
  d.axesWidget->SetDefaultRenderer(d.renderer);

  // Outline and brush circle: lines in display pixels over the scene.
  d.overlay2D->GetProperty()->SetColor(1.0, 0.85, 0.2);
  d.overlay2D->GetProperty()->SetLineWidth(2.0f);
  d.overlay2D->PickableOff();
  d.overlay2D->SetVisibility(false);
  d.renderer->AddViewProp(d.overlay2D);

  // Coincident surfaces (the preview over its part) resolved by polygon offset;
  // the preview's mappers add a negative relative offset on top.
  vtkMapper::SetResolveCoincidentTopologyToPolygonOffset();

  // Box tool: an axis-aligned box (no rotation) with face handles.
  d.boxRep->SetPlaceFactor(1.0);
  d.boxRep->SetHandleSize(6.0);
  d.boxWidget->SetRepresentation(d.boxRep);
  d.boxWidget->SetInteractor(d.interactor);
  d.boxWidget->SetDefaultRenderer(d.renderer);
  d.boxWidget->RotationEnabledOff();
  observe(d.boxWidget, vtkCommand::EndInteractionEvent, &Impl::onBoxEdited);

  qRegisterMetaType<h3d::Vec3>();
  qRegisterMetaType<h3d::Box3>();
  qRegisterMetaType<std::vector<std::uint32_t>>();

  d.hoverTimer.setSingleShot(true);
  d.hoverTimer.setInterval(40);
  connect(&d.hoverTimer, &QTimer::timeout, this, [this] { d_->pickHover(); });
}

MeshViewer::~MeshViewer() {
  // Release GL objects while our context still exists.
  // Qt destroys the context after this body; our handler must not run then.
  if (d_->contextWatch) disconnect(d_->contextWatch);
  if (context()) {
    makeCurrent();
    d_->window->Finalize();
    doneCurrent();
  }
}

void MeshViewer::setInput(MeshPtr mesh, SegmentationPtr segmentation) {
  auto& d = *d_;
  const bool newMesh = mesh != d.mesh;
  d.mesh = mesh;
  d.hovered = kNoPart;
  d.hidden.clear();
  d.selection.clear();
  d.styles.clear();
  d.clearPreviewActors();
  d.previewFaces.clear();
  d.haveDabPoint = false;
  d.bounds = mesh ? mesh->bounds() : Box3{};
  d.center = d.bounds.empty() ? Vec3{} : d.bounds.center();

  // The same mesh again (a new segmentation of it): parts whose faces did not
  // change keep their actors, so a small edit rebuilds only what it touched.
  std::vector<PartActor> old = std::move(d.input);
  d.input.clear();
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
    d.input.reserve(groups.size());
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
        d.input.push_back(std::move(part));
        continue;
      }
      Box3 box;
      for (auto f : group.faces)
        for (auto v : mesh->faces[f]) box.add(mesh->vertices[v]);
      const std::size_t count = group.faces.size();
      d.input.push_back(
          d.makePart(scene::toPolyData(*mesh, &group.faces), group.label, name, color, box, count));
      d.input.back().faces = std::move(group.faces);
      added.push_back(&d.input.back());
    }
    d.facePart.assign(mesh->faces.size(), 0);
    for (std::size_t i = 0; i < d.input.size(); ++i)
      for (auto f : d.input[i].faces) d.facePart[f] = int(i);
  } else {
    d.facePart.clear();
  }
  for (auto& p : old)
    if (p.actor) d.renderer->RemoveActor(p.actor);
  for (PartActor* p : added) d.renderer->AddActor(p->actor);
  d.updateGrid();
  d.applyExplode();
  d.applyVisibility();
  d.restyle();
  if (newMesh) resetView();
  d.updateOverlay();
  update();
  Q_EMIT partsChanged();
}

void MeshViewer::setGenerated(GeneratedPartsPtr parts) {
  auto& d = *d_;
  d.removeAll(d.generated);
  if (parts) {
    for (const PartMesh& part : parts->parts) {
      if (part.mesh.empty()) continue;
      const QString name = part.name.empty() ? QStringLiteral("part_%1").arg(part.label)
                                             : QString::fromStdString(part.name);
      d.generated.push_back(d.makePart(scene::toPolyData(part.mesh), part.label, name,
                                       colorFor(part.label), part.mesh.bounds(),
                                       part.mesh.faces.size()));
      d.applyStyle(d.generated.back());
      d.renderer->AddActor(d.generated.back().actor);
    }
  }
  d.hovered = kNoPart;
  d.applyExplode();
  d.applyVisibility();
  d.restyle();
  update();
  Q_EMIT partsChanged();
}

void MeshViewer::setShowGenerated(bool on) {
  if (d_->showGenerated == on) return;
  d_->showGenerated = on;
  d_->hovered = kNoPart;
  d_->applyVisibility();
  d_->restyle();
  update();
  Q_EMIT partsChanged();
}

bool MeshViewer::showGenerated() const {
  return d_->showGenerated;
}
bool MeshViewer::hasGenerated() const {
  return !d_->generated.empty();
}

void MeshViewer::clear() {
  setGenerated(nullptr);
  setInput(nullptr);
}

QVector<int> MeshViewer::partLabels() const {
  QVector<int> labels;
  for (const auto& p : d_->shown()) labels << p.label;
  return labels;
}

QString MeshViewer::partName(int label) const {
  for (const auto& p : d_->shown())
    if (p.label == label) return p.name;
  return {};
}

QColor MeshViewer::partColor(int label) const {
  for (const auto& p : d_->shown())
    if (p.label == label) return QColor::fromRgbF(p.color[0], p.color[1], p.color[2]);
  return {};
}

void MeshViewer::setPartVisible(int label, bool visible) {
  if (visible)
    d_->hidden.erase(label);
  else
    d_->hidden[label] = true;
  d_->applyVisibility();
  update();
}

bool MeshViewer::partVisible(int label) const {
  return !d_->hidden.count(label);
}

void MeshViewer::setSelectedParts(const QVector<int>& labels) {
  d_->selection = labels;
  d_->restyle();
  update();
}

QVector<int> MeshViewer::selectedParts() const {
  return d_->selection;
}

void MeshViewer::setPartStyles(const QVector<PartStyle>& styles) {
  auto& d = *d_;
  for (const PartStyle& style : styles) {
    d.styles[style.label] = style;
    if (style.visible)
      d.hidden.erase(style.label);
    else
      d.hidden[style.label] = true;
  }
  for (auto* layer : {&d.input, &d.generated})
    for (auto& p : *layer) d.applyStyle(p);
  d.applyVisibility();
  d.restyle();
  if (d.hovered != kNoPart) {  // the hover label follows a rename
    const QString name = partName(d.hovered);
    d.hoverText->SetInput(name.toUtf8().constData());
  }
  update();
  Q_EMIT partsChanged();
}

void MeshViewer::setTool(ViewerTool tool) {
  auto& d = *d_;
  if (d.outlineActive) d.cancelOutline();
  d.tool = tool;
  // The box stays on screen in every tool but takes the mouse only in Box.
  d.boxWidget->SetProcessEvents(tool == ViewerTool::Box);
  switch (tool) {
    case ViewerTool::Prompt:
    case ViewerTool::Split:
    case ViewerTool::Lasso:
    case ViewerTool::Rectangle:
    case ViewerTool::Brush:
      setCursor(Qt::CrossCursor);
      break;
    case ViewerTool::Box:
      setCursor(Qt::SizeAllCursor);
      break;
    case ViewerTool::Navigate:
      setCursor(Qt::ArrowCursor);
      break;
  }
  d.updateOverlay();
  update();
}

ViewerTool MeshViewer::tool() const {
  return d_->tool;
}

void MeshViewer::setBrushRadius(float worldRadius) {
  d_->brushRadius = std::max(worldRadius, 0.0f);
  d_->updateOverlay();
  update();
}

float MeshViewer::brushRadius() const {
  return d_->brushRadius;
}

void MeshViewer::setPreviewFaces(const std::vector<std::uint32_t>& faces, const QColor& color) {
  auto& d = *d_;
  d.previewFaces = faces;
  d.previewColor = color.isValid() ? color : QColor(255, 140, 0);
  d.buildPreview();
  d.applyExplode();
  d.applyVisibility();
  update();
}

void MeshViewer::showBox(const Box3& box) {
  auto& d = *d_;
  if (box.empty()) {
    hideBox();
    return;
  }
  double b[6] = {box.lo.x, box.hi.x, box.lo.y, box.hi.y, box.lo.z, box.hi.z};
  if (!d.boxOn) {
    d.boxWidget->SetProcessEvents(d.tool == ViewerTool::Box);
    d.boxWidget->On();
    d.boxOn = true;
  }
  d.boxRep->PlaceWidget(b);
  update();
}

void MeshViewer::hideBox() {
  auto& d = *d_;
  if (!d.boxOn) return;
  d.boxWidget->Off();
  d.boxOn = false;
  update();
}

bool MeshViewer::boxShown() const {
  return d_->boxOn;
}

Box3 MeshViewer::boxBounds() const {
  return d_->currentBox();
}

long MeshViewer::pickFace(const QPointF& widgetPos, Vec3* point) {
  return d_->pickFace(widgetPos, point);
}

QPointF MeshViewer::projectToWidget(const Vec3& point) {
  return d_->project(point);
}

std::vector<std::uint32_t> MeshViewer::facesInside(const QPolygonF& widgetPolygon) {
  return d_->facesInside(widgetPolygon);
}

void MeshViewer::setExplode(double amount) {
  const double clamped = std::clamp(amount, 0.0, 2.0);
  if (clamped == d_->explode) return;
  const bool widening = clamped > d_->explode;
  d_->explode = clamped;
  d_->applyExplode();
  // Parts moved out of the frame: back the camera off (same direction) so
  // every part stays in view. Never zooms in: the user's framing is kept.
  if (widening) d_->keepShownPartsInView();
  update();
  Q_EMIT explodeChanged(d_->explode);
}

double MeshViewer::explode() const {
  return d_->explode;
}

void MeshViewer::setSmoothShading(bool on) {
  d_->smooth = on;
  d_->restyle();
  update();
}

void MeshViewer::setWireframe(bool on) {
  d_->wireframe = on;
  d_->restyle();
  update();
}

void MeshViewer::setAxesVisible(bool on) {
  d_->axesOn = on;
  if (d_->glReady) d_->axesWidget->SetEnabled(on);
  update();
}

void MeshViewer::setGridVisible(bool on) {
  d_->gridOn = on;
  d_->grid->SetVisibility(on && !d_->bounds.empty());
  update();
}

bool MeshViewer::smoothShading() const {
  return d_->smooth;
}
bool MeshViewer::wireframe() const {
  return d_->wireframe;
}
bool MeshViewer::axesVisible() const {
  return d_->axesOn;
}
bool MeshViewer::gridVisible() const {
  return d_->gridOn;
}

void MeshViewer::resetView() {
  auto& d = *d_;
  vtkCamera* camera = d.renderer->GetActiveCamera();
  camera->SetFocalPoint(0, 0, 0);
  camera->SetPosition(1.0, 0.7, 1.6);  // a three-quarter view from the front
  camera->SetViewUp(0, 1, 0);
  if (d.bounds.empty()) {
    d.renderer->ResetCamera();
  } else {
    const Vec3 c = d.center;
    camera->SetFocalPoint(c.x, c.y, c.z);
    camera->SetPosition(c.x + 1.0, c.y + 0.7, c.z + 1.6);
    d.renderer->ResetCamera(d.bounds.lo.x, d.bounds.hi.x, d.bounds.lo.y, d.bounds.hi.y,
                            d.bounds.lo.z, d.bounds.hi.z);
  }
  update();
}

void MeshViewer::fitToSelection() {
  auto& d = *d_;
  double b[6];
  const bool any = d.shownBounds(b, [&d](const PartActor& p) {
    return d.selection.isEmpty() ? bool(p.actor->GetVisibility()) : d.selection.contains(p.label);
  });
  if (!any) return;
  d.renderer->ResetCamera(b);
  update();
}

void MeshViewer::rotateCamera(double degrees) {
  d_->renderer->GetActiveCamera()->Azimuth(degrees);
  update();
}

int MeshViewer::hoveredPart() const {
  return d_->hovered;
}

QImage MeshViewer::renderImage() {
  return grabFramebuffer();
}

double MeshViewer::lastFrameMs() const {
  return d_->lastFrameMs;
}

void MeshViewer::setFinishEachFrame(bool on) {
  d_->finishEachFrame = on;
}

std::size_t MeshViewer::triangleCount() const {
  std::size_t n = 0;
  for (const auto& p : d_->shown()) n += p.triangles;
  return n;
}

void MeshViewer::initializeGL() {
  auto& d = *d_;
  // Finalise VTK's GL objects before Qt destroys this context (reparenting,
  // closing): later, with another context, VTK starts afresh.
  if (d.contextWatch) disconnect(d.contextWatch);
  d.contextWatch = connect(
      context(), &QOpenGLContext::aboutToBeDestroyed, this,
      [this] {
        makeCurrent();
        d_->window->Finalize();
        d_->window->SetReadyForRendering(false);
        d_->glReady = false;
      },
      Qt::DirectConnection);
  d.window->SetOwnContext(false);
  d.window->OpenGLInitContext();
  d.window->SetReadyForRendering(true);
  d.glReady = true;
  d.axesWidget->SetEnabled(true);
  d.axesWidget->InteractiveOff();  // a marker only: it must not steal drags
  d.axesWidget->SetEnabled(d.axesOn);
}

void MeshViewer::resizeGL(int, int) {
  // Qt passes device-independent sizes; VTK works in device pixels.
  const int w = qMax(1, int(std::lround(width() * devicePixelRatioF())));
  const int h = qMax(1, int(std::lround(height() * devicePixelRatioF())));
  d_->window->SetSize(w, h);
  d_->interactor->SetSize(w, h);
  d_->hoverText->SetDisplayPosition(int(12 * devicePixelRatioF()), int(12 * devicePixelRatioF()));
  d_->hoverText->GetTextProperty()->SetFontSize(int(16 * devicePixelRatioF()));
}

void MeshViewer::paintGL() {
  auto& d = *d_;
  if (!d.glReady) return;
  QElapsedTimer clock;
  clock.start();
  const int w = qMax(1, int(std::lround(width() * devicePixelRatioF())));
  const int h = qMax(1, int(std::lround(height() * devicePixelRatioF())));
  if (d.window->GetSize()[0] != w || d.window->GetSize()[1] != h) resizeGL(width(), height());

  vtkOpenGLState* state = d.window->GetState();
  state->Reset();  // Qt changed GL state behind VTK's back
  state->Push();
  d.window->Render();
  // VTK rendered into its own framebuffer; copy it into the widget's (never 0).
  state->vtkglBindFramebuffer(GL_DRAW_FRAMEBUFFER, defaultFramebufferObject());
  d.window->BlitDisplayFramebuffer(0, 0, 0, w, h, 0, 0, w, h, GL_COLOR_BUFFER_BIT, GL_NEAREST);
  // The widget is composited with alpha: make every pixel opaque.
  state->vtkglColorMask(false, false, false, true);
  state->vtkglClearColor(0, 0, 0, 1);
  state->vtkglClear(GL_COLOR_BUFFER_BIT);
  state->vtkglColorMask(true, true, true, true);
  if (d.finishEachFrame) d.window->WaitForCompletion();
  state->Pop();
  d.lastFrameMs = double(clock.nsecsElapsed()) / 1e6;
  Q_EMIT frameRendered(d.lastFrameMs);
}

bool MeshViewer::event(QEvent* event) {
  switch (event->type()) {
    case QEvent::Enter:
      d_->interactor->EnterEvent();
      break;
    default:
      break;
  }
  return QOpenGLWidget::event(event);
}

namespace {

void setEventInfo(vtkRenderWindowInteractor* rwi, QPointF pos, Qt::KeyboardModifiers mods,
                  double dpr, bool repeat) {
  rwi->SetEventInformationFlipY(int(pos.x() * dpr), int(pos.y() * dpr),
                                (mods & Qt::ControlModifier) ? 1 : 0,
                                (mods & Qt::ShiftModifier) ? 1 : 0, 0, repeat ? 1 : 0);
  rwi->SetAltKey((mods & Qt::AltModifier) ? 1 : 0);
}

unsigned long pressEventFor(Qt::MouseButton b) {
  switch (b) {
    case Qt::LeftButton:
      return vtkCommand::LeftButtonPressEvent;
    case Qt::MiddleButton:
      return vtkCommand::MiddleButtonPressEvent;
    case Qt::RightButton:
      return vtkCommand::RightButtonPressEvent;
    default:
      return vtkCommand::NoEvent;
  }
}

unsigned long releaseEventFor(Qt::MouseButton b) {
  switch (b) {
    case Qt::LeftButton:
      return vtkCommand::LeftButtonReleaseEvent;
    case Qt::MiddleButton:
      return vtkCommand::MiddleButtonReleaseEvent;
    case Qt::RightButton:
      return vtkCommand::RightButtonReleaseEvent;
    default:
      return vtkCommand::NoEvent;
  }
}

}  // namespace

void MeshViewer::mousePressEvent(QMouseEvent* e) {
  auto& d = *d_;
  const unsigned long ev = pressEventFor(e->button());
  if (ev == vtkCommand::NoEvent) return;
  d.dragging = true;
  if (e->button() == Qt::LeftButton) {
    d.leftDown = true;
    d.pressPos = e->position();
    d.toolDrag = d.toolOwnsLeft(e->modifiers());
    if (d.toolDrag) {
      d.toolPress(e->position());
      e->accept();
      return;
    }
  }
  setEventInfo(d.interactor, e->position(), e->modifiers(), devicePixelRatioF(), false);
  d.interactor->InvokeEvent(ev);
  e->accept();
}

void MeshViewer::mouseDoubleClickEvent(QMouseEvent* e) {
  auto& d = *d_;
  const unsigned long ev = pressEventFor(e->button());
  if (ev == vtkCommand::NoEvent) return;
  d.dragging = true;
  if (e->button() == Qt::LeftButton) {
    d.leftDown = true;
    d.pressPos = e->position();
    d.secondOfDoubleClick = true;  // its release is not a second click
    d.toolDrag = d.toolOwnsLeft(e->modifiers());
    if (d.toolDrag) {  // a second press of a tool: one more stroke
      d.toolPress(e->position());
      e->accept();
      return;
    }
  }
  setEventInfo(d.interactor, e->position(), e->modifiers(), devicePixelRatioF(), true);
  d.interactor->InvokeEvent(ev);
  e->accept();
}

void MeshViewer::mouseReleaseEvent(QMouseEvent* e) {
  auto& d = *d_;
  const unsigned long ev = releaseEventFor(e->button());
  if (ev == vtkCommand::NoEvent) return;
  const bool repeat = e->button() == Qt::LeftButton && std::exchange(d.secondOfDoubleClick, false);
  if (e->button() == Qt::LeftButton && d.leftDown) {
    d.leftDown = false;
    if (d.toolDrag) {
      d.toolDrag = false;
      d.dragging = e->buttons() != Qt::NoButton;
      d.toolRelease(e->position(), e->modifiers());
      e->accept();
      return;
    }
  }
  setEventInfo(d.interactor, e->position(), e->modifiers(), devicePixelRatioF(), false);
  d.interactor->InvokeEvent(ev);
  d.dragging = e->buttons() != Qt::NoButton;
  if (e->button() == Qt::LeftButton && !repeat && distance(e->position(), d.pressPos) < kClickSlop)
    d.click(e->position(), e->modifiers());
  e->accept();
}

void MeshViewer::mouseMoveEvent(QMouseEvent* e) {
  auto& d = *d_;
  d.cursorPos = e->position();
  d.cursorInside = true;
  if (d.toolDrag && (e->buttons() & Qt::LeftButton)) {
    d.toolMove(e->position());
    e->accept();
    return;
  }
  setEventInfo(d.interactor, e->position(), e->modifiers(), devicePixelRatioF(), false);
  d.interactor->InvokeEvent(vtkCommand::MouseMoveEvent);
  if (e->buttons() == Qt::NoButton) {
    d.hoverPos = e->position().toPoint();
    d.hoverTimer.start();  // pick once the cursor rests, not on every move
  }
  if (d.tool == ViewerTool::Brush) {  // the circle follows the cursor
    d.updateOverlay();
    update();
  }
  e->accept();
}

void MeshViewer::wheelEvent(QWheelEvent* e) {
  setEventInfo(d_->interactor, e->position(), e->modifiers(), devicePixelRatioF(), false);
  const int dy = e->angleDelta().y();
  if (dy > 0)
    d_->interactor->InvokeEvent(vtkCommand::MouseWheelForwardEvent);
  else if (dy < 0)
    d_->interactor->InvokeEvent(vtkCommand::MouseWheelBackwardEvent);
  e->accept();
}

// Keys go to the interactor as Key{Press,Release}Events only: VTK's built-in
// character shortcuts (e exits, w/s restyle every actor, 3 stereo) would fight
// the window's own actions, so CharEvent is not sent.
void MeshViewer::keyPressEvent(QKeyEvent* e) {
  if (e->key() == Qt::Key_Escape && d_->outlineActive) {
    d_->cancelOutline();
    e->accept();
    return;
  }
  const QByteArray text = e->text().toLatin1();
  const QByteArray sym = QKeySequence(e->key()).toString().toLatin1();
  d_->interactor->SetKeyEventInformation(
      (e->modifiers() & Qt::ControlModifier) ? 1 : 0, (e->modifiers() & Qt::ShiftModifier) ? 1 : 0,
      text.isEmpty() ? 0 : text[0], e->isAutoRepeat() ? 1 : 0, sym.constData());
  d_->interactor->InvokeEvent(vtkCommand::KeyPressEvent);
  QOpenGLWidget::keyPressEvent(e);
}

void MeshViewer::keyReleaseEvent(QKeyEvent* e) {
  const QByteArray text = e->text().toLatin1();
  const QByteArray sym = QKeySequence(e->key()).toString().toLatin1();
  d_->interactor->SetKeyEventInformation(
      (e->modifiers() & Qt::ControlModifier) ? 1 : 0, (e->modifiers() & Qt::ShiftModifier) ? 1 : 0,
      text.isEmpty() ? 0 : text[0], e->isAutoRepeat() ? 1 : 0, sym.constData());
  d_->interactor->InvokeEvent(vtkCommand::KeyReleaseEvent);
  QOpenGLWidget::keyReleaseEvent(e);
}

void MeshViewer::leaveEvent(QEvent* e) {
  d_->cursorInside = false;
  if (d_->tool == ViewerTool::Brush) {
    d_->updateOverlay();
    update();
  }
  d_->interactor->LeaveEvent();
  d_->hoverTimer.stop();
  d_->setHovered(kNoPart);
  QOpenGLWidget::leaveEvent(e);
}

}  // namespace h3d::ui
