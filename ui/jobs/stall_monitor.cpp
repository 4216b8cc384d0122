#include "h3dpart/ui/stall_monitor.h"

#include <algorithm>

namespace h3d::ui {

StallMonitor::StallMonitor(int intervalMs, QObject* parent)
    : QObject(parent), intervalMs_(intervalMs) {
  timer_.setTimerType(Qt::PreciseTimer);
  timer_.setInterval(intervalMs_);
  connect(&timer_, &QTimer::timeout, this, &StallMonitor::tick);
}

void StallMonitor::start() {
  reset();
  timer_.start();
}

void StallMonitor::stop() {
  timer_.stop();
}

void StallMonitor::reset() {
  clock_.start();
  lastNs_ = 0;
  longest_ = 0.0;
  ticks_ = 0;
}

void StallMonitor::tick() {
  const qint64 now = clock_.nsecsElapsed();
  const double gapMs = double(now - lastNs_) / 1e6;
  lastNs_ = now;
  ++ticks_;
  // The first gap includes start-up work before the loop ran; not a stall.
  if (ticks_ > 1) longest_ = std::max(longest_, gapMs - intervalMs_);
}

}  // namespace h3d::ui
