#include "file_actions.h"

#include <QApplication>
#include <QFileDialog>
#include <QFileInfo>
#include <QSettings>
#include <QStyle>
#include <exception>

#include "h3dpart/mesh_io.h"
#include "h3dpart/ui/mesh_loader.h"
#include "h3dpart/ui/studio_document.h"
#include "icons.h"

namespace h3d::ui {

FileActions::FileActions(StudioDocument& document, QWidget* window)
    : QObject(window), document_(document), window_(window) {
  open_ = new QAction(icons::make(icons::Kind::Open), tr("&Open…"), this);
  open_->setShortcut(QKeySequence::Open);
  open_->setStatusTip(tr("Open a mesh file"));
  export_ = new QAction(icons::make(icons::Kind::Export), tr("&Export Parts…"), this);
  export_->setShortcuts({QKeySequence::Save, QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E)});
  export_->setStatusTip(tr("Save the parts as GLB, OBJ or PLY"));
  quit_ = new QAction(tr("&Quit"), this);
  quit_->setShortcut(QKeySequence::Quit);
  quit_->setMenuRole(QAction::QuitRole);

  connect(open_, &QAction::triggered, this, &FileActions::chooseAndOpen);
  connect(export_, &QAction::triggered, this, &FileActions::chooseAndExport);
  connect(quit_, &QAction::triggered, window_, &QWidget::close);
  connect(&document_, &StudioDocument::changed, this, &FileActions::update);
  update();
}

FileActions::~FileActions() {
  if (writer_) {
    writer_->wait();
    delete writer_;
  }
}

QString FileActions::lastFolder() const {
  return QSettings().value("lastFolder", QDir::homePath()).toString();
}

void FileActions::setLastFolder(const QString& folder) {
  QSettings().setValue("lastFolder", folder);
}

void FileActions::update() {
  export_->setEnabled(document_.hasSegmentation() && !writer_);
}

void FileActions::chooseAndOpen() {
  const QString path = QFileDialog::getOpenFileName(window_, tr("Open mesh"), lastFolder(),
                                                    MeshLoader::dialogFilter());
  if (path.isEmpty()) return;
  setLastFolder(QFileInfo(path).absolutePath());
  Q_EMIT openRequested(path);
}

void FileActions::chooseAndExport() {
  const QString base = QFileInfo(document_.path()).completeBaseName();
  const QString suggestion = QDir(lastFolder()).filePath(base + "_parts.glb");
  const QString path = QFileDialog::getSaveFileName(
      window_, tr("Export parts"), suggestion,
      tr("glTF binary (*.glb);;Wavefront OBJ (*.obj);;Stanford PLY (*.ply)"));
  if (path.isEmpty()) return;
  setLastFolder(QFileInfo(path).absolutePath());
  exportTo(path);
}

void FileActions::exportTo(const QString& path) {
  if (writer_ || !document_.hasSegmentation()) return;
  // Generated parts when there are some, else the input cut by the labels.
  auto generated = document_.generated();
  auto mesh = document_.mesh();
  auto segmentation = document_.segmentation();
  writer_ = QThread::create([this, path, generated, mesh, segmentation] {
    QString error;
    try {
      const std::vector<PartMesh> parts =
          generated ? generated->parts : cutByLabels(*mesh, *segmentation);
      exportParts(path.toStdString(), parts);
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    }
    QMetaObject::invokeMethod(
        this,
        [this, path, error] {
          writer_->wait();
          delete writer_;
          writer_ = nullptr;
          update();
          if (error.isEmpty())
            Q_EMIT exported(path);
          else
            Q_EMIT exportFailed(tr("Export failed: %1").arg(error));
        },
        Qt::QueuedConnection);
  });
  update();
  writer_->start();
}

}  // namespace h3d::ui
