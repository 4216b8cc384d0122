#pragma once
// Picking in the view, in widget (logical) pixels: the part under a point
// (rendered prop ids), the input face and surface point under a point and the
// faces inside an outline (hardware selection of cell ids), and projection
// of input points to the widget.
#include <vtkNew.h>
#include <vtkPropPicker.h>
#include <QPointF>
#include <QPolygonF>

#include <cstdint>
#include <vector>

#include "h3dpart/mesh.h"

class QOpenGLWidget;
class vtkHardwareSelector;
class vtkRenderer;

namespace h3d::ui::viewer {

class GlBridge;
class PartLayers;
class ViewScene;

class ScenePicker {
 public:
  ScenePicker(QOpenGLWidget& widget, GlBridge& gl, const PartLayers& layers, ViewScene& scene);

  // The part of the layer on screen under `pos` (MeshViewer::kNoPart: none).
  int pickPart(QPointF pos);
  // See MeshViewer::pickFace, projectToWidget and facesInside.
  long pickFace(QPointF pos, Vec3* point);
  QPointF project(const Vec3& point);
  std::vector<std::uint32_t> facesInside(const QPolygonF& polygon);

  vtkRenderer* renderer() const;
  double dpr() const;
  int deviceWidth() const;
  int deviceHeight() const;

 private:
  bool canPick() const;
  bool captureInput(vtkHardwareSelector* selector, int x0, int y0, int x1, int y1);
  long faceAt(vtkHardwareSelector* selector, unsigned x, unsigned y, std::size_t* part) const;
  void rayAt(double x, double y, Vec3& origin, Vec3& direction);

  QOpenGLWidget& widget_;
  GlBridge& gl_;
  const PartLayers& layers_;
  ViewScene& scene_;
  vtkNew<vtkPropPicker> picker_;
};

}  // namespace h3d::ui::viewer
