#include "viewer/outline_tool.h"

#include <cmath>

#include "h3dpart/ui/mesh_viewer.h"
#include "viewer/picking.h"

namespace h3d::ui::viewer {

void OutlineTool::press(QPointF pos) {
  active_ = true;
  pressPos_ = pos;
  outline_ = shape_ == Shape::Lasso ? QPolygonF{pos} : QPolygonF{pos, pos, pos, pos};
}

void OutlineTool::move(QPointF pos) {
  if (!active_) return;
  if (shape_ == Shape::Rectangle) {
    outline_ =
        QPolygonF{pressPos_, QPointF(pos.x(), pressPos_.y()), pos, QPointF(pressPos_.x(), pos.y())};
    return;
  }
  const QPointF last = outline_.back();
  if (std::hypot(pos.x() - last.x(), pos.y() - last.y()) >= 2.0) outline_ << pos;
}

void OutlineTool::release(QPointF pos, Qt::KeyboardModifiers mods) {
  if (!active_) return;  // cancelled with Escape
  move(pos);
  const QPolygonF shape = outline_;
  cancel();
  if (overlayChanged_) overlayChanged_();  // the outline goes before the faces are reported
  const QRectF box = shape.boundingRect();
  if (shape.size() >= 3 && box.width() >= 2 && box.height() >= 2)
    Q_EMIT viewer_.facesSelected(picker_.facesInside(shape), mods);
}

bool OutlineTool::cancel() {
  if (!active_) return false;
  active_ = false;
  outline_.clear();
  return true;
}

QPolygonF OutlineTool::overlay(QPointF, bool) const {
  if (!active_ || outline_.size() < 2) return {};
  QPolygonF closed = outline_;
  closed << outline_.front();
  return closed;
}

}  // namespace h3d::ui::viewer
