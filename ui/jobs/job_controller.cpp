#include "h3dpart/ui/job_controller.h"

#include <filesystem>

#include "h3dpart/model_package.h"
#include "h3dpart/ui/studio_document.h"

namespace h3d::ui {

JobController::JobController(InferenceEngine& engine, StudioDocument& document, QObject* parent)
    : QObject(parent), engine_(engine), document_(document) {
  connect(&engine_, &InferenceEngine::progress, this, &JobController::onProgress);
  connect(&engine_, &InferenceEngine::segmented, this, &JobController::onSegmented);
  connect(&engine_, &InferenceEngine::generated, this, &JobController::onGenerated);
  connect(&engine_, &InferenceEngine::prompted, this, &JobController::onPrompted);
  connect(&engine_, &InferenceEngine::failed, this, &JobController::onFailed);
  connect(&engine_, &InferenceEngine::cancelled, this, &JobController::onCancelled);
  connect(&document_, &StudioDocument::changed, this, &JobController::stateChanged);
}

bool JobController::canSegment() const {
  return !running() && document_.hasMesh();
}

bool JobController::canGenerate() const {
  return !running() && document_.hasMesh() && document_.hasSegmentation();
}

void JobController::segment() {
  if (!canSegment()) return;
  Q_EMIT aboutToStart(Kind::Segment);
  jobMesh_ = document_.mesh();
  start(Kind::Segment, engine_.segment(jobMesh_, segmentOptions_));
}

void JobController::generate() {
  generateParts({});
}

void JobController::generateParts(const std::vector<int>& parts) {
  if (!canGenerate()) return;
  Q_EMIT aboutToStart(Kind::Generate);
  jobMesh_ = document_.mesh();
  GenerateOptions options = generateOptions_;
  options.onlyParts = parts;
  start(Kind::Generate, engine_.generate(jobMesh_, document_.segmentation(), options));
}

void JobController::prompt(const Vec3& point, MaskMode mode) {
  if (!canPrompt()) return;
  Q_EMIT aboutToStart(Kind::Prompt);
  jobMesh_ = document_.mesh();
  promptMode_ = mode;
  start(Kind::Prompt, engine_.prompt(jobMesh_, point, segmentOptions_));
}

void JobController::cancel() {
  if (running()) engine_.cancel();
}

void JobController::start(Kind kind, quint64 job) {
  job_ = job;
  kind_ = kind;
  jobShape_ = document_.shapeRevision();
  const QString stage = kind == Kind::Segment    ? tr("segmenting")
                        : kind == Kind::Generate ? tr("generating")
                                                 : tr("finding the part under the point");
  Q_EMIT progress(stage, 0.0);
  Q_EMIT stateChanged();
}

void JobController::finish() {
  job_ = 0;
  kind_ = Kind::None;
  jobMesh_.reset();
  Q_EMIT stateChanged();
}

bool JobController::stillCurrent() const {
  // The user may have opened another file, or edited the parts, meanwhile.
  return jobMesh_ == document_.mesh() && jobShape_ == document_.shapeRevision();
}

void JobController::applyResult(const DocumentOptions& options, std::unique_ptr<EditCommand> edit,
                                const QString& message) {
  document_.setProvenance(options, modelsUsed());
  applyResult(std::move(edit), message);
}

void JobController::applyResult(std::unique_ptr<EditCommand> edit, const QString& message) {
  const QString refused = document_.apply(std::move(edit));
  if (refused.isEmpty())
    Q_EMIT succeeded(message);
  else
    Q_EMIT failed(tr("The result could not be applied: %1").arg(refused));
}

std::vector<ModelRef> JobController::modelsUsed() const {
  // The package's manifest lists every file's hash, so its own hash names the content.
  std::vector<ModelRef> refs;
  for (const ModelStatus& m : engine_.manager().snapshot().models) {
    if (m.state == ModelState::Failed) continue;
    ModelRef ref{m.name, {}};
    try {
      ref.sha256 = sha256File(std::filesystem::path(m.folder) / "manifest.json");
    } catch (const std::exception&) {
      // A package whose manifest went away since it was registered: name only.
    }
    refs.push_back(std::move(ref));
  }
  return refs;
}

void JobController::onProgress(quint64 job, const QString& stage, double fraction) {
  if (job == job_) Q_EMIT progress(stage, fraction);
}

void JobController::onSegmented(quint64 job, SegmentationPtr segmentation) {
  if (job != job_) return;
  const bool current = jobMesh_ == document_.mesh();
  finish();
  if (!current || !segmentation) return;
  const int parts = segmentation->partCount();
  DocumentOptions options = document_.model().options();
  options.seed = segmentOptions_.seed;
  options.postprocess = segmentOptions_.postprocess;
  applyResult(options, std::make_unique<SetSegmentationCommand>(*segmentation),
              tr("Segmented into %n part(s)", nullptr, parts));
}

void JobController::onGenerated(quint64 job, GeneratedPartsPtr parts) {
  if (job != job_) return;
  const bool current = stillCurrent();
  finish();
  if (!parts) return;
  if (!current) {
    Q_EMIT failed(
        tr("The parts changed while generating; that result was dropped. "
           "Generate again."));
    return;
  }
  const int count = int(parts->parts.size());
  DocumentOptions options = document_.model().options();
  options.resolution = generateOptions_.resolution;
  applyResult(options, std::make_unique<SetGeneratedCommand>(*parts),
              tr("Generated %n part(s)", nullptr, count));
}

void JobController::onPrompted(quint64 job, FaceMaskPtr mask) {
  if (job != job_) return;
  const bool current = stillCurrent();
  finish();
  if (!mask || !current) return;
  const auto faces = std::count(mask->begin(), mask->end(), true);
  if (faces == 0) {
    Q_EMIT failed(tr("No part was found under that point"));
    return;
  }
  applyResult(std::make_unique<AssignMaskCommand>(*mask, promptMode_),
              tr("Prompted part: %n face(s)", nullptr, int(faces)));
}

void JobController::onFailed(quint64 job, const QString& message, int) {
  if (job != job_) return;
  const Kind kind = kind_;
  finish();
  const QString what = kind == Kind::Segment    ? tr("Segmentation failed: ")
                       : kind == Kind::Generate ? tr("Generation failed: ")
                                                : tr("Point prompt failed: ");
  Q_EMIT failed(what + message);
}

void JobController::onCancelled(quint64 job) {
  if (job != job_) return;
  finish();
  Q_EMIT cancelled();
}

}  // namespace h3d::ui
