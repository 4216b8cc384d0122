#include "h3dpart/ui/mesh_loader.h"

#include <QFileInfo>
#include <exception>
#include <filesystem>

#include "h3dpart/mesh_io.h"

namespace h3d::ui {

MeshLoader::MeshLoader(QObject* parent) : QObject(parent) {}

MeshLoader::~MeshLoader() {
  for (QThread* thread : threads_) {
    thread->wait();
    delete thread;
  }
}

QString MeshLoader::dialogFilter() {
  QStringList patterns;
  for (const std::string& ext : importExtensions()) patterns << "*." + QString::fromStdString(ext);
  return tr("Meshes (%1);;All files (*)").arg(patterns.join(' '));
}

bool MeshLoader::canLoad(const QString& path) {
  return canImport(std::filesystem::path(path.toStdString()));
}

void MeshLoader::load(const QString& path) {
  const quint64 request = ++lastRequest_;
  const bool wasBusy = busy();
  pendingRequest_ = request;
  if (!wasBusy) Q_EMIT busyChanged(true);

  // The destructor waits for this thread, so `this` outlives it; a queued
  // call to a deleted context object is dropped by Qt.
  QThread* thread = QThread::create([this, request, path] {
    MeshPtr mesh;
    QString summary, error;
    try {
      ImportReport report;
      auto imported = std::make_shared<Mesh>(importMesh(path.toStdString(), &report));
      if (imported->empty()) throw InputError(path.toStdString(), "no triangles in the file");
      summary = tr("%1: %L2 triangles, %L3 vertices (%4)")
                    .arg(QFileInfo(path).fileName())
                    .arg(imported->faces.size())
                    .arg(imported->vertices.size())
                    .arg(QString::fromStdString(report.format));
      mesh = std::move(imported);
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    } catch (...) {
      error = path + tr(": unknown error while reading");
    }
    QMetaObject::invokeMethod(
        this,
        [this, request, path, mesh, summary, error] {
          deliver(request, path, mesh, summary, error);
        },
        Qt::QueuedConnection);
  });
  // Finished threads are reaped on the next load or at destruction.
  std::erase_if(threads_, [](QThread* t) {
    if (!t->isFinished()) return false;
    delete t;
    return true;
  });
  threads_.push_back(thread);
  thread->start(QThread::LowPriority);
}

void MeshLoader::deliver(quint64 request, const QString& path, MeshPtr mesh, const QString& summary,
                         const QString& error) {
  if (request != lastRequest_) return;  // superseded by a newer request
  pendingRequest_ = 0;
  Q_EMIT busyChanged(false);
  if (mesh)
    Q_EMIT loaded(path, std::move(mesh), summary);
  else
    Q_EMIT failed(path, error);
}

}  // namespace h3d::ui
