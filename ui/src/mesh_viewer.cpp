#include "h3dpart/ui/mesh_viewer.h"

#include <vtkActor.h>
#include <vtkAxesActor.h>
#include <vtkCallbackCommand.h>
#include <vtkCamera.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkInteractorStyleTrackballCamera.h>
#include <vtkLightKit.h>
#include <vtkNew.h>
#include <vtkOpenGLState.h>
#include <vtkOrientationMarkerWidget.h>
#include <vtkPolyDataMapper.h>
#include <vtkPropPicker.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkTextActor.h>
#include <vtkTextProperty.h>
#include <QColor>
#include <QElapsedTimer>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QOpenGLContext>
#include <QTimer>
#include <QWheelEvent>

#include <climits>
#include <cmath>
#include <map>

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

constexpr int kNoPart = INT_MIN;
const std::array<float, 3> kInputColor{0.78f, 0.78f, 0.80f};
const std::array<float, 3> kUnassignedColor{0.55f, 0.55f, 0.55f};

struct PartActor {
  int label = 0;
  QString name;
  std::array<float, 3> color{};
  Vec3 center;
  std::size_t triangles = 0;
  vtkSmartPointer<vtkActor> actor;
};

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
  QMetaObject::Connection contextWatch;

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
    PartActor part{label, name, color, box.center(), triangles, actor};
    styleActor(part, false);
    return part;
  }

  void styleActor(PartActor& part, bool highlighted) {
    vtkProperty* p = part.actor->GetProperty();
    auto c = part.color;
    if (highlighted)
      for (float& v : c) v = 0.55f * v + 0.45f;
    p->SetColor(c[0], c[1], c[2]);
    p->SetInterpolation(smooth ? VTK_PHONG : VTK_FLAT);
    p->SetEdgeVisibility(wireframe);
    p->SetEdgeColor(0.15, 0.15, 0.2);
    p->SetSpecular(0.2);
    p->SetSpecularPower(20);
    p->SetAmbient(highlighted ? 0.25 : 0.08);
  }

  void removeAll(std::vector<PartActor>& parts) {
    for (auto& p : parts) renderer->RemoveActor(p.actor);
    parts.clear();
  }

  void applyVisibility() {
    const bool genShown = showGenerated && !generated.empty();
    for (auto& p : input) {
      p.actor->SetVisibility(!genShown && !hidden.count(p.label));
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
      }
  }

  void restyle() {
    for (auto* layer : {&input, &generated})
      for (auto& p : *layer) styleActor(p, p.label == hovered && layer == &shown());
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
    const double r = dpr();
    const int x = int(hoverPos.x() * r);
    const int y = int((q->height() - hoverPos.y()) * r) - 1;
    q->makeCurrent();
    int label = kNoPart;
    if (picker->Pick(x, y, 0, renderer)) {
      vtkProp* prop = picker->GetViewProp();
      for (const auto& p : parts)
        if (p.actor.Get() == prop) label = p.label;
    }
    setHovered(label);
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
  d.removeAll(d.input);
  d.hovered = kNoPart;
  d.hidden.clear();
  d.selection.clear();
  d.bounds = mesh ? mesh->bounds() : Box3{};
  d.center = d.bounds.empty() ? Vec3{} : d.bounds.center();
  if (mesh && !mesh->empty()) {
    if (segmentation && segmentation->partCount() > 0) {
      for (auto& group : scene::groupByLabel(*segmentation, mesh->faces.size())) {
        Box3 box;
        for (auto f : group.faces)
          for (auto v : mesh->faces[f]) box.add(mesh->vertices[v]);
        QString name =
            group.label < 0 ? tr("unassigned") : QStringLiteral("part_%1").arg(group.label);
        if (group.label >= 0 && group.label < segmentation->partCount() &&
            !segmentation->parts[group.label].name.empty())
          name = QString::fromStdString(segmentation->parts[group.label].name);
        d.input.push_back(d.makePart(scene::toPolyData(*mesh, &group.faces), group.label, name,
                                     colorFor(group.label), box, group.faces.size()));
      }
    } else {
      d.input.push_back(d.makePart(scene::toPolyData(*mesh), 0, tr("input"), kInputColor, d.bounds,
                                   mesh->faces.size()));
    }
    for (auto& p : d.input) d.renderer->AddActor(p.actor);
  }
  d.updateGrid();
  d.applyExplode();
  d.applyVisibility();
  if (newMesh) resetView();
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
}

void MeshViewer::setExplode(double amount) {
  d_->explode = std::clamp(amount, 0.0, 2.0);
  d_->applyExplode();
  update();
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
  double b[6] = {VTK_DOUBLE_MAX, VTK_DOUBLE_MIN, VTK_DOUBLE_MAX,
                 VTK_DOUBLE_MIN, VTK_DOUBLE_MAX, VTK_DOUBLE_MIN};
  bool any = false;
  for (const auto& p : d.shown()) {
    const bool wanted =
        d.selection.isEmpty() ? bool(p.actor->GetVisibility()) : d.selection.contains(p.label);
    if (!wanted) continue;
    const double* ab = p.actor->GetBounds();
    for (int i = 0; i < 3; ++i) {
      b[2 * i] = std::min(b[2 * i], ab[2 * i]);
      b[2 * i + 1] = std::max(b[2 * i + 1], ab[2 * i + 1]);
    }
    any = true;
  }
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
  const unsigned long ev = pressEventFor(e->button());
  if (ev == vtkCommand::NoEvent) return;
  d_->dragging = true;
  setEventInfo(d_->interactor, e->position(), e->modifiers(), devicePixelRatioF(), false);
  d_->interactor->InvokeEvent(ev);
  e->accept();
}

void MeshViewer::mouseDoubleClickEvent(QMouseEvent* e) {
  const unsigned long ev = pressEventFor(e->button());
  if (ev == vtkCommand::NoEvent) return;
  d_->dragging = true;
  setEventInfo(d_->interactor, e->position(), e->modifiers(), devicePixelRatioF(), true);
  d_->interactor->InvokeEvent(ev);
  e->accept();
}

void MeshViewer::mouseReleaseEvent(QMouseEvent* e) {
  const unsigned long ev = releaseEventFor(e->button());
  if (ev == vtkCommand::NoEvent) return;
  setEventInfo(d_->interactor, e->position(), e->modifiers(), devicePixelRatioF(), false);
  d_->interactor->InvokeEvent(ev);
  d_->dragging = e->buttons() != Qt::NoButton;
  e->accept();
}

void MeshViewer::mouseMoveEvent(QMouseEvent* e) {
  setEventInfo(d_->interactor, e->position(), e->modifiers(), devicePixelRatioF(), false);
  d_->interactor->InvokeEvent(vtkCommand::MouseMoveEvent);
  if (e->buttons() == Qt::NoButton) {
    d_->hoverPos = e->position().toPoint();
    d_->hoverTimer.start();  // pick once the cursor rests, not on every move
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
  d_->interactor->LeaveEvent();
  d_->hoverTimer.stop();
  d_->setHovered(kNoPart);
  QOpenGLWidget::leaveEvent(e);
}

}  // namespace h3d::ui
