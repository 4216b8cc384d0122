#pragma once
// Runs Segment and Generate for the document on the inference engine and
// puts the results back into the document. Knows what is possible now
// (Generate needs a segmentation), forwards stage names and fractions, and
// keeps the last good result when a job fails or is cancelled.
#include <QObject>
#include <QString>

#include "h3dpart/engine/inference_engine.h"

namespace h3d::ui {

class StudioDocument;

class JobController : public QObject {
  Q_OBJECT
 public:
  enum class Kind { None, Segment, Generate };

  JobController(InferenceEngine& engine, StudioDocument& document, QObject* parent = nullptr);

  bool canSegment() const;
  bool canGenerate() const;
  bool running() const { return job_ != 0; }
  Kind runningKind() const { return kind_; }

  void segment();
  void generate();
  void cancel();

  SegmentOptions& segmentOptions() { return segmentOptions_; }
  GenerateOptions& generateOptions() { return generateOptions_; }

 Q_SIGNALS:
  void stateChanged();  // running, canSegment or canGenerate may have changed
  void progress(const QString& stage, double fraction);
  void succeeded(const QString& message);
  void failed(const QString& message);
  void cancelled();

 private:
  void start(Kind kind, quint64 job);
  void finish();
  void onProgress(quint64 job, const QString& stage, double fraction);
  void onSegmented(quint64 job, h3d::SegmentationPtr segmentation);
  void onGenerated(quint64 job, h3d::GeneratedPartsPtr parts);
  void onFailed(quint64 job, const QString& message, int exitCode);
  void onCancelled(quint64 job);

  InferenceEngine& engine_;
  StudioDocument& document_;
  SegmentOptions segmentOptions_;
  GenerateOptions generateOptions_;
  quint64 job_ = 0;
  Kind kind_ = Kind::None;
  MeshPtr jobMesh_;  // the input the running job works on; results for another are dropped
  SegmentationPtr jobSegmentation_;
};

}  // namespace h3d::ui
