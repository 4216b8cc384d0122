#pragma once
// File menu actions: Open (mesh or project), Save / Save As project, Export
// the parts (GLB / OBJ / PLY) and Quit. Each knows when it is possible; saves
// and exports write off the GUI thread, from a copy of the document, one at a
// time, always atomically (the old file or the whole new one).
#include <QAction>
#include <QObject>
#include <functional>

namespace h3d::ui {

class StudioDocument;
class BackgroundTasks;

class FileActions : public QObject {
  Q_OBJECT
 public:
  FileActions(StudioDocument& document, QWidget* window);
  ~FileActions() override;

  QAction* open() const { return open_; }
  QAction* save() const { return save_; }
  QAction* saveAs() const { return saveAs_; }
  QAction* exportResult() const { return export_; }
  QAction* quit() const { return quit_; }

  QString lastFolder() const;
  void setLastFolder(const QString& folder);
  // Writes the current result to `path` (format by extension), asynchronously.
  void exportTo(const QString& path);
  // Saves the project to `path` (".h3dp" added when missing; embedding the mesh
  // or referencing its file), asynchronously; `saved` or `saveFailed` follows.
  // False if a write is running.
  bool saveProjectTo(const QString& path, bool embedMesh);
  bool writing() const;
  // Whether the last project save embedded the mesh (Save keeps that choice).
  bool embedsMesh() const { return embedMesh_; }
  void setEmbedsMesh(bool embed) { embedMesh_ = embed; }
  // How Save As asks where and how (tests replace it): returns the path ("" =
  // cancelled) and sets *embed.
  std::function<QString(bool* embed)> askSavePath;

 Q_SIGNALS:
  void openRequested(const QString& path);
  void exported(const QString& path);
  void exportFailed(const QString& message);
  void saved(const QString& path);
  void saveFailed(const QString& message);

 private:
  void chooseAndOpen();
  void chooseAndExport();
  void saveCurrent();
  void chooseAndSave();
  QString dialogSavePath(bool* embed);
  // Runs `work` off the GUI thread; `done(error)` runs on the GUI thread after.
  void write(std::function<void()> work, std::function<void(const QString& error)> done);
  void update();

  StudioDocument& document_;
  QWidget* window_;
  QAction* open_;
  QAction* save_;
  QAction* saveAs_;
  QAction* export_;
  QAction* quit_;
  BackgroundTasks* writer_;  // one save or export at a time
  bool embedMesh_ = true;    // the choice of the last Save As
};

}  // namespace h3d::ui
