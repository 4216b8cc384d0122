#include "h3dpart/ui/undo_adapter.h"

#include <QUndoStack>
#include <stdexcept>

namespace h3d::ui {

EditUndoCommand::EditUndoCommand(PartDocument& document, std::unique_ptr<EditCommand> edit,
                                 std::function<void()> changed, bool alreadyDone)
    : document_(document),
      edit_(std::move(edit)),
      changed_(std::move(changed)),
      skipRedo_(alreadyDone) {
  setText(QString::fromStdString(edit_->text()));
}

void EditUndoCommand::redo() {
  if (skipRedo_) {
    skipRedo_ = false;  // QUndoStack::push calls redo(); the edit already ran
  } else {
    edit_->redo(document_);
  }
  if (changed_) changed_();
}

void EditUndoCommand::undo() {
  edit_->undo(document_);
  if (changed_) changed_();
}

QString pushEdit(QUndoStack& stack, PartDocument& document, std::unique_ptr<EditCommand> edit,
                 const std::function<void()>& changed) {
  try {
    edit->redo(document);
  } catch (const std::exception& e) {
    return QString::fromStdString(e.what());
  }
  stack.push(new EditUndoCommand(document, std::move(edit), changed, true));
  return {};
}

}  // namespace h3d::ui
