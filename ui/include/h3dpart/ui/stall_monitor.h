#pragma once
// Measures how long the event loop goes without running a timer: a precise
// timer ticks every few milliseconds and the largest gap beyond the interval
// is the longest stall a user would feel.
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace h3d::ui {

class StallMonitor : public QObject {
  Q_OBJECT
 public:
  explicit StallMonitor(int intervalMs = 5, QObject* parent = nullptr);

  void start();
  void stop();
  void reset();
  // Ignores the time since the last tick: for work the measurement itself
  // caused (a test grabbing a screenshot).
  void skipGap() { lastNs_ = clock_.nsecsElapsed(); }
  double longestStallMs() const { return longest_; }
  int ticks() const { return ticks_; }

 private:
  void tick();

  QTimer timer_;
  QElapsedTimer clock_;
  qint64 lastNs_ = 0;
  int intervalMs_;
  double longest_ = 0.0;
  int ticks_ = 0;
};

}  // namespace h3d::ui
