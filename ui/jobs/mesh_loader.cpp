#include "h3dpart/ui/mesh_loader.h"

#include <QFileInfo>
#include <exception>
#include <filesystem>

#include "h3dpart/mesh_io.h"
#include "h3dpart/project_file.h"
#include "jobs/background_tasks.h"

namespace h3d::ui {

MeshLoader::MeshLoader(QObject* parent) : QObject(parent), tasks_(new BackgroundTasks(this)) {}

MeshLoader::~MeshLoader() = default;

QString MeshLoader::dialogFilter() {
  QStringList patterns;
  for (const std::string& ext : importExtensions()) patterns << "*." + QString::fromStdString(ext);
  return tr("Meshes (%1);;All files (*)").arg(patterns.join(' '));
}

bool MeshLoader::canLoad(const QString& path) {
  return isProject(path) || canImport(std::filesystem::path(path.toStdString()));
}

bool MeshLoader::isProject(const QString& path) {
  return path.endsWith(QLatin1String(kProjectExtension), Qt::CaseInsensitive);
}

void MeshLoader::load(const QString& path) {
  const quint64 request = ++lastRequest_;
  const bool wasBusy = busy();
  pendingRequest_ = request;
  if (!wasBusy) Q_EMIT busyChanged(true);

  auto result = std::make_shared<Result>();
  tasks_->run(
      [path, result](Progress&) { *result = read(path); },
      [this, request, path, result](const QString&, bool) { deliver(request, path, *result); },
      QThread::LowPriority);
}

MeshLoader::Result MeshLoader::read(const QString& path) {
  Result result;
  try {
    if (isProject(path)) {
      ProjectInfo info;
      auto document = std::make_shared<PartDocument>(openProject(path.toStdString(), &info));
      result.summary = tr("%1: project, %L2 triangles, %n part(s)", nullptr, document->partCount())
                           .arg(QFileInfo(path).fileName())
                           .arg(document->mesh().faces.size());
      result.project = std::move(document);
      result.meshEmbedded = info.meshEmbedded;
      return result;
    }
    ImportReport report;
    auto imported = std::make_shared<Mesh>(importMesh(path.toStdString(), &report));
    if (imported->empty()) throw InputError(path.toStdString(), "no triangles in the file");
    result.summary = tr("%1: %L2 triangles, %L3 vertices (%4)")
                         .arg(QFileInfo(path).fileName())
                         .arg(imported->faces.size())
                         .arg(imported->vertices.size())
                         .arg(QString::fromStdString(report.format));
    const Segmentation objects = objectParts(*imported, report);
    if (objects.partCount() > 0) {
      result.withParts = std::make_shared<PartDocument>(imported, path.toStdString());
      SetSegmentationCommand(objects).redo(*result.withParts);
      result.summary += tr(", %n part(s) from the file's objects", nullptr, objects.partCount());
    }
    result.mesh = std::move(imported);
  } catch (const std::exception& e) {
    result.error = QString::fromStdString(e.what());
  } catch (...) {
    result.error = path + tr(": unknown error while reading");
  }
  return result;
}

void MeshLoader::deliver(quint64 request, const QString& path, const Result& result) {
  if (request != lastRequest_) return;  // superseded by a newer request
  pendingRequest_ = 0;
  Q_EMIT busyChanged(false);
  if (result.project)
    Q_EMIT projectLoaded(path, result.project, result.summary, result.meshEmbedded);
  else if (result.withParts)
    Q_EMIT loadedWithParts(path, result.withParts, result.summary);
  else if (result.mesh)
    Q_EMIT loaded(path, result.mesh, result.summary);
  else
    Q_EMIT failed(path, result.error);
}

}  // namespace h3d::ui
