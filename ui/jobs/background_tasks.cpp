#include "jobs/background_tasks.h"

#include <exception>
#include <string>

#include "h3dpart/errors.h"

namespace h3d::ui {

BackgroundTasks::BackgroundTasks(QObject* parent) : QObject(parent) {}

BackgroundTasks::~BackgroundTasks() {
  // A queued delivery to this (deleted) object is dropped by Qt.
  for (Task& task : tasks_) {
    task.thread->wait();
    delete task.thread;
  }
}

void BackgroundTasks::run(Work work, Done done, QThread::Priority priority) {
  Task task;
  task.id = ++lastId_;
  task.cancel = std::make_shared<std::atomic<bool>>(false);
  // The destructor waits for the thread, so `this` outlives it.
  task.thread = QThread::create(
      [this, id = task.id, cancel = task.cancel, work = std::move(work), done = std::move(done)] {
        Progress reporter(
            [this](std::string_view stage, double fraction) {
              const QString name = QString::fromUtf8(stage.data(), qsizetype(stage.size()));
              QMetaObject::invokeMethod(
                  this, [this, name, fraction] { Q_EMIT this->progress(name, fraction); },
                  Qt::QueuedConnection);
            },
            cancel.get());
        QString error;
        bool cancelled = false;
        try {
          work(reporter);
        } catch (const CancelledError&) {
          cancelled = true;
        } catch (const std::exception& e) {
          error = QString::fromStdString(e.what());
        } catch (...) {
          error = tr("unknown error");
        }
        QMetaObject::invokeMethod(
            this,
            [this, id, error, cancelled, done] {
              finish(id);
              done(error, cancelled);
            },
            Qt::QueuedConnection);
      });
  tasks_.push_back(task);
  task.thread->start(priority);
}

void BackgroundTasks::finish(quint64 id) {
  for (auto it = tasks_.begin(); it != tasks_.end(); ++it)
    if (it->id == id) {
      it->thread->wait();
      delete it->thread;
      tasks_.erase(it);
      return;
    }
}

bool BackgroundTasks::running() const {
  for (const Task& task : tasks_)
    if (!task.thread->isFinished()) return true;
  return false;
}

void BackgroundTasks::cancelAll() {
  for (Task& task : tasks_) task.cancel->store(true);
}

void BackgroundTasks::waitAll() {
  for (Task& task : tasks_) task.thread->wait();
}

}  // namespace h3d::ui
