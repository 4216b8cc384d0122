#pragma once
// What the view shows around the parts: lights and background, the floor
// grid, the orientation axes, the hovered part's name, the 2D overlay (a tool's
// outline or brush circle) and the camera's framing.
#include <vtkActor.h>
#include <vtkActor2D.h>
#include <vtkAxesActor.h>
#include <vtkNew.h>
#include <vtkOrientationMarkerWidget.h>
#include <vtkTextActor.h>
#include <QPolygonF>
#include <QString>

#include "h3dpart/mesh.h"

class vtkRenderer;
class vtkRenderWindowInteractor;

namespace h3d::ui::viewer {

class ViewScene {
 public:
  ViewScene(vtkRenderer* renderer, vtkRenderWindowInteractor* interactor);

  // The GL context is ready: the axes marker can be enabled.
  void glReady(bool axesOn);
  // Display-pixel sizes follow the device pixel ratio.
  void resize(double dpr);

  void setGrid(const Box3& bounds, bool on);  // empty bounds: no grid
  void setGridVisible(bool on, bool haveBounds);
  void setAxesVisible(bool on, bool glReady);
  // Empty hides the label.
  void setHoverText(const QString& name);
  // A polyline in widget pixels (fewer than 2 points hides the overlay).
  void setOverlay(const QPolygonF& line, double dpr, int deviceHeight);

  // The orientation marker has its own renderer; picking turns it off meanwhile.
  vtkOrientationMarkerWidget* axesWidget() { return axesWidget_; }

  // A three-quarter view from the front onto `bounds`.
  void resetCamera(const Box3& bounds);
  // Frames `b` (x0 x1 y0 y1 z0 z1).
  void frame(const double b[6]);
  // Backs the camera off (same direction) when a corner of `b` is out of view
  // of a widget of `aspect`: never zooms in.
  void keepInView(const double b[6], double aspect);

 private:
  vtkRenderer* renderer_;
  vtkNew<vtkAxesActor> axes_;
  vtkNew<vtkOrientationMarkerWidget> axesWidget_;
  vtkNew<vtkActor> grid_;
  vtkNew<vtkTextActor> hoverText_;
  vtkNew<vtkActor2D> overlay_;  // outline or brush circle, display pixels
};

}  // namespace h3d::ui::viewer
