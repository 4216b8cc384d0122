#include "h3dpart/ui/model_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <functional>

#include "panels/memory_chart.h"

namespace h3d::ui {

namespace {

QString bytesText(std::uint64_t bytes) {
  if (bytes == 0) return QStringLiteral("–");
  return QLocale().formattedDataSize(qint64(bytes), 1, QLocale::DataSizeTraditionalFormat);
}

QString stateLabel(const ModelStatus& m) {
  switch (m.state) {
    case ModelState::Unloaded:
      return QObject::tr("Unloaded");
    case ModelState::Loading:
      return QObject::tr("Loading %1%").arg(int(m.loadProgress * 100));
    case ModelState::Resident:
      return QObject::tr("Resident");
    case ModelState::Cached:
      return QObject::tr("Cached in RAM");
    case ModelState::Unloading:
      return QObject::tr("Unloading");
    case ModelState::Failed:
      return QObject::tr("Failed: %1").arg(QString::fromStdString(m.error));
  }
  return {};
}

// Cheap change detection: a hash of what the view shows.
std::uint64_t fingerprint(const ManagerSnapshot& s) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::uint64_t v) { h = (h ^ v) * 1099511628211ull; };
  mix(s.eventSerial);
  mix(s.modelDeviceBytes);
  mix(s.modelHostBytes);
  mix(s.device.available);
  if (s.device.available) {
    mix(s.device.used >> 20);  // MiB steps: other processes' noise below that is not news
    mix(s.device.processUsed >> 20);
  }  // without a device these are system-wide host figures the panel does not show
  mix(s.device.allocatorReserved);
  mix(s.device.allocatorAllocated);
  mix(std::uint64_t(s.runner.state));
  mix(std::uint64_t(s.runner.pid));
  mix(s.runner.rss >> 23);  // 8 MiB steps
  mix(s.runner.deviceBytes >> 20);
  for (const auto& m : s.models) {
    mix(std::uint64_t(m.state));
    mix(std::uint64_t(m.loadProgress * 100));
    mix(m.deviceBytes);
    mix(m.hostBytes);
    mix(std::hash<std::string>{}(m.error));
  }
  return h;
}

const char* kSettingsGroup = "models";

}  // namespace

ModelPanel::ModelPanel(InferenceEngine& engine, QWidget* parent)
    : QWidget(parent),
      engine_(engine),
      timer_(new QTimer(this)),
      deviceLabel_(new QLabel(this)),
      runnerLabel_(new QLabel(this)),
      table_(new QTableWidget(0, ColumnCount, this)),
      load_(new QPushButton(tr("Load"), this)),
      unload_(new QPushButton(tr("Unload"), this)),
      unloadAll_(new QPushButton(tr("Unload all"), this)),
      chart_(new MemoryChart(this)),
      policy_(new QComboBox(this)),
      vramBudget_(new QDoubleSpinBox(this)),
      ramBudget_(new QDoubleSpinBox(this)),
      keepAlive_(new QDoubleSpinBox(this)),
      device_(new QComboBox(this)),
      verbose_(new QCheckBox(tr("Verbose log"), this)),
      log_(new QPlainTextEdit(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  deviceLabel_->setWordWrap(true);
  layout->addWidget(deviceLabel_);
  runnerLabel_->setWordWrap(true);
  runnerLabel_->setToolTip(
      tr("The models run in h3dpart-runner, a process of their own: ending it gives back "
         "everything they held"));
  layout->addWidget(runnerLabel_);

  table_->setHorizontalHeaderLabels({tr("Model"), tr("Role"), tr("State"), tr("Device"),
                                     tr("On device"), tr("In RAM"), tr("Last load")});
  table_->verticalHeader()->hide();
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  // Names in full; in a narrow dock the table scrolls sideways.
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setStretchLastSection(true);

  auto* buttons = new QHBoxLayout();
  buttons->addWidget(load_);
  buttons->addWidget(unload_);
  buttons->addWidget(unloadAll_);
  buttons->addStretch();

  auto* top = new QWidget(this);
  auto* topLayout = new QVBoxLayout(top);
  topLayout->setContentsMargins(0, 0, 0, 0);
  topLayout->addWidget(table_);
  topLayout->addLayout(buttons);

  auto* settings = new QWidget(this);
  auto* form = new QFormLayout(settings);
  form->setContentsMargins(0, 0, 0, 0);
  policy_->addItem(tr("sequential (one model, unload after use)"), int(Policy::Sequential));
  policy_->addItem(tr("keep (stay loaded)"), int(Policy::Keep));
  policy_->addItem(tr("budget (keep what fits)"), int(Policy::Budget));
  for (auto* box : {vramBudget_, ramBudget_}) {
    box->setRange(0, 1024);
    box->setDecimals(1);
    box->setSuffix(tr(" GiB"));
    box->setSpecialValueText(tr("automatic"));
    box->setSingleStep(0.5);
  }
  device_->addItem(tr("automatic"), "auto");
  device_->addItem(tr("CPU"), "cpu");
  for (int i = 0; i < 4; ++i)
    device_->addItem(QStringLiteral("CUDA:%1").arg(i), QStringLiteral("cuda:%1").arg(i));
  device_->setToolTip(tr("Takes effect at the next start"));
  keepAlive_->setRange(0, 86400);
  keepAlive_->setDecimals(0);
  keepAlive_->setSuffix(tr(" s"));
  keepAlive_->setSpecialValueText(tr("never"));
  keepAlive_->setToolTip(
      tr("keep and budget: end an idle runner (and its models) after this long"));
  form->addRow(tr("Policy"), policy_);
  form->addRow(tr("VRAM budget"), vramBudget_);
  form->addRow(tr("RAM budget"), ramBudget_);
  form->addRow(tr("Runner keep-alive"), keepAlive_);
  form->addRow(tr("Device"), device_);
  form->addRow(QString(), verbose_);

  log_->setReadOnly(true);
  log_->setMaximumBlockCount(2000);
  log_->setPlaceholderText(tr("Model events appear here"));

  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(top);
  split->addWidget(chart_);
  split->addWidget(settings);
  split->addWidget(log_);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);
  split->setStretchFactor(3, 2);
  layout->addWidget(split, 1);

  connect(load_, &QPushButton::clicked, this, [this] {
    if (const QString m = selectedModel(); !m.isEmpty()) engine_.loadModel(m);
  });
  connect(unload_, &QPushButton::clicked, this, [this] {
    if (const QString m = selectedModel(); !m.isEmpty()) engine_.unloadModel(m);
  });
  connect(unloadAll_, &QPushButton::clicked, this, [this] { engine_.unloadAll(); });
  connect(table_, &QTableWidget::itemSelectionChanged, this, &ModelPanel::updateButtons);
  connect(policy_, &QComboBox::currentIndexChanged, this, [this] {
    if (applyingSettings_) return;
    engine_.manager().setPolicy(Policy(policy_->currentData().toInt()));
    saveSettings();
  });
  for (auto* box : {vramBudget_, ramBudget_})
    connect(box, &QDoubleSpinBox::editingFinished, this, [this] {
      applyBudgets();
      saveSettings();
    });
  connect(keepAlive_, &QDoubleSpinBox::editingFinished, this, [this] {
    engine_.manager().setKeepAliveSeconds(keepAlive_->value());
    saveSettings();
  });
  connect(device_, &QComboBox::currentIndexChanged, this, [this] {
    if (!applyingSettings_) saveSettings();
  });
  connect(verbose_, &QCheckBox::toggled, this, [this](bool on) {
    if (applyingSettings_) return;
    engine_.manager().setVerbose(on);
    saveSettings();
  });
  // The manager's observer runs on any thread; the engine re-emits it queued.
  // Bursts of changes (loading progress) coalesce into one refresh.
  connect(
      &engine_, &InferenceEngine::managerChanged, this,
      [this] {
        if (!pendingRefresh_) {
          pendingRefresh_ = true;
          QTimer::singleShot(100, this, [this] {
            pendingRefresh_ = false;
            refresh();
          });
        }
      },
      Qt::QueuedConnection);
  connect(timer_, &QTimer::timeout, this, &ModelPanel::refresh);
  clock_.start();
  // 2 Hz: with a software GL compositor every repaint of the window costs
  // tens of milliseconds, so the panel repaints no more often than this.
  setPollInterval(500);
  timer_->start();
  refresh();
}

ModelPanel::~ModelPanel() = default;

void ModelPanel::setPollInterval(int ms) {
  timer_->setInterval(ms);
}

void ModelPanel::refresh() {
  applySnapshot(engine_.manager().snapshot());
}

void ModelPanel::applySnapshot(const ManagerSnapshot& s) {
  const double t = double(clock_.elapsed()) / 1000.0;
  const std::uint64_t fp = fingerprint(s);
  // RSS moves a little all the time (allocator trimming): news only past 8 MiB.
  const std::uint64_t rssDelta = s.hostRss > lastRss_ ? s.hostRss - lastRss_ : lastRss_ - s.hostRss;
  if (haveSnapshot_ && fp == lastFingerprint_ && rssDelta < (8ull << 20)) {
    // Idle: only let the time axis move, and not at full poll rate.
    if (t - lastScroll_ > 5.0) {
      lastScroll_ = t;
      chart_->add(t, s);
    }
    return;
  }
  haveSnapshot_ = true;
  lastFingerprint_ = fp;
  lastRss_ = s.hostRss;
  ++redraws_;
  const DeviceMemory& d = s.device;
  if (d.available) {
    QString text = tr("Device: %1 (%2), %3 of %4 used")
                       .arg(QString::fromStdString(d.name), QString::fromStdString(s.deviceName),
                            bytesText(d.used), bytesText(d.total));
    if (d.contextBytes) text += tr("; CUDA context holds %1").arg(bytesText(d.contextBytes));
    deviceLabel_->setText(text);
  } else {
    QString text =
        tr("No CUDA device: models run on the CPU. The chart shows host memory used "
           "by models.");
    if (!d.note.empty()) text += QStringLiteral(" (%1)").arg(QString::fromStdString(d.note));
    deviceLabel_->setText(text);
  }
  const RunnerStatus& r = s.runner;
  QString runner = tr("Runner: %1").arg(QString::fromStdString(toString(r.state)));
  if (r.pid > 0)
    runner += tr(", pid %1, RSS %2, device %3")
                  .arg(r.pid)
                  .arg(bytesText(r.rss), bytesText(r.deviceBytes));
  if (r.starts > 0)
    runner += tr("; started in %1 s; %2 starts, %3 exits")
                  .arg(r.spawnToReadyMs / 1000.0, 0, 'f', 2)
                  .arg(r.starts)
                  .arg(r.exits);
  if (r.pid <= 0 && !r.lastExit.empty())
    runner += tr("; last: %1").arg(QString::fromStdString(r.lastExit));
  runnerLabel_->setText(runner);
  fillTable(s);
  chart_->add(t, s);
  appendEvents(s);
  updateButtons();
}

void ModelPanel::fillTable(const ManagerSnapshot& s) {
  const QString selected = selectedModel();
  table_->setRowCount(int(s.models.size()));
  for (int r = 0; r < int(s.models.size()); ++r) {
    const ModelStatus& m = s.models[r];
    QString last = QStringLiteral("–");
    if (m.lastLoadMs > 0) {
      last = tr("%1 ms from %2")
                 .arg(m.lastLoadMs, 0, 'f', 0)
                 .arg(m.lastLoadSource == LoadSource::HostCache ? tr("RAM") : tr("disk"));
    }
    const QString cells[ColumnCount] = {QString::fromStdString(m.name),
                                        QString::fromStdString(m.role),
                                        stateLabel(m),
                                        QString::fromStdString(m.device),
                                        bytesText(m.deviceBytes),
                                        bytesText(m.hostBytes),
                                        last};
    for (int c = 0; c < ColumnCount; ++c) {
      QTableWidgetItem* item = table_->item(r, c);
      if (!item) {
        item = new QTableWidgetItem();
        table_->setItem(r, c, item);
      }
      if (item->text() != cells[c]) item->setText(cells[c]);
    }
    table_->item(r, State)->setToolTip(QString::fromStdString(m.error));
    if (m.name == selected.toStdString()) table_->selectRow(r);
  }
}

void ModelPanel::appendEvents(const ManagerSnapshot& s) {
  // recentEvents holds the last events; the serial counts all, so the new
  // ones are the last (serial - lastSerial_) entries.
  const std::uint64_t fresh = s.eventSerial - std::min(lastSerial_, s.eventSerial);
  const std::size_t n = std::min<std::size_t>(fresh, s.recentEvents.size());
  for (std::size_t i = s.recentEvents.size() - n; i < s.recentEvents.size(); ++i) {
    const ManagerEvent& e = s.recentEvents[i];
    QString line = QStringLiteral("%1 s  %2  %3")
                       .arg(e.timeSec, 7, 'f', 2)
                       .arg(QString::fromStdString(e.event), -8)
                       .arg(QString::fromStdString(e.model));
    if (e.bytes) line += QStringLiteral("  %1").arg(bytesText(e.bytes));
    if (e.durationMs > 0) line += QStringLiteral("  %1 ms").arg(e.durationMs, 0, 'f', 0);
    if (!e.detail.empty()) line += QStringLiteral("  %1").arg(QString::fromStdString(e.detail));
    log_->appendPlainText(line);
    chart_->addMarker(double(clock_.elapsed()) / 1000.0, e, s);
  }
  lastSerial_ = s.eventSerial;
}

void ModelPanel::updateButtons() {
  const bool any = table_->rowCount() > 0;
  load_->setEnabled(!selectedModel().isEmpty());
  unload_->setEnabled(!selectedModel().isEmpty());
  unloadAll_->setEnabled(any);
}

QString ModelPanel::selectedModel() const {
  const auto rows = table_->selectionModel()->selectedRows();
  if (rows.isEmpty()) return {};
  const QTableWidgetItem* item = table_->item(rows.first().row(), Name);
  return item ? item->text() : QString();
}

QString ModelPanel::stateText(const QString& model) const {
  for (int r = 0; r < table_->rowCount(); ++r)
    if (table_->item(r, Name) && table_->item(r, Name)->text() == model)
      return table_->item(r, State)->text();
  return {};
}

QString ModelPanel::deviceNote() const {
  return deviceLabel_->text();
}

QString ModelPanel::runnerText() const {
  return runnerLabel_->text();
}

void ModelPanel::applyBudgets() {
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  engine_.manager().setVramBudget(std::uint64_t(vramBudget_->value() * kGiB));
  engine_.manager().setRamBudget(std::uint64_t(ramBudget_->value() * kGiB));
}

void ModelPanel::loadSettings() {
  applyingSettings_ = true;
  QSettings settings;
  settings.beginGroup(kSettingsGroup);
  Policy policy = engine_.manager().config().policy;
  parsePolicy(
      settings.value("policy", QString::fromStdString(toString(policy))).toString().toStdString(),
      policy);
  policy_->setCurrentIndex(policy_->findData(int(policy)));
  vramBudget_->setValue(settings.value("vramBudgetGiB", 0.0).toDouble());
  ramBudget_->setValue(settings.value("ramBudgetGiB", 0.0).toDouble());
  const int dev = device_->findData(settings.value("device", "auto").toString());
  device_->setCurrentIndex(dev < 0 ? 0 : dev);
  verbose_->setChecked(settings.value("verbose", false).toBool());
  keepAlive_->setValue(settings.value("keepAliveSeconds", 0.0).toDouble());
  settings.endGroup();
  applyingSettings_ = false;
  engine_.manager().setPolicy(policy);
  engine_.manager().setVerbose(verbose_->isChecked());
  engine_.manager().setKeepAliveSeconds(keepAlive_->value());
  // 0 is the manager's own default ("automatic"): nothing to tell it then.
  if (vramBudget_->value() > 0 || ramBudget_->value() > 0) applyBudgets();
}

void ModelPanel::saveSettings() const {
  QSettings settings;
  settings.beginGroup(kSettingsGroup);
  settings.setValue("policy",
                    QString::fromStdString(toString(Policy(policy_->currentData().toInt()))));
  settings.setValue("vramBudgetGiB", vramBudget_->value());
  settings.setValue("ramBudgetGiB", ramBudget_->value());
  settings.setValue("device", device_->currentData().toString());
  settings.setValue("verbose", verbose_->isChecked());
  settings.setValue("keepAliveSeconds", keepAlive_->value());
  settings.endGroup();
}

}  // namespace h3d::ui
