#pragma once
// MeshViewer's parts (private): the GL bridge, the part layers, the scene
// around them, picking, and one controller per tool. mesh_viewer.cpp holds
// the public API, viewer_input.cpp the routing of Qt's events.
#include <QMouseEvent>
#include <QPoint>
#include <QPointF>
#include <QTimer>

#include "h3dpart/ui/mesh_viewer.h"
#include "viewer/box_tool.h"
#include "viewer/brush_tool.h"
#include "viewer/click_tools.h"
#include "viewer/gl_bridge.h"
#include "viewer/outline_tool.h"
#include "viewer/part_layers.h"
#include "viewer/picking.h"
#include "viewer/view_scene.h"

namespace h3d::ui {

struct MeshViewer::Impl {
  explicit Impl(MeshViewer* owner);

  viewer::ToolController& active() { return controller(tool); }
  viewer::ToolController& controller(ViewerTool t);
  // Redraws the chosen tool's overlay.
  void updateOverlay();
  void setHovered(int label);
  // A press or the second press of a double-click: to the chosen tool or the camera.
  void press(QMouseEvent* e, bool second);
  // Picks the part under the resting cursor (one extra frame, any mesh size).
  void pickHover();
  // The chosen tool takes this left press (not the camera).
  bool toolOwnsLeft(Qt::KeyboardModifiers mods) {
    return active().drawsWithLeft() && !(mods & Qt::AltModifier);
  }

  MeshViewer* q;
  viewer::GlBridge gl;
  viewer::PartLayers layers;
  viewer::ViewScene scene;
  viewer::ScenePicker picker;
  viewer::NavigateTool navigate;
  viewer::SurfaceClickTool prompt;
  viewer::SurfaceClickTool split;
  viewer::BrushTool brush;
  viewer::OutlineTool lasso;
  viewer::OutlineTool rectangle;
  viewer::BoxTool box;
  ViewerTool tool = ViewerTool::Navigate;

  bool axesOn = true;
  bool gridOn = true;
  double lastFrameMs = 0.0;

  // Mouse state.
  QTimer hoverTimer;
  QPoint hoverPos;
  bool dragging = false;
  bool secondOfDoubleClick = false;  // a double-click is one click, not two
  bool leftDown = false;
  bool toolDrag = false;  // the left drag belongs to the tool, not the camera
  QPointF pressPos;
  QPointF cursorPos;
  bool cursorInside = false;
};

}  // namespace h3d::ui
