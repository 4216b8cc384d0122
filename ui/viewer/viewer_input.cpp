// MeshViewer's QOpenGLWidget side: the GL hooks go to the bridge, and each
// Qt input event goes either to the chosen tool's controller or to VTK's
// interactor (camera and 3D widgets).
#include <vtkCommand.h>
#include <vtkRenderWindowInteractor.h>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QWheelEvent>

#include <cmath>
#include <utility>

#include "viewer/viewer_impl.h"

namespace h3d::ui {

namespace {
constexpr double kClickSlop = 4.0;  // px: a press and release closer than this is a click

double distance(QPointF a, QPointF b) {
  return std::hypot(a.x() - b.x(), a.y() - b.y());
}
}  // namespace

void MeshViewer::initializeGL() {
  d_->gl.initialize();
  d_->scene.glReady(d_->axesOn);
}

void MeshViewer::resizeGL(int, int) {
  d_->gl.resize();
  d_->scene.resize(devicePixelRatioF());
}

void MeshViewer::paintGL() {
  auto& d = *d_;
  if (!d.gl.ready()) return;
  if (d.gl.sizeStale()) resizeGL(width(), height());
  d.lastFrameMs = d.gl.paint();
  Q_EMIT frameRendered(d.lastFrameMs);
}

bool MeshViewer::event(QEvent* event) {
  if (event->type() == QEvent::Enter) d_->gl.interactor()->EnterEvent();
  return QOpenGLWidget::event(event);
}

void MeshViewer::Impl::press(QMouseEvent* e, bool second) {
  const unsigned long ev = viewer::GlBridge::buttonEvent(e->button(), true);
  if (ev == vtkCommand::NoEvent) return;
  dragging = true;
  if (e->button() == Qt::LeftButton) {
    leftDown = true;
    pressPos = e->position();
    if (second) secondOfDoubleClick = true;  // its release is not a second click
    toolDrag = toolOwnsLeft(e->modifiers());
    if (toolDrag) {  // (a second press of a tool: one more stroke)
      active().press(e->position());
      updateOverlay();
      q->update();
      e->accept();
      return;
    }
  }
  gl.forwardMouse(ev, e->position(), e->modifiers(), second);
  e->accept();
}

void MeshViewer::mousePressEvent(QMouseEvent* e) {
  d_->press(e, false);
}

void MeshViewer::mouseDoubleClickEvent(QMouseEvent* e) {
  d_->press(e, true);
}

void MeshViewer::mouseReleaseEvent(QMouseEvent* e) {
  auto& d = *d_;
  const unsigned long ev = viewer::GlBridge::buttonEvent(e->button(), false);
  if (ev == vtkCommand::NoEvent) return;
  const bool repeat = e->button() == Qt::LeftButton && std::exchange(d.secondOfDoubleClick, false);
  if (e->button() == Qt::LeftButton && d.leftDown) {
    d.leftDown = false;
    if (d.toolDrag) {
      d.toolDrag = false;
      d.dragging = e->buttons() != Qt::NoButton;
      d.active().release(e->position(), e->modifiers());
      d.updateOverlay();
      update();
      e->accept();
      return;
    }
  }
  d.gl.forwardMouse(ev, e->position(), e->modifiers(), false);
  d.dragging = e->buttons() != Qt::NoButton;
  if (e->button() == Qt::LeftButton && !repeat && distance(e->position(), d.pressPos) < kClickSlop)
    d.active().click(e->position(), e->modifiers());
  e->accept();
}

void MeshViewer::mouseMoveEvent(QMouseEvent* e) {
  auto& d = *d_;
  d.cursorPos = e->position();
  d.cursorInside = true;
  if (d.toolDrag && (e->buttons() & Qt::LeftButton)) {
    d.active().move(e->position());
    d.updateOverlay();
    update();
    e->accept();
    return;
  }
  d.gl.forwardMouse(vtkCommand::MouseMoveEvent, e->position(), e->modifiers(), false);
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
  d_->gl.forwardWheel(*e);
  e->accept();
}

void MeshViewer::keyPressEvent(QKeyEvent* e) {
  if (e->key() == Qt::Key_Escape && d_->active().cancel()) {
    d_->updateOverlay();
    update();
    e->accept();
    return;
  }
  d_->gl.forwardKey(*e, true);
  QOpenGLWidget::keyPressEvent(e);
}

void MeshViewer::keyReleaseEvent(QKeyEvent* e) {
  d_->gl.forwardKey(*e, false);
  QOpenGLWidget::keyReleaseEvent(e);
}

void MeshViewer::leaveEvent(QEvent* e) {
  auto& d = *d_;
  d.cursorInside = false;
  if (d.tool == ViewerTool::Brush) {
    d.updateOverlay();
    update();
  }
  d.gl.interactor()->LeaveEvent();
  d.hoverTimer.stop();
  d.setHovered(kNoPart);
  QOpenGLWidget::leaveEvent(e);
}

}  // namespace h3d::ui
