#include "h3dpart/ui/job_controller.h"

#include "h3dpart/ui/studio_document.h"

namespace h3d::ui {

JobController::JobController(InferenceEngine& engine, StudioDocument& document, QObject* parent)
    : QObject(parent), engine_(engine), document_(document) {
  connect(&engine_, &InferenceEngine::progress, this, &JobController::onProgress);
  connect(&engine_, &InferenceEngine::segmented, this, &JobController::onSegmented);
  connect(&engine_, &InferenceEngine::generated, this, &JobController::onGenerated);
  connect(&engine_, &InferenceEngine::failed, this, &JobController::onFailed);
  connect(&engine_, &InferenceEngine::cancelled, this, &JobController::onCancelled);
  connect(&document_, &StudioDocument::changed, this, &JobController::stateChanged);
}

bool JobController::canSegment() const {
  return !running() && document_.hasMesh();
}

bool JobController::canGenerate() const {
  return !running() && document_.hasMesh() && document_.hasSegmentation() &&
         document_.segmentation()->partCount() > 0;
}

void JobController::segment() {
  if (!canSegment()) return;
  jobMesh_ = document_.mesh();
  jobSegmentation_.reset();
  start(Kind::Segment, engine_.segment(jobMesh_, segmentOptions_));
}

void JobController::generate() {
  if (!canGenerate()) return;
  jobMesh_ = document_.mesh();
  jobSegmentation_ = document_.segmentation();
  start(Kind::Generate, engine_.generate(jobMesh_, jobSegmentation_, generateOptions_));
}

void JobController::cancel() {
  if (running()) engine_.cancel();
}

void JobController::start(Kind kind, quint64 job) {
  job_ = job;
  kind_ = kind;
  Q_EMIT progress(kind == Kind::Segment ? tr("segmenting") : tr("generating"), 0.0);
  Q_EMIT stateChanged();
}

void JobController::finish() {
  job_ = 0;
  kind_ = Kind::None;
  jobMesh_.reset();
  jobSegmentation_.reset();
  Q_EMIT stateChanged();
}

void JobController::onProgress(quint64 job, const QString& stage, double fraction) {
  if (job == job_) Q_EMIT progress(stage, fraction);
}

void JobController::onSegmented(quint64 job, SegmentationPtr segmentation) {
  if (job != job_) return;
  // The user may have opened another file meanwhile: then the result is stale.
  const bool current = jobMesh_ == document_.mesh();
  finish();
  if (!current || !segmentation) return;
  const int parts = segmentation->partCount();
  document_.setSegmentation(std::move(segmentation));
  Q_EMIT succeeded(tr("Segmented into %n part(s)", nullptr, parts));
}

void JobController::onGenerated(quint64 job, GeneratedPartsPtr parts) {
  if (job != job_) return;
  const bool current = jobMesh_ == document_.mesh() && jobSegmentation_ == document_.segmentation();
  finish();
  if (!current || !parts) return;
  const int count = int(parts->parts.size());
  document_.setGenerated(std::move(parts));
  Q_EMIT succeeded(tr("Generated %n part(s)", nullptr, count));
}

void JobController::onFailed(quint64 job, const QString& message, int exitCode) {
  if (job != job_) return;
  const Kind kind = kind_;
  finish();
  Q_EMIT failed((kind == Kind::Segment ? tr("Segmentation failed: ") : tr("Generation failed: ")) +
                message);
}

void JobController::onCancelled(quint64 job) {
  if (job != job_) return;
  finish();
  Q_EMIT cancelled();
}

}  // namespace h3d::ui
