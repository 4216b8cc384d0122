#include "icons.h"

#include <QIconEngine>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace h3d::ui::icons {

namespace {

// Draws into a 24x24 logical box, scaled to the requested size.
void paint(QPainter& p, Kind kind) {
  p.setRenderHint(QPainter::Antialiasing);
  auto poly = [&p](std::initializer_list<QPointF> pts, QColor fill) {
    p.setBrush(fill);
    p.drawPolygon(QPolygonF(QList<QPointF>(pts)));
  };
  p.setPen(QPen(QColor(40, 40, 50), 0.8));
  switch (kind) {
    case Kind::Open:
      poly({{2, 6}, {9, 6}, {11, 8}, {22, 8}, {22, 20}, {2, 20}}, QColor(0xe8, 0xb8, 0x4a));
      poly({{2, 11}, {22, 11}, {20, 20}, {2, 20}}, QColor(0xf3, 0xcf, 0x6d));
      break;
    case Kind::Export:
      p.setBrush(QColor(0x5b, 0x8f, 0xd6));
      p.drawRoundedRect(QRectF(3, 3, 18, 18), 2, 2);
      p.setBrush(QColor(0xee, 0xf3, 0xfb));
      p.drawRect(QRectF(7, 3, 10, 6));
      p.setBrush(Qt::white);
      p.drawRect(QRectF(6, 13, 12, 8));
      break;
    case Kind::App:
    case Kind::Segment:
      poly({{12, 2}, {21, 7}, {12, 12}, {3, 7}}, QColor(0xe4, 0x57, 0x3d));
      poly({{3, 9}, {11, 13.5}, {11, 22}, {3, 17.5}}, QColor(0x3d, 0x9b, 0xe4));
      poly({{21, 9}, {13, 13.5}, {13, 22}, {21, 17.5}}, QColor(0x4c, 0xbf, 0x5a));
      break;
    case Kind::Generate:
      poly({{12, 2}, {21, 7}, {21, 17}, {12, 22}, {3, 17}, {3, 7}}, QColor(0x7a, 0x5b, 0xd6));
      p.setPen(QPen(QColor(0xe9, 0xe2, 0xff), 1.2));
      p.drawLine(QPointF(12, 12), QPointF(21, 7));
      p.drawLine(QPointF(12, 12), QPointF(12, 22));
      p.drawLine(QPointF(12, 12), QPointF(3, 7));
      break;
    case Kind::Cancel:
      p.setBrush(QColor(0xd6, 0x45, 0x45));
      p.drawEllipse(QPointF(12, 12), 9, 9);
      p.setPen(QPen(Qt::white, 2.5, Qt::SolidLine, Qt::RoundCap));
      p.drawLine(QPointF(8.5, 8.5), QPointF(15.5, 15.5));
      p.drawLine(QPointF(15.5, 8.5), QPointF(8.5, 15.5));
      break;
  }
}

class PaintedIcon : public QIconEngine {
 public:
  explicit PaintedIcon(Kind kind) : kind_(kind) {}
  void paint(QPainter* painter, const QRect& rect, QIcon::Mode mode, QIcon::State) override {
    painter->save();
    painter->translate(rect.topLeft());
    painter->scale(rect.width() / 24.0, rect.height() / 24.0);
    if (mode == QIcon::Disabled) painter->setOpacity(0.35);
    icons::paint(*painter, kind_);
    painter->restore();
  }
  QPixmap pixmap(const QSize& size, QIcon::Mode mode, QIcon::State state) override {
    QPixmap pm(size);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    paint(&p, QRect(QPoint(0, 0), size), mode, state);
    return pm;
  }
  QIconEngine* clone() const override { return new PaintedIcon(kind_); }

 private:
  Kind kind_;
};

}  // namespace

QIcon make(Kind kind) {
  return QIcon(new PaintedIcon(kind));
}

}  // namespace h3d::ui::icons
