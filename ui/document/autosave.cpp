#include "autosave.h"

#include "h3dpart/ui/studio_document.h"
#include "jobs/background_tasks.h"

namespace h3d::ui {

Autosave::Autosave(StudioDocument& document, std::filesystem::path folder, QObject* parent)
    : QObject(parent),
      document_(document),
      store_(std::make_unique<RecoveryStore>(std::move(folder))),
      writer_(new BackgroundTasks(this)) {
  timer_.setInterval(60 * 1000);
  // Saved, undone to the saved state, or replaced after Discard: the snapshot
  // would only offer stale work after a crash.
  connect(&document_, &StudioDocument::modifiedChanged, this, [this](bool modified) {
    if (!modified) discard();
  });
  connect(&timer_, &QTimer::timeout, this, &Autosave::saveNow);
  timer_.start();
}

Autosave::~Autosave() {
  waitForWrite();
}

void Autosave::setInterval(int milliseconds) {
  timer_.start(milliseconds);
}

void Autosave::waitForWrite() {
  writer_->waitAll();
}

void Autosave::saveNow() {
  // Nothing worth recovering: no mesh, or no change since the last snapshot or save.
  if (!document_.hasMesh() || !document_.isModified()) return;
  const quint64 revision = document_.revision();
  if (revision == savedRevision_) return;
  if (writer_->running()) return;  // the next tick writes the newer state
  auto copy = std::make_shared<const PartDocument>(document_.model());
  const std::string projectPath = document_.projectPath().toStdString();
  RecoveryStore* store = store_.get();
  writer_->run([store, copy, projectPath](Progress&) { store->save(*copy, projectPath); },
               [this, revision](const QString& error, bool) {
                 if (error.isEmpty()) {
                   savedRevision_ = revision;
                   lastError_.clear();
                   Q_EMIT saved(QString::fromStdString(store_->snapshotPath().string()));
                 } else if (error != lastError_) {
                   lastError_ = error;
                   Q_EMIT failed(tr("Autosave failed: %1").arg(error));
                 }
               },
               QThread::LowPriority);
}

void Autosave::discard() {
  waitForWrite();
  store_->discardSnapshot();
  savedRevision_ = 0;
}

void Autosave::markCleanExit() {
  timer_.stop();
  waitForWrite();
  store_->markCleanExit();
}

}  // namespace h3d::ui
