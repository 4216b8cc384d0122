#pragma once
// The Run menu: Segment (F5), Generate (F6) and Cancel (Esc), each enabled
// when the job controller allows it.
#include <QList>
#include <QObject>

class QAction;

namespace h3d::ui {

class JobController;

class JobActions : public QObject {
  Q_OBJECT
 public:
  JobActions(JobController& jobs, QObject* parent);

  QAction* segment() const { return segment_; }
  QAction* generate() const { return generate_; }
  QAction* cancel() const { return cancel_; }
  QList<QAction*> all() const { return {segment_, generate_, cancel_}; }

 public Q_SLOTS:
  void update();

 private:
  JobController& jobs_;
  QAction* segment_;
  QAction* generate_;
  QAction* cancel_;
};

}  // namespace h3d::ui
