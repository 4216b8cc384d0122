#include "viewer/click_tools.h"

#include "h3dpart/ui/mesh_viewer.h"
#include "viewer/picking.h"

namespace h3d::ui::viewer {

void NavigateTool::click(QPointF pos, Qt::KeyboardModifiers mods) {
  Q_EMIT viewer_.partClicked(picker_.pickPart(pos), mods);
}

void SurfaceClickTool::click(QPointF pos, Qt::KeyboardModifiers mods) {
  Vec3 point;
  const long face = picker_.pickFace(pos, &point);
  if (face >= 0) Q_EMIT viewer_.surfaceClicked(quint32(face), point, mods);
}

}  // namespace h3d::ui::viewer
