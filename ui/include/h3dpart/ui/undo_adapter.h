#pragma once
// Puts the document model's edits (h3dpart/document.h) on a QUndoStack, so
// Ctrl+Z / Ctrl+Shift+Z, the Edit menu and the clean mark come from Qt.
//
// Edits can be refused (a part index that no longer exists, seeds outside the
// part): pushEdit applies the edit first and records it only when it worked,
// because QUndoStack::push must not see an exception.
#include <QString>
#include <QUndoCommand>
#include <functional>
#include <memory>

#include "h3dpart/document.h"

class QUndoStack;

namespace h3d::ui {

class EditUndoCommand : public QUndoCommand {
 public:
  // `changed` runs after every redo and undo (refresh the views from the document).
  EditUndoCommand(PartDocument& document, std::unique_ptr<EditCommand> edit,
                  std::function<void()> changed, bool alreadyDone);
  void redo() override;
  void undo() override;

 private:
  PartDocument& document_;
  std::unique_ptr<EditCommand> edit_;
  std::function<void()> changed_;
  bool skipRedo_;
};

// Applies `edit` to `document`; on success records it on `stack` and returns
// an empty string, else returns why it was refused (document unchanged).
QString pushEdit(QUndoStack& stack, PartDocument& document, std::unique_ptr<EditCommand> edit,
                 const std::function<void()>& changed);

}  // namespace h3d::ui
