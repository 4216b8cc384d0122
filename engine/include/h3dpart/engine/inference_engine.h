#pragma once
// The inference engine: a QObject whose work runs on its own QThread. The GUI
// thread calls the request methods (they return at once with a job id) and
// receives results through queued signals as immutable shared values. One job
// runs at a time; later requests queue. cancel() stops the running job at its
// next checkpoint (well under a second) and drops queued ones.
#include <QObject>
#include <QString>
#include <QThread>
#include <atomic>
#include <memory>

#include "h3dpart/mesh.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/pipeline.h"

namespace h3d {

using MeshPtr = std::shared_ptr<const Mesh>;
using SegmentationPtr = std::shared_ptr<const Segmentation>;
using GeneratedPartsPtr = std::shared_ptr<const GeneratedParts>;
using FaceMaskPtr = std::shared_ptr<const std::vector<bool>>;  // one flag per input face

class InferenceEngine : public QObject {
  Q_OBJECT
 public:
  explicit InferenceEngine(std::shared_ptr<ModelManager> manager, QObject* parent = nullptr);
  ~InferenceEngine() override;  // cancels, stops the thread, unloads every model

  quint64 segment(MeshPtr mesh, SegmentOptions options);
  quint64 generate(MeshPtr mesh, SegmentationPtr segmentation, GenerateOptions options);
  // "The part under this point" (input coordinates): the segmenter's mask.
  quint64 prompt(MeshPtr mesh, Vec3 point, SegmentOptions options);
  quint64 loadModel(const QString& name);
  quint64 unloadModel(const QString& name);
  quint64 unloadAll();

  void cancel();
  bool busy() const { return pending_.load() > 0; }
  ModelManager& manager() { return *manager_; }
  std::shared_ptr<ModelManager> managerPtr() { return manager_; }

 Q_SIGNALS:
  void progress(quint64 job, const QString& stage, double fraction);
  void segmented(quint64 job, h3d::SegmentationPtr segmentation);
  void generated(quint64 job, h3d::GeneratedPartsPtr parts);
  void prompted(quint64 job, h3d::FaceMaskPtr mask);
  void finished(quint64 job);  // any job that ended well (model load/unload too)
  void failed(quint64 job, const QString& message, int exitCode);
  void cancelled(quint64 job);
  void busyChanged(bool busy);
  void managerChanged();  // the manager's state changed (from any thread)

 private:
  template <class Work>
  quint64 enqueue(Work work);
  void begin();
  void end();

  std::shared_ptr<ModelManager> manager_;
  QThread thread_;
  QObject* worker_ = nullptr;  // lives on thread_
  std::atomic<bool> cancel_{false};
  std::atomic<int> pending_{0};
  std::atomic<quint64> nextJob_{1};
  std::atomic<quint64> cancelBefore_{0};  // jobs with id < this are dropped
};

}  // namespace h3d

Q_DECLARE_METATYPE(h3d::SegmentationPtr)
Q_DECLARE_METATYPE(h3d::GeneratedPartsPtr)
Q_DECLARE_METATYPE(h3d::FaceMaskPtr)
