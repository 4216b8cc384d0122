#include "h3dpart/ui/parts_panel.h"

#include <QCheckBox>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QPixmap>
#include <QSlider>
#include <QVBoxLayout>

#include "h3dpart/ui/mesh_viewer.h"

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

constexpr int kLabelRole = Qt::UserRole + 1;

}  // namespace

PartsPanel::PartsPanel(MeshViewer& viewer, QWidget* parent)
    : QWidget(parent),
      viewer_(viewer),
      list_(new QListWidget(this)),
      explode_(new QSlider(Qt::Horizontal, this)),
      showGenerated_(new QCheckBox(tr("Show generated parts"), this)),
      hover_(new QLabel(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  list_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  list_->setToolTip(tr("Check to show a part; select parts to fit the view to them"));
  layout->addWidget(list_, 1);
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
  connect(list_, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
    viewer_.setPartVisible(item->data(kLabelRole).toInt(), item->checkState() == Qt::Checked);
  });
  connect(list_, &QListWidget::itemSelectionChanged, this, [this] {
    QVector<int> labels;
    for (auto* item : list_->selectedItems()) labels << item->data(kLabelRole).toInt();
    viewer_.setSelectedParts(labels);
  });
  connect(&viewer_, &MeshViewer::partsChanged, this, &PartsPanel::rebuild);
  connect(&viewer_, &MeshViewer::hoveredPartChanged, this, [this](int, const QString& name) {
    hover_->setText(name.isEmpty() ? QString() : tr("Under the cursor: %1").arg(name));
  });
  rebuild();
}

int PartsPanel::rowCount() const {
  return list_->count();
}

void PartsPanel::rebuild() {
  const QSignalBlocker block(list_);
  list_->clear();
  for (int label : viewer_.partLabels()) {
    auto* item = new QListWidgetItem(swatch(viewer_.partColor(label)), viewer_.partName(label));
    item->setData(kLabelRole, label);
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(viewer_.partVisible(label) ? Qt::Checked : Qt::Unchecked);
    list_->addItem(item);
  }
  syncControls();
}

void PartsPanel::syncControls() {
  showGenerated_->setEnabled(viewer_.hasGenerated());
  const QSignalBlocker block(showGenerated_);
  showGenerated_->setChecked(viewer_.showGenerated());
  explode_->setEnabled(list_->count() > 1);
}

}  // namespace h3d::ui
