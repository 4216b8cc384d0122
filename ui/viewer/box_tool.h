#pragma once
// The Box tool: an axis-aligned box widget (face handles, no rotation) on the
// input. It stays on screen in every tool but takes the mouse only while the
// Box tool is chosen; a handle dragged ends with MeshViewer::boxEdited.
#include <vtkBoxRepresentation.h>
#include <vtkBoxWidget2.h>
#include <vtkNew.h>

#include "h3dpart/mesh.h"
#include "viewer/tool_controller.h"

class vtkRenderer;
class vtkRenderWindowInteractor;

namespace h3d::ui::viewer {

class BoxTool : public ToolController {
 public:
  BoxTool(MeshViewer& viewer, ScenePicker& picker, vtkRenderWindowInteractor* interactor,
          vtkRenderer* renderer);

  void show(const Box3& box);  // an empty box hides it
  void hide();
  bool shown() const { return on_; }
  Box3 bounds() const;  // as the widget holds it now (empty when hidden)

  Qt::CursorShape cursor() const override { return Qt::SizeAllCursor; }
  void setActive(bool active) override;

 private:
  static void onEdited(vtkObject*, unsigned long, void* clientData, void*);

  vtkNew<vtkBoxWidget2> widget_;
  vtkNew<vtkBoxRepresentation> rep_;
  bool on_ = false;
  bool active_ = false;
};

}  // namespace h3d::ui::viewer
