#pragma once
// The View menu's viewer actions: Reset View, Fit to Selection, the shading,
// wireframe, axes and grid toggles, and Show Generated Parts. Their shortcuts
// work while the viewer (or a child) has the focus.
#include <QList>
#include <QObject>

class QAction;

namespace h3d::ui {

class MeshViewer;

class ViewActions : public QObject {
  Q_OBJECT
 public:
  ViewActions(MeshViewer& viewer, QObject* parent);

  QAction* resetView() const { return reset_; }
  QAction* fitToSelection() const { return fit_; }
  QAction* smoothShading() const { return smooth_; }
  QAction* wireframe() const { return wire_; }
  QAction* axes() const { return axes_; }
  QAction* grid() const { return grid_; }
  QAction* showGenerated() const { return showGenerated_; }

  // In menu order, a null entry where a separator goes.
  QList<QAction*> menu() const;

 private:
  MeshViewer& viewer_;
  QAction* reset_;
  QAction* fit_;
  QAction* smooth_;
  QAction* wire_;
  QAction* axes_;
  QAction* grid_;
  QAction* showGenerated_;
};

}  // namespace h3d::ui
