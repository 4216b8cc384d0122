#include "actions/view_actions.h"

#include <QAction>

#include "h3dpart/ui/mesh_viewer.h"

namespace h3d::ui {

namespace {

QAction* action(QObject* parent, const QString& text, const QKeySequence& key) {
  auto* a = new QAction(text, parent);
  a->setShortcut(key);
  a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
  return a;
}

// A checkable action bound to a viewer setting.
QAction* toggle(QObject* parent, const QString& text, bool on, const QKeySequence& key) {
  auto* a = action(parent, text, key);
  a->setCheckable(true);
  a->setChecked(on);
  return a;
}

}  // namespace

ViewActions::ViewActions(MeshViewer& viewer, QObject* parent) : QObject(parent), viewer_(viewer) {
  reset_ = action(this, tr("&Reset View"), Qt::Key_Home);
  fit_ = action(this, tr("&Fit to Selection"), Qt::Key_F);
  smooth_ = toggle(this, tr("&Smooth Shading"), viewer.smoothShading(), Qt::Key_S);
  wire_ = toggle(this, tr("&Wireframe Overlay"), viewer.wireframe(), Qt::Key_W);
  axes_ = toggle(this, tr("&Axes"), viewer.axesVisible(), Qt::Key_A);
  grid_ = toggle(this, tr("Floor &Grid"), viewer.gridVisible(), Qt::Key_G);
  showGenerated_ = toggle(this, tr("Show &Generated Parts"), true, Qt::Key_T);
  connect(reset_, &QAction::triggered, &viewer, &MeshViewer::resetView);
  connect(fit_, &QAction::triggered, &viewer, &MeshViewer::fitToSelection);
  connect(smooth_, &QAction::toggled, &viewer, &MeshViewer::setSmoothShading);
  connect(wire_, &QAction::toggled, &viewer, &MeshViewer::setWireframe);
  connect(axes_, &QAction::toggled, &viewer, &MeshViewer::setAxesVisible);
  connect(grid_, &QAction::toggled, &viewer, &MeshViewer::setGridVisible);
  connect(showGenerated_, &QAction::toggled, &viewer, &MeshViewer::setShowGenerated);
  connect(&viewer, &MeshViewer::partsChanged, showGenerated_, [this] {
    const QSignalBlocker block(showGenerated_);
    showGenerated_->setChecked(viewer_.showGenerated());
    showGenerated_->setEnabled(viewer_.hasGenerated());
  });
  for (QAction* a : {smooth_, wire_, axes_, grid_, reset_, fit_, showGenerated_})
    viewer.addAction(a);
}

QList<QAction*> ViewActions::menu() const {
  return {reset_, fit_, nullptr, smooth_, wire_, axes_, grid_, showGenerated_};
}

}  // namespace h3d::ui
