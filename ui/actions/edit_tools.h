#pragma once
// The view's editing tools and what they do to the document: point prompt
// (the segmenter's part under a click becomes a new part or replaces the part
// it overlaps), split a part by two clicks, paint brush, lasso and rectangle
// face selection (assign to the active part; Shift: a new part; Ctrl:
// unassign) and the active part's box. One tool at a time, in a QActionGroup;
// the options bar holds the prompt mode and the brush radius.
#include <QObject>
#include <QString>
#include <cstdint>
#include <vector>

#include "h3dpart/document.h"
#include "h3dpart/ui/mesh_viewer.h"

class QAction;
class QActionGroup;
class QComboBox;
class QDoubleSpinBox;
class QToolBar;
class QWidget;

namespace h3d::ui {

class StudioDocument;
class PartsPanel;
class JobController;

class EditTools : public QObject {
  Q_OBJECT
 public:
  EditTools(StudioDocument& document, MeshViewer& viewer, PartsPanel& panel, JobController& jobs,
            QWidget* window);

  QList<QAction*> actions() const;
  QAction* action(ViewerTool tool) const;
  QToolBar* optionsBar() const { return options_; }
  ViewerTool tool() const { return viewer_.tool(); }
  void setTool(ViewerTool tool);

  MaskMode promptMode() const;
  void setPromptMode(MaskMode mode);
  // Brush radius as a share of the mesh's bounding-box diagonal.
  double brushFraction() const;
  void setBrushFraction(double fraction);

  // What the view's signals trigger (public so tests can drive them exactly).
  void surfaceClicked(quint32 face, const Vec3& point, Qt::KeyboardModifiers modifiers);
  void brushDab(quint32 face, const Vec3& point);
  void brushStrokeFinished();
  void facesSelected(const std::vector<std::uint32_t>& faces, Qt::KeyboardModifiers modifiers);
  void boxEdited(const Box3& box);

 Q_SIGNALS:
  void message(const QString& text, bool error);

 private:
  void updateEnabled();
  void syncBox();
  void applyBrushRadius();
  void assignFaces(const std::vector<std::uint32_t>& faces, Qt::KeyboardModifiers modifiers);
  void apply(std::unique_ptr<EditCommand> edit);

  StudioDocument& document_;
  MeshViewer& viewer_;
  PartsPanel& panel_;
  JobController& jobs_;
  QActionGroup* group_;
  std::vector<std::pair<ViewerTool, QAction*>> tools_;
  QToolBar* options_;
  QComboBox* promptMode_;
  QDoubleSpinBox* brushRadius_;
  long splitSeed_ = -1;  // the first click of a split
  int splitPart_ = -1;
  std::vector<std::uint32_t> stroke_;  // faces painted by the running brush stroke
  std::vector<bool> inStroke_;
  int strokeTarget_ = -1;
  bool strokeNewPart_ = false;
  bool strokeRefused_ = false;  // this stroke has no part to paint into
};

}  // namespace h3d::ui
