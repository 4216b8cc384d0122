#pragma once
// The Lasso and Rectangle tools: a left drag draws an outline; at release the
// faces of the input inside it (visible, front-facing, not occluded) are
// reported. Escape drops the outline.
#include "viewer/tool_controller.h"

namespace h3d::ui::viewer {

class OutlineTool : public ToolController {
 public:
  enum class Shape { Lasso, Rectangle };
  OutlineTool(MeshViewer& viewer, ScenePicker& picker, Shape shape)
      : ToolController(viewer, picker), shape_(shape) {}

  bool drawsWithLeft() const override { return true; }
  void press(QPointF pos) override;
  void move(QPointF pos) override;
  void release(QPointF pos, Qt::KeyboardModifiers mods) override;
  bool cancel() override;
  QPolygonF overlay(QPointF cursor, bool cursorInside) const override;

 private:
  Shape shape_;
  bool active_ = false;
  QPointF pressPos_;
  QPolygonF outline_;  // widget pixels
};

}  // namespace h3d::ui::viewer
