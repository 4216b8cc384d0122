#include "viewer/view_scene.h"

#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkLightKit.h>
#include <vtkMatrix4x4.h>
#include <vtkPoints.h>
#include <vtkPolyDataMapper.h>
#include <vtkPolyDataMapper2D.h>
#include <vtkProperty.h>
#include <vtkProperty2D.h>
#include <vtkRenderWindowInteractor.h>
#include <vtkRenderer.h>
#include <vtkTextProperty.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "viewer/vtk_scene.h"

namespace h3d::ui::viewer {

ViewScene::ViewScene(vtkRenderer* renderer, vtkRenderWindowInteractor* interactor)
    : renderer_(renderer) {
  // A key/fill/back light kit: a headlight alone leaves surfaces facing up
  // (table tops, floors) dark in the default three-quarter view.
  vtkNew<vtkLightKit> lights;
  lights->AddLightsToRenderer(renderer_);
  renderer_->GradientBackgroundOn();
  renderer_->SetBackground(0.82, 0.84, 0.88);
  renderer_->SetBackground2(0.36, 0.39, 0.46);
  renderer_->AddActor(grid_);
  grid_->SetVisibility(false);

  hoverText_->GetTextProperty()->SetFontSize(16);
  hoverText_->GetTextProperty()->SetColor(1, 1, 1);
  hoverText_->GetTextProperty()->SetShadow(true);
  hoverText_->SetDisplayPosition(12, 12);
  hoverText_->SetVisibility(false);
  hoverText_->PickableOff();
  renderer_->AddViewProp(hoverText_);

  axesWidget_->SetOrientationMarker(axes_);
  axesWidget_->SetInteractor(interactor);
  axesWidget_->SetViewport(0.0, 0.8, 0.2, 1.0);
  axesWidget_->SetDefaultRenderer(renderer_);

  // Outline and brush circle: lines in display pixels over the scene.
  overlay_->GetProperty()->SetColor(1.0, 0.85, 0.2);
  overlay_->GetProperty()->SetLineWidth(2.0f);
  overlay_->PickableOff();
  overlay_->SetVisibility(false);
  renderer_->AddViewProp(overlay_);
}

void ViewScene::glReady(bool axesOn) {
  axesWidget_->SetEnabled(true);
  axesWidget_->InteractiveOff();  // a marker only: it must not steal drags
  axesWidget_->SetEnabled(axesOn);
}

void ViewScene::resize(double dpr) {
  hoverText_->SetDisplayPosition(int(12 * dpr), int(12 * dpr));
  hoverText_->GetTextProperty()->SetFontSize(int(16 * dpr));
}

void ViewScene::setGrid(const Box3& bounds, bool on) {
  if (bounds.empty()) {
    grid_->SetVisibility(false);
    return;
  }
  auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  mapper->SetInputData(scene::floorGrid(bounds));
  grid_->SetMapper(mapper);
  grid_->GetProperty()->SetColor(0.55, 0.58, 0.65);
  grid_->GetProperty()->SetOpacity(0.6);
  grid_->GetProperty()->LightingOff();
  grid_->PickableOff();
  grid_->SetVisibility(on);
}

void ViewScene::setGridVisible(bool on, bool haveBounds) {
  grid_->SetVisibility(on && haveBounds);
}

void ViewScene::setAxesVisible(bool on, bool glReady) {
  if (glReady) axesWidget_->SetEnabled(on);
}

void ViewScene::setHoverText(const QString& name) {
  hoverText_->SetInput(name.toUtf8().constData());
  hoverText_->SetVisibility(!name.isEmpty());
}

void ViewScene::setOverlay(const QPolygonF& line, double dpr, int deviceHeight) {
  if (line.size() < 2) {
    overlay_->SetVisibility(false);
    return;
  }
  auto points = vtkSmartPointer<vtkPoints>::New();
  std::vector<vtkIdType> ids;
  for (const QPointF& p : line)
    ids.push_back(points->InsertNextPoint(p.x() * dpr, deviceHeight - p.y() * dpr, 0.0));
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  lines->InsertNextCell(vtkIdType(ids.size()), ids.data());
  auto poly = vtkSmartPointer<vtkPolyData>::New();
  poly->SetPoints(points);
  poly->SetLines(lines);
  auto mapper = vtkSmartPointer<vtkPolyDataMapper2D>::New();
  mapper->SetInputData(poly);
  overlay_->SetMapper(mapper);
  overlay_->SetVisibility(true);
}

void ViewScene::resetCamera(const Box3& bounds) {
  vtkCamera* camera = renderer_->GetActiveCamera();
  camera->SetFocalPoint(0, 0, 0);
  camera->SetPosition(1.0, 0.7, 1.6);  // a three-quarter view from the front
  camera->SetViewUp(0, 1, 0);
  if (bounds.empty()) {
    renderer_->ResetCamera();
  } else {
    const Vec3 c = bounds.center();
    camera->SetFocalPoint(c.x, c.y, c.z);
    camera->SetPosition(c.x + 1.0, c.y + 0.7, c.z + 1.6);
    renderer_->ResetCamera(bounds.lo.x, bounds.hi.x, bounds.lo.y, bounds.hi.y, bounds.lo.z,
                           bounds.hi.z);
  }
}

void ViewScene::frame(const double b[6]) {
  double copy[6];
  std::copy(b, b + 6, copy);
  renderer_->ResetCamera(copy);
}

void ViewScene::keepInView(const double b[6], double aspect) {
  vtkCamera* camera = renderer_->GetActiveCamera();
  vtkMatrix4x4* m = camera->GetCompositeProjectionTransformMatrix(aspect, -1, 1);
  for (int corner = 0; corner < 8; ++corner) {
    const double in[4] = {b[corner & 1 ? 1 : 0], b[corner & 2 ? 3 : 2], b[corner & 4 ? 5 : 4], 1};
    double out[4];
    m->MultiplyPoint(in, out);
    if (out[3] <= 0 || std::abs(out[0] / out[3]) > 0.95 || std::abs(out[1] / out[3]) > 0.95) {
      frame(b);
      return;
    }
  }
}

}  // namespace h3d::ui::viewer
