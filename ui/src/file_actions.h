#pragma once
// File menu actions: Open (dialog), Export the result (GLB / OBJ / PLY) and
// Quit. Each knows when it is possible; export writes off the GUI thread.
#include <QAction>
#include <QObject>
#include <QThread>

namespace h3d::ui {

class StudioDocument;

class FileActions : public QObject {
  Q_OBJECT
 public:
  FileActions(StudioDocument& document, QWidget* window);
  ~FileActions() override;

  QAction* open() const { return open_; }
  QAction* exportResult() const { return export_; }
  QAction* quit() const { return quit_; }

  QString lastFolder() const;
  void setLastFolder(const QString& folder);
  // Writes the current result to `path` (format by extension), asynchronously.
  void exportTo(const QString& path);

 Q_SIGNALS:
  void openRequested(const QString& path);
  void exported(const QString& path);
  void exportFailed(const QString& message);

 private:
  void chooseAndOpen();
  void chooseAndExport();
  void update();

  StudioDocument& document_;
  QWidget* window_;
  QAction* open_;
  QAction* export_;
  QAction* quit_;
  QThread* writer_ = nullptr;
};

}  // namespace h3d::ui
