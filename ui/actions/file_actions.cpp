#include "file_actions.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QSettings>
#include <exception>
#include <memory>

#include "h3dpart/mesh_io.h"
#include "h3dpart/project_file.h"
#include "h3dpart/ui/mesh_loader.h"
#include "h3dpart/ui/studio_document.h"
#include "jobs/background_tasks.h"
#include "window/icons.h"

namespace h3d::ui {

namespace {

QString withProjectExtension(QString path) {
  if (!MeshLoader::isProject(path)) path += QLatin1String(kProjectExtension);
  return path;
}

}  // namespace

FileActions::FileActions(StudioDocument& document, QWidget* window)
    : QObject(window), document_(document), window_(window), writer_(new BackgroundTasks(this)) {
  open_ = new QAction(icons::make(icons::Kind::Open), tr("&Open…"), this);
  open_->setShortcut(QKeySequence::Open);
  open_->setStatusTip(tr("Open a mesh or an h3dpart project"));
  save_ = new QAction(tr("&Save Project"), this);
  save_->setShortcut(QKeySequence::Save);
  save_->setStatusTip(tr("Save the parts and edits as a project (.h3dp)"));
  saveAs_ = new QAction(tr("Save Project &As…"), this);
  saveAs_->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
  export_ = new QAction(icons::make(icons::Kind::Export), tr("&Export Parts…"), this);
  export_->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
  export_->setStatusTip(tr("Save the parts as GLB, OBJ or PLY"));
  quit_ = new QAction(tr("&Quit"), this);
  quit_->setShortcut(QKeySequence::Quit);
  quit_->setMenuRole(QAction::QuitRole);
  askSavePath = [this](bool* embed) { return dialogSavePath(embed); };

  connect(open_, &QAction::triggered, this, &FileActions::chooseAndOpen);
  connect(save_, &QAction::triggered, this, &FileActions::saveCurrent);
  connect(saveAs_, &QAction::triggered, this, &FileActions::chooseAndSave);
  connect(export_, &QAction::triggered, this, &FileActions::chooseAndExport);
  connect(quit_, &QAction::triggered, window_, &QWidget::close);
  connect(&document_, &StudioDocument::changed, this, &FileActions::update);
  connect(&document_, &StudioDocument::modifiedChanged, this, &FileActions::update);
  update();
}

FileActions::~FileActions() = default;  // writer_, a child, waits for a write still running

bool FileActions::writing() const {
  return writer_->busy();
}

QString FileActions::lastFolder() const {
  return QSettings().value("lastFolder", QDir::homePath()).toString();
}

void FileActions::setLastFolder(const QString& folder) {
  QSettings().setValue("lastFolder", folder);
}

void FileActions::update() {
  export_->setEnabled(document_.hasSegmentation() && !writing());
  save_->setEnabled(document_.hasMesh() && !writing());
  saveAs_->setEnabled(document_.hasMesh() && !writing());
}

void FileActions::chooseAndOpen() {
  const QString filter = tr("Meshes and projects (*%1 %2);;").arg(kProjectExtension) +
                         tr("h3dpart projects (*%1);;").arg(kProjectExtension) +
                         MeshLoader::dialogFilter();
  const QString path =
      QFileDialog::getOpenFileName(window_, tr("Open mesh or project"), lastFolder(), filter);
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

void FileActions::saveCurrent() {
  if (document_.projectPath().isEmpty()) {
    chooseAndSave();
    return;
  }
  saveProjectTo(document_.projectPath(), embedMesh_);
}

void FileActions::chooseAndSave() {
  bool embed = embedMesh_;
  const QString path = askSavePath ? askSavePath(&embed) : QString();
  if (path.isEmpty()) return;
  setLastFolder(QFileInfo(path).absolutePath());
  saveProjectTo(path, embed);
}

QString FileActions::dialogSavePath(bool* embed) {
  const QString base =
      document_.projectPath().isEmpty()
          ? QDir(lastFolder())
                .filePath(QFileInfo(document_.path()).completeBaseName() + kProjectExtension)
          : document_.projectPath();
  QFileDialog dialog(window_, tr("Save project"), base,
                     tr("h3dpart projects (*%1)").arg(kProjectExtension));
  dialog.setAcceptMode(QFileDialog::AcceptSave);
  dialog.setDefaultSuffix(QString(kProjectExtension).mid(1));
  dialog.setOption(QFileDialog::DontUseNativeDialog);  // so the embed choice can sit inside it
  auto* embedBox = new QCheckBox(tr("Embed the mesh in the project (else refer to %1)")
                                     .arg(QFileInfo(document_.path()).fileName()),
                                 &dialog);
  embedBox->setChecked(*embed);
  embedBox->setEnabled(!document_.path().isEmpty() && QFileInfo::exists(document_.path()));
  if (!embedBox->isEnabled()) embedBox->setChecked(true);
  if (auto* grid = qobject_cast<QGridLayout*>(dialog.layout()))
    grid->addWidget(embedBox, grid->rowCount(), 0, 1, -1);
  if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty()) return {};
  *embed = embedBox->isChecked();
  return dialog.selectedFiles().first();
}

bool FileActions::saveProjectTo(const QString& requested, bool embedMesh) {
  if (writing() || !document_.hasMesh()) return false;
  const QString path = withProjectExtension(requested);
  // The writer works on a copy: the user may go on editing meanwhile. What is
  // marked clean is the state that was copied.
  auto copy = std::make_shared<const PartDocument>(document_.model());
  const quint64 revision = document_.revision();
  embedMesh_ = embedMesh;
  write(
      [copy, path, embedMesh] {
        ProjectSaveOptions options;
        options.embedMesh = embedMesh;
        saveProject(path.toStdString(), *copy, options);
      },
      [this, path, revision](const QString& error) {
        if (!error.isEmpty()) {
          Q_EMIT saveFailed(tr("Could not save the project: %1").arg(error));
          return;
        }
        document_.markSaved(path, document_.revision() == revision);
        Q_EMIT saved(path);
      });
  return true;
}

void FileActions::exportTo(const QString& path) {
  if (writing() || !document_.hasSegmentation()) return;
  auto generated = document_.generated();
  auto mesh = document_.mesh();
  auto segmentation = document_.segmentation();
  write(
      [path, generated, mesh, segmentation] {
        exportParts(path.toStdString(), resultParts(*mesh, *segmentation, generated.get()));
      },
      [this, path](const QString& error) {
        if (error.isEmpty())
          Q_EMIT exported(path);
        else
          Q_EMIT exportFailed(tr("Export failed: %1").arg(error));
      });
}

void FileActions::write(std::function<void()> work,
                        std::function<void(const QString& error)> done) {
  writer_->run([work = std::move(work)](Progress&) { work(); },
               [this, done = std::move(done)](const QString& error, bool) {
                 update();
                 done(error);
               });
  update();
}

}  // namespace h3d::ui
