#pragma once
// Live memory chart of the model panel (Qt Charts). Series over the last few
// minutes with markers at model load and unload events and at the start and
// end of the runner process. Fed by the panel
// only when the snapshot changed; the time axis scrolls on its own, slowly.
#include <QChartView>
#include <QString>
#include <vector>

#include "h3dpart/model_snapshot.h"

class QLineSeries;
class QScatterSeries;
class QValueAxis;
class QTimer;

namespace h3d::ui {

class MemoryChart : public QChartView {
  Q_OBJECT
 public:
  explicit MemoryChart(QWidget* parent = nullptr);

  void setWindowSeconds(double seconds);
  // Adds the snapshot's readings at time t (seconds since the panel started).
  void add(double t, const ManagerSnapshot& snapshot);
  void addMarker(double t, const ManagerEvent& event, const ManagerSnapshot& snapshot);
  // Moves the time axis to end at t (cheap: no series change).
  void scrollTo(double t);
  int seriesCount() const;
  int runnerMarkers() const;  // start and exit markers in the window

 private:
  struct Line {
    QLineSeries* series;
    double lastValue = -1;
  };
  void configure(bool device);
  void append(Line& line, double t, double valueMiB);
  void trim(double t);

  bool deviceMode_ = false;
  bool configured_ = false;
  double window_ = 180.0;
  double maxMiB_ = 1.0;
  std::vector<Line> lines_;
  QScatterSeries* loads_ = nullptr;
  QScatterSeries* unloads_ = nullptr;
  QScatterSeries* runnerStarts_ = nullptr;  // the runner process started
  QScatterSeries* runnerExits_ = nullptr;   // ... and ended (its memory went with it)
  QValueAxis* x_ = nullptr;
  QValueAxis* y_ = nullptr;
};

}  // namespace h3d::ui
