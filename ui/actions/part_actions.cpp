#include "part_actions.h"

#include <QAction>
#include <QColorDialog>
#include <QListWidget>
#include <QUndoStack>
#include <QWidget>

#include "h3dpart/document.h"
#include "h3dpart/ui/job_controller.h"
#include "h3dpart/ui/parts_panel.h"
#include "h3dpart/ui/studio_document.h"

namespace h3d::ui {

namespace {

QAction* makeAction(QObject* parent, const QString& text, const QKeySequence& key,
                    const QString& tip) {
  auto* a = new QAction(text, parent);
  a->setShortcut(key);
  a->setStatusTip(tip);
  a->setToolTip(key.isEmpty() ? tip : tip + " (" + key.toString(QKeySequence::NativeText) + ")");
  return a;
}

}  // namespace

PartActions::PartActions(StudioDocument& document, PartsPanel& panel, JobController& jobs,
                         QWidget* window)
    : QObject(window), document_(document), panel_(panel), jobs_(jobs), window_(window) {
  merge_ = makeAction(this, tr("&Merge"), QKeySequence(Qt::CTRL | Qt::Key_M),
                      tr("Merge the selected parts into the first of them"));
  remove_ = makeAction(this, tr("&Delete"), QKeySequence::Delete,
                       tr("Delete the selected parts; their faces go to the neighbouring part"));
  removeToUnassigned_ =
      makeAction(this, tr("Delete to &Unassigned"), QKeySequence(Qt::SHIFT | Qt::Key_Delete),
                 tr("Delete the selected parts; their faces become unassigned"));
  rename_ = makeAction(this, tr("&Rename"), QKeySequence(Qt::Key_F2), tr("Rename the part"));
  recolor_ = makeAction(this, tr("Re&colour…"), QKeySequence(),
                        tr("Choose the colour of the selected parts"));
  hide_ = makeAction(this, tr("&Hide"), QKeySequence(Qt::Key_H), tr("Hide the selected parts"));
  showAll_ =
      makeAction(this, tr("Show &All"), QKeySequence(Qt::SHIFT | Qt::Key_H), tr("Show every part"));
  isolate_ =
      makeAction(this, tr("&Isolate"), QKeySequence(Qt::Key_I), tr("Show only the selected parts"));
  generateSelected_ =
      makeAction(this, tr("Generate &Selected"), QKeySequence(Qt::SHIFT | Qt::Key_F6),
                 tr("Generate only the selected parts; the others keep theirs"));
  askColor = [this](const QColor& initial) {
    return QColorDialog::getColor(initial, window_, tr("Part colour"));
  };

  connect(merge_, &QAction::triggered, this,
          [this] { apply(std::make_unique<MergePartsCommand>(panel_.selectedParts())); });
  auto removeSelected = [this](DeleteTarget target) {
    // Highest index first, so earlier deletions do not renumber later ones.
    std::vector<int> parts = panel_.selectedParts();
    std::sort(parts.rbegin(), parts.rend());
    document_.undoStack().beginMacro(parts.size() > 1 ? tr("Delete parts") : tr("Delete part"));
    for (int p : parts) apply(std::make_unique<DeletePartCommand>(p, target));
    document_.undoStack().endMacro();
  };
  connect(remove_, &QAction::triggered, this,
          [removeSelected] { removeSelected(DeleteTarget::Neighbour); });
  connect(removeToUnassigned_, &QAction::triggered, this,
          [removeSelected] { removeSelected(DeleteTarget::Unassigned); });
  connect(rename_, &QAction::triggered, this, [this] {
    QListWidget* list = panel_.list();
    if (list->currentItem() && (list->currentItem()->flags() & Qt::ItemIsEditable))
      list->editItem(list->currentItem());
  });
  connect(recolor_, &QAction::triggered, this, [this] {
    const std::vector<int> parts = panel_.selectedParts();
    if (parts.empty()) return;
    const Rgb now = document_.model().parts()[std::size_t(parts.front())].color;
    const QColor chosen = askColor ? askColor(QColor(now[0], now[1], now[2])) : QColor();
    if (!chosen.isValid()) return;
    const Rgb rgb{std::uint8_t(chosen.red()), std::uint8_t(chosen.green()),
                  std::uint8_t(chosen.blue())};
    document_.undoStack().beginMacro(tr("Recolour parts"));
    for (int p : parts) apply(std::make_unique<RecolorPartCommand>(p, rgb));
    document_.undoStack().endMacro();
  });
  connect(hide_, &QAction::triggered, this,
          [this] { apply(std::make_unique<SetVisibilityCommand>(panel_.selectedParts(), false)); });
  connect(showAll_, &QAction::triggered, this, [this] {
    std::vector<int> all(std::size_t(document_.model().partCount()));
    for (std::size_t k = 0; k < all.size(); ++k) all[k] = int(k);
    apply(std::make_unique<SetVisibilityCommand>(all, true));
  });
  connect(isolate_, &QAction::triggered, this,
          [this] { apply(std::make_unique<IsolatePartsCommand>(panel_.selectedParts())); });
  connect(generateSelected_, &QAction::triggered, this,
          [this] { jobs_.generateParts(panel_.selectedParts()); });

  connect(&panel_, &PartsPanel::selectionChanged, this, &PartActions::update);
  connect(&document_, &StudioDocument::changed, this, &PartActions::update);
  connect(&jobs_, &JobController::stateChanged, this, &PartActions::update);
  update();
}

QList<QAction*> PartActions::all() const {
  return {merge_,   remove_,  removeToUnassigned_, rename_, recolor_, hide_,
          showAll_, isolate_, generateSelected_};
}

void PartActions::update() {
  const std::size_t selected = panel_.selectedParts().size();
  const bool idle = !jobs_.running();
  merge_->setEnabled(idle && selected >= 2);
  remove_->setEnabled(idle && selected >= 1);
  removeToUnassigned_->setEnabled(idle && selected >= 1);
  rename_->setEnabled(selected == 1);
  recolor_->setEnabled(selected >= 1);
  hide_->setEnabled(selected >= 1);
  showAll_->setEnabled(document_.model().partCount() > 0);
  isolate_->setEnabled(selected >= 1);
  generateSelected_->setEnabled(jobs_.canGenerate() && selected >= 1);
}

void PartActions::apply(std::unique_ptr<EditCommand> edit) {
  const QString why = document_.apply(std::move(edit));
  if (!why.isEmpty()) Q_EMIT refused(why);
}

}  // namespace h3d::ui
