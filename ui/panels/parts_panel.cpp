#include "h3dpart/ui/parts_panel.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QPixmap>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <climits>

#include "h3dpart/ui/mesh_viewer.h"
#include "h3dpart/ui/studio_document.h"

namespace h3d::ui {

namespace {

QIcon swatch(const QColor& color) {
  QPixmap pixmap(14, 14);
  pixmap.fill(color);
  QPainter painter(&pixmap);
  painter.setPen(QColor(40, 40, 40));
  painter.drawRect(0, 0, 13, 13);
  return QIcon(pixmap);
}

constexpr int kPartRole = Qt::UserRole + 1;  // part index, -1 = unassigned, INT_MIN = whole input

}  // namespace

PartsPanel::PartsPanel(StudioDocument& document, MeshViewer& viewer, QWidget* parent)
    : QWidget(parent),
      document_(document),
      viewer_(viewer),
      list_(new QListWidget(this)),
      tools_(new QWidget(this)),
      explode_(new QSlider(Qt::Horizontal, this)),
      showGenerated_(new QCheckBox(tr("Show generated parts"), this)),
      hover_(new QLabel(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  list_->setObjectName("partsList");
  list_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  list_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
  list_->setContextMenuPolicy(Qt::ActionsContextMenu);
  list_->setToolTip(
      tr("Select parts (Ctrl/Shift for several); double-click to rename; the box "
         "shows or hides a part"));
  new QGridLayout(tools_);
  tools_->layout()->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(list_, 1);
  layout->addWidget(tools_);
  layout->addWidget(showGenerated_);
  auto* explodeLabel = new QLabel(tr("Exploded view"), this);
  layout->addWidget(explodeLabel);
  explode_->setRange(0, 100);
  explode_->setToolTip(tr("Move the parts apart from the centre"));
  layout->addWidget(explode_);
  hover_->setWordWrap(true);
  layout->addWidget(hover_);

  showGenerated_->setChecked(viewer_.showGenerated());
  connect(showGenerated_, &QCheckBox::toggled, &viewer_, &MeshViewer::setShowGenerated);
  connect(explode_, &QSlider::valueChanged, this, [this](int v) { viewer_.setExplode(v / 100.0); });
  connect(list_, &QListWidget::itemChanged, this, &PartsPanel::onItemChanged);
  connect(list_, &QListWidget::itemSelectionChanged, this, [this] {
    QVector<int> labels;
    for (int p : selectedParts()) labels << p;
    viewer_.setSelectedParts(labels);
    Q_EMIT selectionChanged();
  });
  connect(&document_, &StudioDocument::changed, this, &PartsPanel::rebuild);
  connect(&viewer_, &MeshViewer::partsChanged, this, &PartsPanel::syncControls);
  connect(&viewer_, &MeshViewer::explodeChanged, this, &PartsPanel::syncControls);
  connect(&viewer_, &MeshViewer::hoveredPartChanged, this, [this](int, const QString& name) {
    hover_->setText(name.isEmpty() ? QString() : tr("Under the cursor: %1").arg(name));
  });
  rebuild();
}

void PartsPanel::setEditActions(const QList<QAction*>& actions) {
  // Two columns of buttons: the dock is narrow, a tool bar would hide some.
  auto* grid = static_cast<QGridLayout*>(tools_->layout());
  for (int i = 0; i < actions.size(); ++i) {
    auto* button = new QToolButton(tools_);
    button->setDefaultAction(actions[i]);
    button->setToolButtonStyle(Qt::ToolButtonTextOnly);
    button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    grid->addWidget(button, i / 2, i % 2);
  }
}

int PartsPanel::rowCount() const {
  return list_->count();
}

void PartsPanel::rebuild() {
  // Keep the selection and current row across edits that keep every part
  // (rename, paint); when parts come or go, indices mean other parts: clear.
  const bool sameParts = list_->count() > 0 && lastPartCount_ == document_.model().partCount();
  lastPartCount_ = document_.model().partCount();
  const std::vector<int> selected = sameParts ? selectedParts() : std::vector<int>{};
  const int active = sameParts ? activePart() : -1;
  {
    const QSignalBlocker block(list_);
    list_->clear();
    const PartDocument& doc = document_.model();
    if (document_.hasMesh() && doc.partCount() == 0) {
      auto* item = new QListWidgetItem(swatch(viewer_.partColor(0)), tr("input"));
      item->setData(kPartRole, INT_MIN);
      item->setFlags(Qt::ItemIsEnabled);
      list_->addItem(item);
    }
    std::vector<std::size_t> faces(std::size_t(doc.partCount()), 0);
    std::size_t unassigned = 0;
    for (int l : doc.faceLabels()) (l >= 0 ? faces[std::size_t(l)] : unassigned) += 1;
    for (int k = 0; k < doc.partCount(); ++k) {
      const DocumentPart& part = doc.parts()[std::size_t(k)];
      const QString name = QString::fromStdString(part.name);
      auto* item =
          new QListWidgetItem(swatch(QColor(part.color[0], part.color[1], part.color[2])), name);
      item->setData(kPartRole, k);
      item->setFlags(item->flags() | Qt::ItemIsUserCheckable | Qt::ItemIsEditable);
      item->setCheckState(part.visible ? Qt::Checked : Qt::Unchecked);
      QString tip = tr("%L1 faces").arg(faces[std::size_t(k)]);
      if (part.generated) tip += tr(", generated");
      if (part.boxEdited) tip += tr(", box edited");
      item->setToolTip(tip);
      list_->addItem(item);
    }
    if (doc.partCount() > 0 && unassigned > 0) {
      auto* item = new QListWidgetItem(swatch(viewer_.partColor(-1)),
                                       tr("unassigned (%L1 faces)").arg(unassigned));
      item->setData(kPartRole, -1);
      item->setFlags(Qt::ItemIsEnabled);
      list_->addItem(item);
    }
  }
  selectParts(selected);
  if (active >= 0) {
    for (int r = 0; r < list_->count(); ++r)
      if (list_->item(r)->data(kPartRole).toInt() == active) {
        const QSignalBlocker block(list_);
        list_->setCurrentRow(r, QItemSelectionModel::NoUpdate);
      }
  }
  syncControls();
}

void PartsPanel::syncControls() {
  showGenerated_->setEnabled(viewer_.hasGenerated());
  {
    const QSignalBlocker block(showGenerated_);
    showGenerated_->setChecked(viewer_.showGenerated());
  }
  const QSignalBlocker block(explode_);
  explode_->setValue(int(std::lround(std::min(viewer_.explode(), 1.0) * 100)));
  explode_->setEnabled(document_.model().partCount() > 1);
}

std::vector<int> PartsPanel::selectedParts() const {
  std::vector<int> parts;
  for (auto* item : list_->selectedItems()) {
    const int p = item->data(kPartRole).toInt();
    if (p >= 0) parts.push_back(p);
  }
  std::sort(parts.begin(), parts.end());
  return parts;
}

int PartsPanel::activePart() const {
  auto* item = list_->currentItem();
  if (item && item->isSelected() && item->data(kPartRole).toInt() >= 0)
    return item->data(kPartRole).toInt();
  const std::vector<int> selected = selectedParts();
  return selected.empty() ? -1 : selected.front();
}

void PartsPanel::selectParts(const std::vector<int>& parts) {
  {
    const QSignalBlocker block(list_);
    list_->clearSelection();
    for (int r = 0; r < list_->count(); ++r) {
      QListWidgetItem* item = list_->item(r);
      const int p = item->data(kPartRole).toInt();
      if (std::find(parts.begin(), parts.end(), p) == parts.end()) continue;
      item->setSelected(true);
      if (p == parts.front()) list_->setCurrentItem(item, QItemSelectionModel::NoUpdate);
    }
  }
  QVector<int> labels;
  for (int p : selectedParts()) labels << p;
  viewer_.setSelectedParts(labels);
  Q_EMIT selectionChanged();
}

void PartsPanel::clickPart(int part, bool toggle) {
  if (!toggle) {
    selectParts(part >= 0 ? std::vector<int>{part} : std::vector<int>{});
    return;
  }
  std::vector<int> parts = selectedParts();
  auto it = std::find(parts.begin(), parts.end(), part);
  if (it != parts.end())
    parts.erase(it);
  else if (part >= 0)
    parts.insert(parts.begin(), part);  // the clicked part becomes the active one
  selectParts(parts);
}

void PartsPanel::onItemChanged(QListWidgetItem* item) {
  const int part = item->data(kPartRole).toInt();
  if (part < 0 || part >= document_.model().partCount()) return;
  const DocumentPart& current = document_.model().parts()[std::size_t(part)];
  QString refused;
  const bool visible = item->checkState() == Qt::Checked;
  const QString name = item->text().trimmed();
  if (visible != current.visible) {
    refused =
        document_.apply(std::make_unique<SetVisibilityCommand>(std::vector<int>{part}, visible));
  } else if (name != QString::fromStdString(current.name)) {
    if (name.isEmpty())
      refused = tr("a part needs a name");
    else
      refused = document_.apply(std::make_unique<RenamePartCommand>(part, name.toStdString()));
  }
  if (!refused.isEmpty()) {
    rebuild();  // back to what the document holds
    Q_EMIT editRefused(refused);
  }
}

}  // namespace h3d::ui
