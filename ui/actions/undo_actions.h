#pragma once
// The Edit menu's Undo and Redo, bound to the document's undo stack (their
// text says what they undo), and fixed-label copies for the toolbar so the
// bar does not jump.
#include <QList>
#include <QObject>

class QAction;
class QUndoStack;

namespace h3d::ui {

class UndoActions : public QObject {
  Q_OBJECT
 public:
  UndoActions(QUndoStack& stack, QObject* parent);

  QAction* undo() const { return undo_; }
  QAction* redo() const { return redo_; }
  // "Undo" and "Redo" with fixed text, triggering the actions above.
  QList<QAction*> toolbarButtons() const { return buttons_; }

 private:
  QAction* undo_;
  QAction* redo_;
  QList<QAction*> buttons_;
};

}  // namespace h3d::ui
