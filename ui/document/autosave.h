#pragma once
// Autosave to the recovery folder: every interval (a minute by default) when
// the document changed since the last snapshot, and on request before each
// long operation. Snapshots are written off the GUI thread from a copy of the
// document, atomically; a failure is reported once per kind of error, never
// as a truncated file. A clean exit removes this session's snapshot.
#include <QObject>
#include <QString>
#include <QTimer>
#include <filesystem>
#include <memory>

#include "h3dpart/recovery.h"

namespace h3d::ui {

class StudioDocument;
class BackgroundTasks;

class Autosave : public QObject {
  Q_OBJECT
 public:
  Autosave(StudioDocument& document, std::filesystem::path folder, QObject* parent = nullptr);
  ~Autosave() override;  // waits for a write in progress

  void setInterval(int milliseconds);
  int interval() const { return timer_.interval(); }
  // Writes a snapshot now if the document changed since the last one.
  void saveNow();
  // Waits for a write in progress (tests, shutdown).
  void waitForWrite();
  // The session ends normally: its snapshot goes.
  void markCleanExit();
  // The snapshot goes (the work was saved or given up); the next change writes again.
  void discard();
  RecoveryStore& store() { return *store_; }
  quint64 savedRevision() const { return savedRevision_; }

 Q_SIGNALS:
  void saved(const QString& file);
  void failed(const QString& message);

 private:
  StudioDocument& document_;
  std::unique_ptr<RecoveryStore> store_;
  QTimer timer_;
  BackgroundTasks* writer_;
  quint64 savedRevision_ = 0;
  QString lastError_;
};

}  // namespace h3d::ui
