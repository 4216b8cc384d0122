#pragma once
// The legend of the view: one row per part (colour, name, faces) with a
// visibility check box, plus the exploded-view slider and the switch
// between the input and the generated parts.
#include <QWidget>

class QListWidget;
class QSlider;
class QCheckBox;
class QLabel;

namespace h3d::ui {

class MeshViewer;

class PartsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit PartsPanel(MeshViewer& viewer, QWidget* parent = nullptr);

  int rowCount() const;
  QCheckBox* showGeneratedBox() const { return showGenerated_; }
  QSlider* explodeSlider() const { return explode_; }

 private:
  void rebuild();
  void syncControls();

  MeshViewer& viewer_;
  QListWidget* list_;
  QSlider* explode_;
  QCheckBox* showGenerated_;
  QLabel* hover_;
};

}  // namespace h3d::ui
