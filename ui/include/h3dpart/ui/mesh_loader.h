#pragma once
// Imports mesh files and opens projects (.h3dp) off the GUI thread. A newer request supersedes an
// older one: only the latest request's result is delivered.
#include <QObject>
#include <QString>

#include "h3dpart/document.h"
#include "h3dpart/engine/inference_engine.h"

namespace h3d::ui {

class BackgroundTasks;

class MeshLoader : public QObject {
  Q_OBJECT
 public:
  explicit MeshLoader(QObject* parent = nullptr);
  ~MeshLoader() override;  // waits for imports still running

  void load(const QString& path);
  bool busy() const { return pendingRequest_ != 0; }

  // Import filter for file dialogs ("Meshes (*.obj *.ply ...)").
  static QString dialogFilter();
  static bool canLoad(const QString& path);
  static bool isProject(const QString& path);

 Q_SIGNALS:
  void loaded(const QString& path, h3d::MeshPtr mesh, const QString& summary);
  // A mesh file of several objects (an exported parts file, say): the
  // document holds the mesh with one part per object, as a segmentation.
  void loadedWithParts(const QString& path, std::shared_ptr<h3d::PartDocument> document,
                       const QString& summary);
  // `meshEmbedded`: the project holds its mesh (else it refers to the mesh file).
  void projectLoaded(const QString& path, std::shared_ptr<h3d::PartDocument> document,
                     const QString& summary, bool meshEmbedded);
  void failed(const QString& path, const QString& message);
  void busyChanged(bool busy);

 private:
  struct Result {
    h3d::MeshPtr mesh;
    std::shared_ptr<h3d::PartDocument> withParts;  // a mesh file's objects as parts
    std::shared_ptr<h3d::PartDocument> project;
    bool meshEmbedded = true;
    QString summary, error;
  };
  static Result read(const QString& path);
  void deliver(quint64 request, const QString& path, const Result& result);

  quint64 lastRequest_ = 0;
  quint64 pendingRequest_ = 0;
  BackgroundTasks* tasks_;
};

}  // namespace h3d::ui
