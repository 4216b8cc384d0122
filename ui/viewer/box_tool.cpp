#include "viewer/box_tool.h"

#include <vtkCommand.h>
#include <vtkRenderWindowInteractor.h>
#include <vtkRenderer.h>

#include "h3dpart/ui/mesh_viewer.h"
#include "viewer/vtk_scene.h"

namespace h3d::ui::viewer {

BoxTool::BoxTool(MeshViewer& viewer, ScenePicker& picker, vtkRenderWindowInteractor* interactor,
                 vtkRenderer* renderer)
    : ToolController(viewer, picker) {
  rep_->SetPlaceFactor(1.0);
  rep_->SetHandleSize(6.0);
  widget_->SetRepresentation(rep_);
  widget_->SetInteractor(interactor);
  widget_->SetDefaultRenderer(renderer);
  widget_->RotationEnabledOff();
  scene::observe(widget_, vtkCommand::EndInteractionEvent, &BoxTool::onEdited, this);
}

void BoxTool::onEdited(vtkObject*, unsigned long, void* clientData, void*) {
  auto* self = static_cast<BoxTool*>(clientData);
  Q_EMIT self->viewer_.boxEdited(self->bounds());
}

void BoxTool::setActive(bool active) {
  active_ = active;
  widget_->SetProcessEvents(active);
}

void BoxTool::show(const Box3& box) {
  if (box.empty()) {
    hide();
    return;
  }
  double b[6] = {box.lo.x, box.hi.x, box.lo.y, box.hi.y, box.lo.z, box.hi.z};
  if (!on_) {
    widget_->SetProcessEvents(active_);
    widget_->On();
    on_ = true;
  }
  rep_->PlaceWidget(b);
}

void BoxTool::hide() {
  if (!on_) return;
  widget_->Off();
  on_ = false;
}

Box3 BoxTool::bounds() const {
  Box3 box;
  if (!on_) return box;
  const double* b = rep_->GetBounds();
  box.add(Vec3{float(b[0]), float(b[2]), float(b[4])});
  box.add(Vec3{float(b[1]), float(b[3]), float(b[5])});
  return box;
}

}  // namespace h3d::ui::viewer
