#include "viewer/brush_tool.h"

#include <vtkCamera.h>
#include <vtkRenderer.h>

#include <algorithm>
#include <cmath>

#include "h3dpart/ui/mesh_viewer.h"
#include "viewer/picking.h"

namespace h3d::ui::viewer {

namespace {
constexpr double kDabStep = 2.0;  // px between brush dabs
}

void BrushTool::setRadius(float worldRadius) {
  radius_ = std::max(worldRadius, 0.0f);
}

void BrushTool::press(QPointF pos) {
  lastDabPos_ = pos;
  dab(pos);
}

void BrushTool::move(QPointF pos) {
  if (std::hypot(pos.x() - lastDabPos_.x(), pos.y() - lastDabPos_.y()) < kDabStep) return;
  lastDabPos_ = pos;
  dab(pos);
}

void BrushTool::release(QPointF, Qt::KeyboardModifiers) {
  Q_EMIT viewer_.brushStrokeFinished();
}

void BrushTool::dab(QPointF pos) {
  Vec3 point;
  const long face = picker_.pickFace(pos, &point);
  if (face < 0) return;
  lastDabPoint_ = point;
  haveDabPoint_ = true;
  Q_EMIT viewer_.brushDab(quint32(face), point);
}

// At the depth of the last dab (or of the focal point).
double BrushTool::pixels() const {
  vtkCamera* camera = picker_.renderer()->GetActiveCamera();
  const double h = picker_.deviceHeight();
  if (camera->GetParallelProjection())
    return radius_ / std::max(camera->GetParallelScale(), 1e-9) * h * 0.5;
  double cp[3], fp[3], dop[3];
  camera->GetPosition(cp);
  camera->GetFocalPoint(fp);
  camera->GetDirectionOfProjection(dop);
  const double ref[3] = {haveDabPoint_ ? lastDabPoint_.x : fp[0],
                         haveDabPoint_ ? lastDabPoint_.y : fp[1],
                         haveDabPoint_ ? lastDabPoint_.z : fp[2]};
  double depth = 0;
  for (int i = 0; i < 3; ++i) depth += (ref[i] - cp[i]) * dop[i];
  depth = std::max(depth, 1e-6);
  const double half = std::tan(camera->GetViewAngle() * M_PI / 360.0);
  return radius_ / (depth * half) * h * 0.5;
}

QPolygonF BrushTool::overlay(QPointF cursor, bool cursorInside) const {
  QPolygonF circle;
  if (!cursorInside) return circle;
  const double rpx = std::max(pixels(), 2.0) / picker_.dpr();
  constexpr int kSegments = 48;
  for (int i = 0; i <= kSegments; ++i) {
    const double a = 2 * M_PI * i / kSegments;
    circle << cursor + QPointF(rpx * std::cos(a), rpx * std::sin(a));
  }
  return circle;
}

}  // namespace h3d::ui::viewer
