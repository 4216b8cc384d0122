#include "memory_chart.h"

#include <QChart>
#include <QLineSeries>
#include <QScatterSeries>
#include <QValueAxis>
#include <algorithm>

namespace h3d::ui {

namespace {
double mib(std::uint64_t bytes) {
  return double(bytes) / (1024.0 * 1024.0);
}
}  // namespace

MemoryChart::MemoryChart(QWidget* parent) : QChartView(parent) {
  auto* chart = new QChart();
  chart->legend()->setAlignment(Qt::AlignBottom);
  chart->setMargins(QMargins(2, 2, 2, 2));
  chart->setAnimationOptions(QChart::NoAnimation);
  setChart(chart);
  setRenderHint(QPainter::Antialiasing, false);
  setMinimumHeight(200);
  x_ = new QValueAxis(this);
  y_ = new QValueAxis(this);
  x_->setTitleText(tr("seconds"));
  y_->setTitleText(tr("MiB"));
  x_->setLabelFormat("%.0f");
  y_->setLabelFormat("%.0f");
  chart->addAxis(x_, Qt::AlignBottom);
  chart->addAxis(y_, Qt::AlignLeft);
}

void MemoryChart::setWindowSeconds(double seconds) {
  window_ = seconds;
}

int MemoryChart::seriesCount() const {
  return int(chart()->series().size());
}

void MemoryChart::configure(bool device) {
  QChart* c = chart();
  c->removeAllSeries();
  lines_.clear();
  deviceMode_ = device;
  const QStringList names = device
                                ? QStringList{tr("total"), tr("used (all)"), tr("this process"),
                                              tr("allocator reserved"), tr("allocator allocated")}
                                : QStringList{tr("models in RAM"), tr("process RSS")};
  for (const QString& name : names) {
    auto* s = new QLineSeries(c);
    s->setName(name);
    c->addSeries(s);
    s->attachAxis(x_);
    s->attachAxis(y_);
    lines_.push_back({s});
  }
  loads_ = new QScatterSeries(c);
  loads_->setName(tr("load"));
  loads_->setMarkerSize(9);
  loads_->setColor(QColor(30, 160, 60));
  unloads_ = new QScatterSeries(c);
  unloads_->setName(tr("unload"));
  unloads_->setMarkerSize(9);
  unloads_->setColor(QColor(200, 60, 40));
  runnerStarts_ = new QScatterSeries(c);
  runnerStarts_->setName(tr("runner start"));
  runnerStarts_->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
  runnerStarts_->setMarkerSize(8);
  runnerStarts_->setColor(QColor(40, 90, 200));
  runnerExits_ = new QScatterSeries(c);
  runnerExits_->setName(tr("runner exit"));
  runnerExits_->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
  runnerExits_->setMarkerSize(8);
  runnerExits_->setColor(QColor(60, 60, 60));
  for (auto* s : {loads_, unloads_, runnerStarts_, runnerExits_}) {
    c->addSeries(s);
    s->attachAxis(x_);
    s->attachAxis(y_);
  }
  c->setTitle(device ? tr("Device memory") : tr("Host memory used by models (no CUDA device)"));
  configured_ = true;
}

void MemoryChart::append(Line& line, double t, double value) {
  // Step shape: repeat the previous value just before a change.
  if (line.lastValue >= 0 && line.lastValue != value && line.series->count() > 0)
    line.series->append(t, line.lastValue);
  line.series->append(t, value);
  line.lastValue = value;
  maxMiB_ = std::max(maxMiB_, value);
}

void MemoryChart::add(double t, const ManagerSnapshot& s) {
  if (!configured_ || deviceMode_ != s.device.available) configure(s.device.available);
  if (deviceMode_) {
    const DeviceMemory& d = s.device;
    const double values[] = {mib(d.total), mib(d.used), mib(d.processUsed),
                             mib(d.allocatorReserved), mib(d.allocatorAllocated)};
    for (std::size_t i = 0; i < lines_.size(); ++i) append(lines_[i], t, values[i]);
  } else {
    const double values[] = {mib(s.modelHostBytes + s.modelDeviceBytes), mib(s.hostRss)};
    for (std::size_t i = 0; i < lines_.size(); ++i) append(lines_[i], t, values[i]);
  }
  trim(t);
  y_->setRange(0, maxMiB_ * 1.1);
  scrollTo(t);
}

void MemoryChart::addMarker(double t, const ManagerEvent& event, const ManagerSnapshot& s) {
  if (!configured_) configure(s.device.available);
  const double y = deviceMode_ ? mib(s.device.used) : mib(s.modelHostBytes + s.modelDeviceBytes);
  if (event.event == "load")
    loads_->append(t, y);
  else if (event.event == "unload" || event.event == "evict" || event.event == "cache")
    unloads_->append(t, y);
  else if (event.event == "runner-start")
    runnerStarts_->append(t, y);
  else if (event.event == "runner-exit")
    runnerExits_->append(t, y);
}

void MemoryChart::trim(double t) {
  const double start = t - window_;
  for (auto& line : lines_) {
    int drop = 0;
    while (drop + 1 < line.series->count() && line.series->at(drop + 1).x() < start) ++drop;
    if (drop > 0) line.series->removePoints(0, drop);
  }
  for (auto* s : {loads_, unloads_, runnerStarts_, runnerExits_}) {
    int drop = 0;
    while (drop < s->count() && s->at(drop).x() < start) ++drop;
    if (drop > 0) s->removePoints(0, drop);
  }
}

int MemoryChart::runnerMarkers() const {
  return runnerStarts_ ? runnerStarts_->count() + runnerExits_->count() : 0;
}

void MemoryChart::scrollTo(double t) {
  x_->setRange(std::max(0.0, t - window_), std::max(t, 10.0));
}

}  // namespace h3d::ui
