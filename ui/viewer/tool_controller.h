#pragma once
// One controller per viewer tool (ViewerTool): what a left press, drag,
// release or click does while the tool is chosen, and what it draws over the
// scene. The viewer routes its mouse events to the chosen controller; middle
// and right buttons and the wheel always go to the camera.
#include <QPointF>
#include <QPolygonF>
#include <Qt>

#include <functional>

namespace h3d::ui {
class MeshViewer;
}

namespace h3d::ui::viewer {

class ScenePicker;

class ToolController {
 public:
  ToolController(MeshViewer& viewer, ScenePicker& picker) : viewer_(viewer), picker_(picker) {}
  virtual ~ToolController() = default;
  ToolController(const ToolController&) = delete;
  ToolController& operator=(const ToolController&) = delete;

  virtual Qt::CursorShape cursor() const { return Qt::CrossCursor; }
  // The tool takes left drags from the camera (Alt+left still rotates).
  virtual bool drawsWithLeft() const { return false; }
  virtual void press(QPointF) {}
  virtual void move(QPointF) {}
  virtual void release(QPointF, Qt::KeyboardModifiers) {}
  // A left click (press and release a few pixels apart at most) the camera had.
  virtual void click(QPointF, Qt::KeyboardModifiers) {}
  // Escape, or another tool chosen: drops what is half done; true when there was something.
  virtual bool cancel() { return false; }
  // What the tool draws over the scene now, a polyline in widget pixels (empty: nothing).
  virtual QPolygonF overlay(QPointF /*cursor*/, bool /*cursorInside*/) const { return {}; }
  // Chosen or left.
  virtual void setActive(bool) {}
  // Called when overlay() changed outside the viewer's own event handling.
  void onOverlayChanged(std::function<void()> fn) { overlayChanged_ = std::move(fn); }

 protected:
  MeshViewer& viewer_;
  ScenePicker& picker_;
  std::function<void()> overlayChanged_;
};

}  // namespace h3d::ui::viewer
