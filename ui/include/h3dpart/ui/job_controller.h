#pragma once
// Runs Segment, Generate and point prompts for the document on the inference
// engine and puts each result into the document as one undoable edit. Knows
// what is possible now (Generate needs parts), forwards stage names and
// fractions, and keeps the last good result when a job fails or is cancelled.
// A result for a document that changed shape meanwhile is dropped, not applied
// to the wrong parts.
#include <QObject>
#include <QString>
#include <vector>

#include "h3dpart/document.h"
#include "h3dpart/engine/inference_engine.h"

namespace h3d::ui {

class StudioDocument;

class JobController : public QObject {
  Q_OBJECT
 public:
  enum class Kind { None, Segment, Generate, Prompt };

  JobController(InferenceEngine& engine, StudioDocument& document, QObject* parent = nullptr);

  bool canSegment() const;
  bool canGenerate() const;
  bool canPrompt() const { return canSegment(); }
  bool running() const { return job_ != 0; }
  Kind runningKind() const { return kind_; }

  void segment();
  void generate();
  // Regenerates only these parts (indices); the others keep their meshes.
  void generateParts(const std::vector<int>& parts);
  // Asks the segmenter for the part under `point`; the answer becomes a new
  // part or replaces the part it overlaps.
  void prompt(const Vec3& point, MaskMode mode);
  void cancel();

  SegmentOptions& segmentOptions() { return segmentOptions_; }
  GenerateOptions& generateOptions() { return generateOptions_; }

 Q_SIGNALS:
  void aboutToStart(Kind kind);  // a long job begins (autosave now)
  void stateChanged();           // running, canSegment or canGenerate may have changed
  void progress(const QString& stage, double fraction);
  void succeeded(const QString& message);
  void failed(const QString& message);
  void cancelled();

 private:
  void start(Kind kind, quint64 job);
  void finish();
  bool stillCurrent() const;
  void onProgress(quint64 job, const QString& stage, double fraction);
  void onSegmented(quint64 job, h3d::SegmentationPtr segmentation);
  void onGenerated(quint64 job, h3d::GeneratedPartsPtr parts);
  void onPrompted(quint64 job, h3d::FaceMaskPtr mask);
  void onFailed(quint64 job, const QString& message, int exitCode);
  void onCancelled(quint64 job);
  void applyResult(std::unique_ptr<EditCommand> edit, const QString& message);
  // The same, recording the options and the model packages that made the result.
  void applyResult(const DocumentOptions& options, std::unique_ptr<EditCommand> edit,
                   const QString& message);
  std::vector<ModelRef> modelsUsed() const;

  InferenceEngine& engine_;
  StudioDocument& document_;
  SegmentOptions segmentOptions_;
  GenerateOptions generateOptions_;
  quint64 job_ = 0;
  Kind kind_ = Kind::None;
  MaskMode promptMode_ = MaskMode::NewPart;
  MeshPtr jobMesh_;       // the input the running job works on; results for another are dropped
  quint64 jobShape_ = 0;  // the document's shape revision when the job started
};

}  // namespace h3d::ui
