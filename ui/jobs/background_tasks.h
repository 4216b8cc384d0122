#pragma once
// Work off the GUI thread, one thread per task: the work gets the core's
// Progress (stages, fractions, cooperative cancel: Qt-free), and its outcome
// comes back on the owner's thread. Used for mesh loading, saving and
// exporting, and autosave; segment/generate jobs run on the engine's thread.
#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "h3dpart/progress.h"

namespace h3d::ui {

class BackgroundTasks : public QObject {
  Q_OBJECT
 public:
  // The work runs on its own thread; an exception ends it with its message
  // (CancelledError: cancelled).
  using Work = std::function<void(Progress& progress)>;
  // On the owner's thread once the work ended: `error` is empty when it succeeded.
  using Done = std::function<void(const QString& error, bool cancelled)>;

  explicit BackgroundTasks(QObject* parent = nullptr);
  ~BackgroundTasks() override;  // waits for the work still running; its Done is not called

  void run(Work work, Done done, QThread::Priority priority = QThread::InheritPriority);
  // A task runs, or its Done has not been called yet.
  bool busy() const { return !tasks_.empty(); }
  // A task's thread still runs (its Done may be pending even when not).
  bool running() const;
  // Asks every running task to stop at its next Progress report or check.
  void cancelAll();
  // Blocks until every task's thread ended (their Done still comes through the event loop).
  void waitAll();

 Q_SIGNALS:
  void progress(const QString& stage, double fraction);

 private:
  struct Task {
    quint64 id = 0;
    QThread* thread = nullptr;
    std::shared_ptr<std::atomic<bool>> cancel;
  };
  void finish(quint64 id);

  std::vector<Task> tasks_;
  quint64 lastId_ = 0;
};

}  // namespace h3d::ui
