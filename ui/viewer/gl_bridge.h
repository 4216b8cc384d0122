#pragma once
// The bridge between a QOpenGLWidget and VTK: VTK's generic render window
// draws with the widget's GL context, into its own framebuffer, and the frame
// is blitted into the widget's. Qt decides when to paint (VTK's render
// requests become update()), and Qt's input events are passed on to VTK's
// interactor (which drives the camera style and the 3D widgets).
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkInteractorStyleTrackballCamera.h>
#include <vtkNew.h>
#include <vtkRenderer.h>
#include <QMetaObject>
#include <QPointF>

class QOpenGLWidget;
class QKeyEvent;
class QWheelEvent;

namespace h3d::ui::viewer {

class GlBridge {
 public:
  explicit GlBridge(QOpenGLWidget& widget);

  vtkRenderer* renderer() const { return renderer_; }
  vtkRenderWindowInteractor* interactor() const { return interactor_; }
  // True between initialize() and the context's end.
  bool ready() const { return ready_; }

  // QOpenGLWidget::initializeGL: VTK adopts the widget's (new) context.
  void initialize();
  // QOpenGLWidget::resizeGL: the render window follows the widget, in device pixels.
  void resize();
  // The window's size no longer matches the widget's (a paint before resizeGL).
  bool sizeStale() const;
  // QOpenGLWidget::paintGL: renders and blits; returns the frame's time in ms.
  double paint();
  // Before the widget goes: release VTK's GL objects while the context exists.
  void shutdown();
  // Benchmarks: wait for the GPU after each frame so frame times are real.
  void setFinishEachFrame(bool on) { finishEachFrame_ = on; }

  // Qt input passed to the interactor. `vtkEvent` is one of vtkCommand's events.
  void forwardMouse(unsigned long vtkEvent, QPointF pos, Qt::KeyboardModifiers mods, bool repeat);
  void forwardWheel(const QWheelEvent& event);
  // Key{Press,Release}Event only: VTK's character shortcuts (e exits, w/s
  // restyle every actor, 3 stereo) would fight the window's own actions.
  void forwardKey(const QKeyEvent& event, bool press);
  // vtkCommand's press or release event for a mouse button (NoEvent: not passed on).
  static unsigned long buttonEvent(Qt::MouseButton button, bool press);

 private:
  static void onMakeCurrent(vtkObject*, unsigned long, void* clientData, void*);
  static void onIsCurrent(vtkObject*, unsigned long, void* clientData, void* callData);
  static void onRenderRequest(vtkObject*, unsigned long, void* clientData, void*);
  int deviceWidth() const;
  int deviceHeight() const;

  QOpenGLWidget& widget_;
  vtkNew<vtkGenericOpenGLRenderWindow> window_;
  vtkNew<vtkGenericRenderWindowInteractor> interactor_;
  vtkNew<vtkInteractorStyleTrackballCamera> style_;
  vtkNew<vtkRenderer> renderer_;
  QMetaObject::Connection contextWatch_;
  bool ready_ = false;
  bool finishEachFrame_ = false;
};

}  // namespace h3d::ui::viewer
