#pragma once
// The Brush tool: a press and each move of 2 px or more while pressed is a dab
// on the input surface; the release ends the stroke. Its radius (world units)
// is drawn as a circle around the cursor, at the depth of the last dab.
#include "h3dpart/mesh.h"
#include "viewer/tool_controller.h"

namespace h3d::ui::viewer {

class BrushTool : public ToolController {
 public:
  using ToolController::ToolController;

  void setRadius(float worldRadius);
  float radius() const { return radius_; }
  // A new input: the circle goes back to the focal point's depth.
  void reset() { haveDabPoint_ = false; }

  bool drawsWithLeft() const override { return true; }
  void press(QPointF pos) override;
  void move(QPointF pos) override;
  void release(QPointF pos, Qt::KeyboardModifiers mods) override;
  QPolygonF overlay(QPointF cursor, bool cursorInside) const override;

 private:
  void dab(QPointF pos);
  // Screen radius in device pixels.
  double pixels() const;

  float radius_ = 0.05f;
  QPointF lastDabPos_;
  Vec3 lastDabPoint_;
  bool haveDabPoint_ = false;
};

}  // namespace h3d::ui::viewer
