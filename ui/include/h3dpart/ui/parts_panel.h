#pragma once
// The parts list: one row per part of the document (colour, name, faces) with
// a visibility check box, plus "unassigned" when faces have no part. Rows
// select parts (Ctrl/Shift for many); a double click renames; the check box
// hides or shows (both undoable edits). Below: the exploded-view slider and
// the switch between the input and the generated parts.
#include <QWidget>
#include <vector>

class QListWidget;
class QSlider;
class QCheckBox;
class QLabel;
class QAction;
class QListWidgetItem;

namespace h3d::ui {

class MeshViewer;
class StudioDocument;

class PartsPanel : public QWidget {
  Q_OBJECT
 public:
  PartsPanel(StudioDocument& document, MeshViewer& viewer, QWidget* parent = nullptr);

  int rowCount() const;
  QListWidget* list() const { return list_; }
  // Buttons under the list for these actions (the part edits).
  void setEditActions(const QList<QAction*>& actions);
  QCheckBox* showGeneratedBox() const { return showGenerated_; }
  QSlider* explodeSlider() const { return explode_; }

  // Selected parts (indices, ascending; "unassigned" is never one).
  std::vector<int> selectedParts() const;
  // The part edits apply to (brush, box): the current row's part, else -1.
  int activePart() const;
  void selectParts(const std::vector<int>& parts);
  // A click in the view: select only `part`, or add/remove it (toggle).
  void clickPart(int part, bool toggle);

 Q_SIGNALS:
  void selectionChanged();
  void editRefused(const QString& why);

 private:
  void rebuild();
  void syncControls();
  void onItemChanged(QListWidgetItem* item);

  StudioDocument& document_;
  MeshViewer& viewer_;
  QListWidget* list_;
  QWidget* tools_;
  QSlider* explode_;
  QCheckBox* showGenerated_;
  QLabel* hover_;
  int lastPartCount_ = -1;
};

}  // namespace h3d::ui
