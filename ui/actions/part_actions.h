#pragma once
// The Parts menu: edits of the selected parts (merge, delete, rename,
// recolour, hide/show, isolate) and Generate Selected. Each is one undoable
// edit on the document; each knows when it is possible.
#include <QObject>
#include <functional>
#include <memory>

#include "h3dpart/document.h"

class QAction;
class QColor;
class QWidget;

namespace h3d::ui {

class StudioDocument;
class PartsPanel;
class JobController;

class PartActions : public QObject {
  Q_OBJECT
 public:
  PartActions(StudioDocument& document, PartsPanel& panel, JobController& jobs, QWidget* window);

  QAction* merge() const { return merge_; }
  QAction* remove() const { return remove_; }
  QAction* removeToUnassigned() const { return removeToUnassigned_; }
  QAction* rename() const { return rename_; }
  QAction* recolor() const { return recolor_; }
  QAction* hide() const { return hide_; }
  QAction* showAll() const { return showAll_; }
  QAction* isolate() const { return isolate_; }
  QAction* generateSelected() const { return generateSelected_; }
  QList<QAction*> all() const;

  // How Recolour asks for a colour (tests replace it); invalid = cancelled.
  std::function<QColor(const QColor& initial)> askColor;

 Q_SIGNALS:
  void refused(const QString& why);

 public Q_SLOTS:
  void update();

 private:
  void apply(std::unique_ptr<EditCommand> edit);

  StudioDocument& document_;
  PartsPanel& panel_;
  JobController& jobs_;
  QWidget* window_;
  QAction* merge_;
  QAction* remove_;
  QAction* removeToUnassigned_;
  QAction* rename_;
  QAction* recolor_;
  QAction* hide_;
  QAction* showAll_;
  QAction* isolate_;
  QAction* generateSelected_;
};

}  // namespace h3d::ui
