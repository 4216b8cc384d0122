#pragma once
// The tools that act on a click: Navigate (a click picks a part of the layer
// on screen) and Prompt / Split (a click on the input surface; what it means
// is the editing tools' business, not the view's).
#include "viewer/tool_controller.h"

namespace h3d::ui::viewer {

class NavigateTool : public ToolController {
 public:
  using ToolController::ToolController;
  Qt::CursorShape cursor() const override { return Qt::ArrowCursor; }
  void click(QPointF pos, Qt::KeyboardModifiers mods) override;
};

// Prompt and Split: both report the face and surface point clicked.
class SurfaceClickTool : public ToolController {
 public:
  using ToolController::ToolController;
  void click(QPointF pos, Qt::KeyboardModifiers mods) override;
};

}  // namespace h3d::ui::viewer
