#include "actions/undo_actions.h"

#include <QAction>
#include <QUndoStack>

namespace h3d::ui {

UndoActions::UndoActions(QUndoStack& stack, QObject* parent) : QObject(parent) {
  undo_ = stack.createUndoAction(this, tr("&Undo"));
  undo_->setShortcuts({QKeySequence::Undo});
  redo_ = stack.createRedoAction(this, tr("&Redo"));
  redo_->setShortcuts(
      {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
  for (auto [source, label] : {std::pair{undo_, tr("Undo")}, std::pair{redo_, tr("Redo")}}) {
    auto* button = new QAction(label, this);
    button->setEnabled(source->isEnabled());
    button->setToolTip(source->text().remove('&'));
    connect(button, &QAction::triggered, source, &QAction::trigger);
    connect(source, &QAction::changed, button, [button, source] {
      button->setEnabled(source->isEnabled());
      button->setToolTip(source->text().remove('&') + " (" +
                         source->shortcut().toString(QKeySequence::NativeText) + ")");
    });
    buttons_ << button;
  }
}

}  // namespace h3d::ui
