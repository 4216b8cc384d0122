#include "gl_bridge.h"

#include <vtkCommand.h>
#include <vtkOpenGLState.h>
#include <QElapsedTimer>
#include <QKeyEvent>
#include <QKeySequence>
#include <QOpenGLContext>
#include <QOpenGLWidget>
#include <QWheelEvent>

#include <cmath>

#include "viewer/vtk_scene.h"

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

namespace h3d::ui::viewer {

GlBridge::GlBridge(QOpenGLWidget& widget) : widget_(widget) {
  // The window renders only inside paintGL, into its own framebuffer, which we blit.
  window_->SetReadyForRendering(false);
  window_->SetFrameBlitModeToNoBlit();
  window_->SetMultiSamples(0);
  window_->AddRenderer(renderer_);
  window_->SetInteractor(interactor_);
  scene::observe(window_, vtkCommand::WindowMakeCurrentEvent, &GlBridge::onMakeCurrent, this);
  scene::observe(window_, vtkCommand::WindowIsCurrentEvent, &GlBridge::onIsCurrent, this);
  interactor_->SetRenderWindow(window_);
  interactor_->SetInteractorStyle(style_);
  interactor_->EnableRenderOff();
  scene::observe(interactor_, vtkCommand::RenderEvent, &GlBridge::onRenderRequest, this);
}

// VTK asks to make its context current / whether it is: the context is Qt's.
void GlBridge::onMakeCurrent(vtkObject*, unsigned long, void* clientData, void*) {
  auto* self = static_cast<GlBridge*>(clientData);
  QOpenGLWidget& w = self->widget_;
  // QOpenGLWidget::makeCurrent() also binds the widget's framebuffer; done
  // while VTK believes its own is bound, VTK would attach its buffers to
  // Qt's. So only when not current, and then VTK re-reads the bindings.
  if (!w.context() || QOpenGLContext::currentContext() == w.context()) return;
  w.makeCurrent();
  self->window_->GetState()->ResetFramebufferBindings();
}

void GlBridge::onIsCurrent(vtkObject*, unsigned long, void* clientData, void* callData) {
  auto* self = static_cast<GlBridge*>(clientData);
  QOpenGLWidget& w = self->widget_;
  *static_cast<bool*>(callData) = w.context() && QOpenGLContext::currentContext() == w.context();
}

// The interactor's renders become paint requests: Qt decides when to paint.
void GlBridge::onRenderRequest(vtkObject*, unsigned long, void* clientData, void*) {
  static_cast<GlBridge*>(clientData)->widget_.update();
}

void GlBridge::initialize() {
  // Finalise VTK's GL objects before Qt destroys this context (reparenting,
  // closing): later, with another context, VTK starts afresh.
  if (contextWatch_) QObject::disconnect(contextWatch_);
  contextWatch_ = QObject::connect(
      widget_.context(), &QOpenGLContext::aboutToBeDestroyed, &widget_,
      [this] {
        widget_.makeCurrent();
        window_->Finalize();
        window_->SetReadyForRendering(false);
        ready_ = false;
      },
      Qt::DirectConnection);
  window_->SetOwnContext(false);
  window_->OpenGLInitContext();
  window_->SetReadyForRendering(true);
  ready_ = true;
}

void GlBridge::shutdown() {
  // Qt destroys the context after the widget's destructor; our handler must not run then.
  if (contextWatch_) QObject::disconnect(contextWatch_);
  if (widget_.context()) {
    widget_.makeCurrent();
    window_->Finalize();
    widget_.doneCurrent();
  }
}

int GlBridge::deviceWidth() const {
  return qMax(1, int(std::lround(widget_.width() * widget_.devicePixelRatioF())));
}

int GlBridge::deviceHeight() const {
  return qMax(1, int(std::lround(widget_.height() * widget_.devicePixelRatioF())));
}

void GlBridge::resize() {
  // Qt passes device-independent sizes; VTK works in device pixels.
  window_->SetSize(deviceWidth(), deviceHeight());
  interactor_->SetSize(deviceWidth(), deviceHeight());
}

bool GlBridge::sizeStale() const {
  return window_->GetSize()[0] != deviceWidth() || window_->GetSize()[1] != deviceHeight();
}

double GlBridge::paint() {
  QElapsedTimer clock;
  clock.start();
  const int w = deviceWidth(), h = deviceHeight();
  vtkOpenGLState* state = window_->GetState();
  state->Reset();  // Qt changed GL state behind VTK's back
  state->Push();
  window_->Render();
  // VTK rendered into its own framebuffer; copy it into the widget's (never 0).
  state->vtkglBindFramebuffer(GL_DRAW_FRAMEBUFFER, widget_.defaultFramebufferObject());
  window_->BlitDisplayFramebuffer(0, 0, 0, w, h, 0, 0, w, h, GL_COLOR_BUFFER_BIT, GL_NEAREST);
  // The widget is composited with alpha: make every pixel opaque.
  state->vtkglColorMask(false, false, false, true);
  state->vtkglClearColor(0, 0, 0, 1);
  state->vtkglClear(GL_COLOR_BUFFER_BIT);
  state->vtkglColorMask(true, true, true, true);
  if (finishEachFrame_) window_->WaitForCompletion();
  state->Pop();
  return double(clock.nsecsElapsed()) / 1e6;
}

void GlBridge::forwardMouse(unsigned long vtkEvent, QPointF pos, Qt::KeyboardModifiers mods,
                            bool repeat) {
  const double dpr = widget_.devicePixelRatioF();
  interactor_->SetEventInformationFlipY(int(pos.x() * dpr), int(pos.y() * dpr),
                                        (mods & Qt::ControlModifier) ? 1 : 0,
                                        (mods & Qt::ShiftModifier) ? 1 : 0, 0, repeat ? 1 : 0);
  interactor_->SetAltKey((mods & Qt::AltModifier) ? 1 : 0);
  interactor_->InvokeEvent(vtkEvent);
}

void GlBridge::forwardWheel(const QWheelEvent& e) {
  const int dy = e.angleDelta().y();
  if (dy > 0)
    forwardMouse(vtkCommand::MouseWheelForwardEvent, e.position(), e.modifiers(), false);
  else if (dy < 0)
    forwardMouse(vtkCommand::MouseWheelBackwardEvent, e.position(), e.modifiers(), false);
}

void GlBridge::forwardKey(const QKeyEvent& e, bool press) {
  const QByteArray text = e.text().toLatin1();
  const QByteArray sym = QKeySequence(e.key()).toString().toLatin1();
  interactor_->SetKeyEventInformation(
      (e.modifiers() & Qt::ControlModifier) ? 1 : 0, (e.modifiers() & Qt::ShiftModifier) ? 1 : 0,
      text.isEmpty() ? 0 : text[0], e.isAutoRepeat() ? 1 : 0, sym.constData());
  interactor_->InvokeEvent(press ? vtkCommand::KeyPressEvent : vtkCommand::KeyReleaseEvent);
}

unsigned long GlBridge::buttonEvent(Qt::MouseButton b, bool press) {
  switch (b) {
    case Qt::LeftButton:
      return press ? vtkCommand::LeftButtonPressEvent : vtkCommand::LeftButtonReleaseEvent;
    case Qt::MiddleButton:
      return press ? vtkCommand::MiddleButtonPressEvent : vtkCommand::MiddleButtonReleaseEvent;
    case Qt::RightButton:
      return press ? vtkCommand::RightButtonPressEvent : vtkCommand::RightButtonReleaseEvent;
    default:
      return vtkCommand::NoEvent;
  }
}

}  // namespace h3d::ui::viewer
