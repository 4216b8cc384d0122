#include "h3dpart/engine/inference_engine.h"

#include <QMetaObject>
#include <QTimer>

#include "h3dpart/compute.h"
#include "h3dpart/errors.h"

namespace h3d {

namespace {
// Lives on the engine thread; the engine posts work to it as functors.
class EngineWorker : public QObject {
 public:
  using QObject::QObject;
};

int registerTypes() {
  qRegisterMetaType<SegmentationPtr>("h3d::SegmentationPtr");
  qRegisterMetaType<GeneratedPartsPtr>("h3d::GeneratedPartsPtr");
  qRegisterMetaType<FaceMaskPtr>("h3d::FaceMaskPtr");
  return 0;
}
}  // namespace

InferenceEngine::InferenceEngine(std::shared_ptr<ModelManager> manager, QObject* parent)
    : QObject(parent), manager_(std::move(manager)) {
  static const int registered = registerTypes();
  (void)registered;
  thread_.setObjectName("h3dpart-engine");
  worker_ = new EngineWorker;
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  // The manager may call its observer from any thread; a signal is safe to
  // emit from anywhere and reaches GUI receivers queued.
  manager_->setObserver([this] { Q_EMIT managerChanged(); });
  thread_.start();
  // Idle unloading (budget/keep policies with a timeout) runs on the engine thread.
  QMetaObject::invokeMethod(worker_, [this] {
    // Leave one core to the GUI thread: with every core busy in inference,
    // software-rendered frames and event handling stall noticeably. Set here,
    // on the engine thread, because OpenMP's thread count is per thread.
    if (QThread::idealThreadCount() > 1) setComputeThreads(QThread::idealThreadCount() - 1);
    auto* timer = new QTimer(worker_);
    timer->setInterval(1000);
    QObject::connect(timer, &QTimer::timeout, worker_, [this] {
      if (pending_.load() == 0) manager_->tick();
    });
    timer->start();
  });
}

InferenceEngine::~InferenceEngine() {
  cancel();
  thread_.quit();
  thread_.wait();
  manager_->setObserver(nullptr);
  manager_->unloadAll();
}

void InferenceEngine::cancel() {
  cancelBefore_.store(nextJob_.load());
  cancel_.store(true);
}

void InferenceEngine::begin() {
  if (pending_.fetch_add(1) == 0) Q_EMIT busyChanged(true);
}

void InferenceEngine::end() {
  if (pending_.fetch_sub(1) == 1) Q_EMIT busyChanged(false);
}

template <class Work>
quint64 InferenceEngine::enqueue(Work work) {
  const quint64 job = nextJob_.fetch_add(1);
  begin();
  QMetaObject::invokeMethod(worker_, [this, job, work = std::move(work)]() mutable {
    // Order matters: clear first, then look at cancelBefore_, so a cancel()
    // racing with the start of this job is never lost.
    cancel_.store(false);
    if (job < cancelBefore_.load()) {
      Q_EMIT cancelled(job);
      end();
      return;
    }
    Progress progress(
        [this, job](std::string_view stage, double fraction) {
          Q_EMIT this->progress(
              job, QString::fromUtf8(stage.data(), static_cast<int>(stage.size())), fraction);
        },
        &cancel_);
    try {
      work(job, progress);
      Q_EMIT finished(job);
    } catch (const CancelledError&) {
      Q_EMIT cancelled(job);
    } catch (const Error& e) {
      Q_EMIT failed(job, QString::fromUtf8(e.what()), static_cast<int>(e.exitCode()));
    } catch (const std::bad_alloc&) {
      Q_EMIT failed(job, QStringLiteral("out of memory"), static_cast<int>(ExitCode::OutOfMemory));
    } catch (const std::exception& e) {
      Q_EMIT failed(job, QString::fromUtf8(e.what()), static_cast<int>(ExitCode::ModelProblem));
    }
    end();
  });
  return job;
}

quint64 InferenceEngine::segment(MeshPtr mesh, SegmentOptions options) {
  return enqueue([this, mesh = std::move(mesh), options](quint64 job, Progress& progress) {
    auto result =
        std::make_shared<const Segmentation>(h3d::segment(*mesh, *manager_, options, progress));
    Q_EMIT segmented(job, result);
  });
}

quint64 InferenceEngine::generate(MeshPtr mesh, SegmentationPtr segmentation,
                                  GenerateOptions options) {
  return enqueue([this, mesh = std::move(mesh), segmentation = std::move(segmentation), options](
                     quint64 job, Progress& progress) {
    auto result = std::make_shared<const GeneratedParts>(
        h3d::generate(*mesh, *segmentation, *manager_, options, progress));
    Q_EMIT generated(job, result);
  });
}

quint64 InferenceEngine::prompt(MeshPtr mesh, Vec3 point, SegmentOptions options) {
  return enqueue([this, mesh = std::move(mesh), point, options](quint64 job, Progress& progress) {
    auto mask = std::make_shared<const std::vector<bool>>(
        h3d::segmentPrompt(*mesh, point, *manager_, options, progress));
    Q_EMIT prompted(job, mask);
  });
}

quint64 InferenceEngine::loadModel(const QString& name) {
  return enqueue([this, name = name.toStdString()](quint64, Progress& progress) {
    progress.stage("loading " + name);
    manager_->load(name);
  });
}

quint64 InferenceEngine::unloadModel(const QString& name) {
  return enqueue([this, name = name.toStdString()](quint64, Progress&) { manager_->unload(name); });
}

quint64 InferenceEngine::unloadAll() {
  return enqueue([this](quint64, Progress&) { manager_->unloadAll(); });
}

}  // namespace h3d
