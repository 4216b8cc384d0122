#include "actions/job_actions.h"

#include <QAction>

#include "h3dpart/ui/job_controller.h"
#include "window/icons.h"

namespace h3d::ui {

JobActions::JobActions(JobController& jobs, QObject* parent) : QObject(parent), jobs_(jobs) {
  segment_ = new QAction(icons::make(icons::Kind::Segment), tr("&Segment"), this);
  segment_->setShortcut(Qt::Key_F5);
  segment_->setStatusTip(tr("Split the mesh into parts (F5)"));
  generate_ = new QAction(icons::make(icons::Kind::Generate), tr("&Generate"), this);
  generate_->setShortcut(Qt::Key_F6);
  generate_->setStatusTip(tr("Generate a complete closed mesh for each part (F6)"));
  cancel_ = new QAction(icons::make(icons::Kind::Cancel), tr("&Cancel"), this);
  cancel_->setShortcut(Qt::Key_Escape);
  cancel_->setStatusTip(tr("Stop the running job; the last result stays (Esc)"));
  connect(segment_, &QAction::triggered, &jobs_, &JobController::segment);
  connect(generate_, &QAction::triggered, &jobs_, &JobController::generate);
  connect(cancel_, &QAction::triggered, &jobs_, &JobController::cancel);
  connect(&jobs_, &JobController::stateChanged, this, &JobActions::update);
  update();
}

void JobActions::update() {
  segment_->setEnabled(jobs_.canSegment());
  generate_->setEnabled(jobs_.canGenerate());
  cancel_->setEnabled(jobs_.running());
}

}  // namespace h3d::ui
