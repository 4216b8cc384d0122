#include "h3dpart/ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QEventLoop>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QScreen>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QToolBar>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

#include "actions/edit_tools.h"
#include "actions/file_actions.h"
#include "actions/job_actions.h"
#include "actions/part_actions.h"
#include "actions/undo_actions.h"
#include "actions/view_actions.h"
#include "document/autosave.h"
#include "h3dpart/project_file.h"
#include "h3dpart/recovery.h"
#include "h3dpart/ui/app_setup.h"
#include "h3dpart/ui/job_controller.h"
#include "h3dpart/ui/mesh_loader.h"
#include "h3dpart/ui/mesh_viewer.h"
#include "h3dpart/ui/model_panel.h"
#include "h3dpart/ui/parts_panel.h"
#include "h3dpart/ui/studio_document.h"
#include "window/icons.h"
#include "window/recent_files.h"

namespace h3d::ui {

namespace {

QStringList localFiles(const QMimeData* mime) {
  QStringList files;
  if (!mime || !mime->hasUrls()) return files;
  for (const QUrl& url : mime->urls())
    if (url.isLocalFile()) files << url.toLocalFile();
  return files;
}

}  // namespace

MainWindow::MainWindow(InferenceEngine& engine, QWidget* parent,
                       std::filesystem::path recoveryFolder)
    : QMainWindow(parent),
      engine_(engine),
      document_(new StudioDocument(this)),
      loader_(new MeshLoader(this)),
      jobs_(new JobController(engine, *document_, this)),
      viewer_(new MeshViewer(this)),
      parts_(new PartsPanel(*document_, *viewer_, this)),
      models_(new ModelPanel(engine, this)),
      recent_(new RecentFiles(this)),
      fileActions_(new FileActions(*document_, this)) {
  registerMetaTypes();
  installPluralForms();
  partActions_ = new PartActions(*document_, *parts_, *jobs_, this);
  editTools_ = new EditTools(*document_, *viewer_, *parts_, *jobs_, this);
  jobActions_ = new JobActions(*jobs_, this);
  undoActions_ = new UndoActions(document_->undoStack(), this);
  viewActions_ = new ViewActions(*viewer_, this);
  autosave_ = new Autosave(
      *document_,
      recoveryFolder.empty() ? RecoveryStore::defaultFolder() : std::move(recoveryFolder), this);
  askUnsaved = [this] {
    return QMessageBox::question(this, tr("Unsaved changes"),
                                 tr("%1 has unsaved changes. Save them?")
                                     .arg(document_->projectPath().isEmpty()
                                              ? tr("This project")
                                              : QFileInfo(document_->projectPath()).fileName()),
                                 QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel,
                                 QMessageBox::Save);
  };
  askRestore = [this](const QString& what) {
    return QMessageBox::question(
        this, tr("Restore unsaved work?"),
        tr("h3dpart studio did not close normally last time. Restore the work it autosaved "
           "(%1)?")
            .arg(what),
        QMessageBox::Yes | QMessageBox::No | QMessageBox::Cancel, QMessageBox::Yes);
  };
  setWindowIcon(icons::make(icons::Kind::App));
  setAcceptDrops(true);
  setObjectName("MainWindow");

  // Message bar above the view: errors stay until closed, never only a log line.
  messageBar_ = new QFrame(this);
  messageBar_->setObjectName("messageBar");
  messageLabel_ = new QLabel(messageBar_);
  messageLabel_->setWordWrap(true);
  messageLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* close = new QToolButton(messageBar_);
  close->setText(QStringLiteral("✕"));
  close->setAutoRaise(true);
  auto* barLayout = new QHBoxLayout(messageBar_);
  barLayout->setContentsMargins(8, 4, 4, 4);
  barLayout->addWidget(messageLabel_, 1);
  barLayout->addWidget(close);
  messageBar_->hide();
  connect(close, &QToolButton::clicked, messageBar_, &QWidget::hide);

  auto* central = new QWidget(this);
  auto* layout = new QVBoxLayout(central);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(0);
  layout->addWidget(messageBar_);
  layout->addWidget(viewer_, 1);
  setCentralWidget(central);

  stageLabel_ = new QLabel(this);
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1000);
  progress_->setMaximumWidth(220);
  progress_->setTextVisible(false);
  progress_->hide();
  statusBar()->addPermanentWidget(stageLabel_);
  statusBar()->addPermanentWidget(progress_);

  buildActions();
  buildMenus();
  buildDocks();

  connect(fileActions_, &FileActions::openRequested, this, &MainWindow::openFile);
  connect(fileActions_, &FileActions::saved, this, [this](const QString& path) {
    recent_->add(path);
    statusBar()->showMessage(tr("Saved %1").arg(path), 8000);
  });
  connect(fileActions_, &FileActions::saveFailed, this,
          [this](const QString& message) { showMessage(message, true); });
  connect(partActions_, &PartActions::refused, this,
          [this](const QString& why) { showMessage(tr("Edit refused: %1").arg(why), true); });
  connect(parts_, &PartsPanel::editRefused, this,
          [this](const QString& why) { showMessage(tr("Edit refused: %1").arg(why), true); });
  connect(editTools_, &EditTools::message, this, [this](const QString& text, bool error) {
    if (error)
      showMessage(text, true);
    else
      statusBar()->showMessage(text, 8000);
  });
  connect(autosave_, &Autosave::failed, this,
          [this](const QString& message) { showMessage(message, true); });
  connect(jobs_, &JobController::aboutToStart, autosave_, [this] { autosave_->saveNow(); });
  connect(loader_, &MeshLoader::projectLoaded, this, &MainWindow::onProjectLoaded);
  connect(fileActions_, &FileActions::exported, this,
          [this](const QString& path) { showMessage(tr("Exported %1").arg(path), false); });
  connect(fileActions_, &FileActions::exportFailed, this,
          [this](const QString& message) { showMessage(message, true); });
  connect(recent_, &RecentFiles::openRequested, this, &MainWindow::openFile);
  connect(loader_, &MeshLoader::loaded, this, &MainWindow::onLoaded);
  connect(loader_, &MeshLoader::loadedWithParts, this, &MainWindow::onLoadedWithParts);
  connect(loader_, &MeshLoader::failed, this, [this](const QString& path, const QString& message) {
    // The old mesh stays; the message says which file and why.
    stageLabel_->clear();
    statusBar()->clearMessage();
    showMessage(tr("Could not open %1: %2").arg(QFileInfo(path).fileName(), message), true);
    if (!QFileInfo::exists(path)) recent_->remove(path);  // a moved or deleted file
  });
  connect(loader_, &MeshLoader::busyChanged, this, [this](bool busy) {
    if (busy) stageLabel_->setText(tr("reading file…"));
    updateProgress();
  });
  connect(jobs_, &JobController::stateChanged, this, &MainWindow::updateProgress);
  connect(jobs_, &JobController::progress, this, &MainWindow::onProgress);
  connect(jobs_, &JobController::succeeded, this,
          [this](const QString& message) { statusBar()->showMessage(message, 8000); });
  connect(jobs_, &JobController::failed, this,
          [this](const QString& message) { showMessage(message, true); });
  connect(jobs_, &JobController::cancelled, this,
          [this] { statusBar()->showMessage(tr("Cancelled; the previous result is kept"), 8000); });
  // Each layer is rebuilt only when its data changed (the same mesh keeps the
  // camera; the viewer rebuilds only parts whose faces changed); styles go
  // last, after any rebuild, because a rebuilt layer starts with default ones.
  connect(document_, &StudioDocument::segmentationChanged, this,
          [this] { viewer_->setInput(document_->mesh(), document_->segmentation()); });
  connect(document_, &StudioDocument::generatedChanged, this, &MainWindow::showGenerated);
  connect(document_, &StudioDocument::changed, this, &MainWindow::refreshStyles);
  connect(document_, &StudioDocument::modifiedChanged, this, &MainWindow::updateTitle);
  connect(document_, &StudioDocument::projectPathChanged, this, &MainWindow::updateTitle);
  connect(document_, &StudioDocument::inputChanged, this, &MainWindow::updateTitle);
  connect(viewer_, &MeshViewer::hoveredPartChanged, this, [this](int, const QString& name) {
    if (!name.isEmpty()) statusBar()->showMessage(name, 3000);
  });

  restoreSettings();
  updateProgress();
  statusBar()->showMessage(tr("Open a mesh (Ctrl+O) or drop one onto the window"));
}

MainWindow::~MainWindow() = default;

QAction* MainWindow::segmentAction() const {
  return jobActions_->segment();
}
QAction* MainWindow::generateAction() const {
  return jobActions_->generate();
}
QAction* MainWindow::cancelAction() const {
  return jobActions_->cancel();
}
QAction* MainWindow::undoAction() const {
  return undoActions_->undo();
}
QAction* MainWindow::redoAction() const {
  return undoActions_->redo();
}

void MainWindow::buildActions() {
  auto* tools = addToolBar(tr("Main"));
  tools->setObjectName("mainToolBar");
  tools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  tools->addAction(fileActions_->open());
  tools->addAction(fileActions_->exportResult());
  tools->addSeparator();
  tools->addActions(jobActions_->all());
  // The generated parts' triangle budget (per part; 0 = automatic).
  auto* maxTriangles = new QSpinBox(tools);
  maxTriangles->setObjectName("maxTrianglesSpin");
  maxTriangles->setRange(0, 10000000);
  maxTriangles->setSingleStep(1000);
  maxTriangles->setSpecialValueText(tr("auto"));
  maxTriangles->setPrefix(tr("max triangles "));
  maxTriangles->setToolTip(
      tr("At most this many triangles per generated part (auto: 1.5x the part's input "
         "triangles plus its caps)"));
  connect(maxTriangles, &QSpinBox::valueChanged, this, [this](int value) {
    jobs_->generateOptions().maxTriangles = static_cast<std::size_t>(value < 4 ? 0 : value);
  });
  tools->addWidget(maxTriangles);

  auto* editing = addToolBar(tr("Tools"));
  editing->setObjectName("toolsToolBar");
  editing->setToolButtonStyle(Qt::ToolButtonTextOnly);
  editing->addActions(undoActions_->toolbarButtons());
  editing->addSeparator();
  editing->addActions(editTools_->actions());
  addToolBarBreak();
  addToolBar(editTools_->optionsBar());

  parts_->setEditActions({partActions_->merge(), partActions_->remove(), partActions_->hide(),
                          partActions_->isolate(), partActions_->showAll(),
                          partActions_->generateSelected()});
  parts_->list()->addActions(partActions_->all());
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(fileActions_->open());
  file->addMenu(recent_->menu());
  file->addSeparator();
  file->addAction(fileActions_->save());
  file->addAction(fileActions_->saveAs());
  file->addAction(fileActions_->exportResult());
  file->addSeparator();
  file->addAction(fileActions_->quit());

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  edit->addAction(undoActions_->undo());
  edit->addAction(undoActions_->redo());
  edit->addSeparator();
  QMenu* toolMenu = edit->addMenu(tr("&Tool"));
  toolMenu->addActions(editTools_->actions());

  QMenu* partsMenu = menuBar()->addMenu(tr("&Parts"));
  partsMenu->addActions(partActions_->all());

  QMenu* view = menuBar()->addMenu(tr("&View"));
  for (QAction* a : viewActions_->menu()) {
    if (a)
      view->addAction(a);
    else
      view->addSeparator();
  }
  view->addSeparator();
  viewMenu_ = view;

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  run->addActions(jobActions_->all());

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About"), this, [this] {
    QMessageBox::about(this, tr("About h3dpart studio"),
                       tr("<b>h3dpart studio %1</b><p>Splits a 3D mesh into parts and generates "
                          "each part as a complete closed mesh.</p>")
                           .arg(versionString()));
  });
}

void MainWindow::buildDocks() {
  auto* partsDock = new QDockWidget(tr("Parts"), this);
  partsDock->setObjectName("partsDock");
  partsDock->setWidget(parts_);
  addDockWidget(Qt::LeftDockWidgetArea, partsDock);
  auto* modelsDock = new QDockWidget(tr("Models"), this);
  modelsDock->setObjectName("modelsDock");
  modelsDock->setWidget(models_);
  addDockWidget(Qt::RightDockWidgetArea, modelsDock);
  viewMenu_->addAction(partsDock->toggleViewAction());
  viewMenu_->addAction(modelsDock->toggleViewAction());
  resizeDocks({partsDock, modelsDock}, {200, 430}, Qt::Horizontal);
}

void MainWindow::updateProgress() {
  if (!jobs_->running() && !loader_->busy()) {
    progress_->hide();
    stageLabel_->clear();
  }
}

void MainWindow::openFile(const QString& path) {
  if (path.isEmpty() || !settleUnsaved()) return;
  statusBar()->showMessage(tr("Opening %1…").arg(QFileInfo(path).fileName()));
  loader_->load(path);
}

void MainWindow::openOneOf(const QStringList& paths) {
  if (paths.isEmpty()) return;
  if (paths.size() == 1) {
    openFile(paths.first());
    return;
  }
  QStringList names;
  for (const QString& p : paths) names << QFileInfo(p).fileName();
  bool ok = false;
  const QString chosen = QInputDialog::getItem(this, tr("Open which file?"),
                                               tr("Several files were dropped; one is opened at "
                                                  "a time:"),
                                               names, 0, false, &ok);
  if (ok) openFile(paths.at(names.indexOf(chosen)));
}

void MainWindow::onLoaded(const QString& path, MeshPtr mesh, const QString& summary) {
  messageBar_->hide();
  document_->setInput(path, std::move(mesh));
  recent_->add(path);
  updateTitle();
  statusBar()->showMessage(summary);
}

void MainWindow::onLoadedWithParts(const QString& path, std::shared_ptr<PartDocument> document,
                                   const QString& summary) {
  messageBar_->hide();
  // The parts are the file's own: nothing is unsaved, no project yet.
  document_->setDocument(std::move(*document), QString());
  recent_->add(path);
  updateTitle();
  statusBar()->showMessage(summary);
}

void MainWindow::onProjectLoaded(const QString& path, std::shared_ptr<PartDocument> document,
                                 const QString& summary, bool meshEmbedded) {
  messageBar_->hide();
  fileActions_->setEmbedsMesh(meshEmbedded);  // Save keeps the project's own choice
  document_->setDocument(std::move(*document), path);
  recent_->add(path);
  updateTitle();
  statusBar()->showMessage(summary);
}

void MainWindow::updateTitle() {
  QString name;
  if (!document_->projectPath().isEmpty())
    name = QFileInfo(document_->projectPath()).fileName();
  else if (!document_->path().isEmpty())
    name = QFileInfo(document_->path()).fileName();
  // "[*]" is where Qt shows the unsaved-changes mark.
  setWindowTitle(name.isEmpty() ? tr("h3dpart studio") : tr("%1[*] — h3dpart studio").arg(name));
  setWindowModified(document_->isModified());
}

bool MainWindow::settleUnsaved() {
  if (!document_->isModified()) return true;
  switch (askUnsaved ? askUnsaved() : QMessageBox::Cancel) {
    case QMessageBox::Discard:
      return true;
    case QMessageBox::Save: {
      QString path = document_->projectPath();
      bool embed = fileActions_->embedsMesh();
      if (path.isEmpty()) {
        path = fileActions_->askSavePath ? fileActions_->askSavePath(&embed) : QString();
        if (path.isEmpty()) return false;
      }
      const QString error = saveProjectAndWait(path, embed);
      if (!error.isEmpty()) showMessage(error, true);
      return error.isEmpty();
    }
    default:
      return false;
  }
}

QString MainWindow::saveProjectAndWait(const QString& path, bool embedMesh) {
  QEventLoop loop;
  QString error;
  auto ok = connect(fileActions_, &FileActions::saved, &loop, &QEventLoop::quit);
  auto bad = connect(fileActions_, &FileActions::saveFailed, &loop, [&](const QString& message) {
    error = message;
    loop.quit();
  });
  if (fileActions_->saveProjectTo(path, embedMesh))
    loop.exec();
  else
    error = tr("Could not save the project: another save or export is still running");
  disconnect(ok);
  disconnect(bad);
  return error;
}

bool MainWindow::offerRecovery() {
  std::vector<RecoverySnapshot> leftovers;
  try {
    leftovers = autosave_->store().findLeftovers();
  } catch (const std::exception& e) {
    showMessage(tr("Could not look for autosaved work: %1").arg(e.what()), true);
    return false;
  }
  if (leftovers.empty()) return false;
  const RecoverySnapshot& newest = leftovers.front();
  const QString what = tr("autosaved %1")
                           .arg(QFileInfo(QString::fromStdString(newest.file.string()))
                                    .lastModified()
                                    .toString(QLocale().dateTimeFormat(QLocale::ShortFormat)));
  const auto answer = askRestore ? askRestore(what) : QMessageBox::Cancel;
  if (answer == QMessageBox::Cancel) return false;
  if (answer == QMessageBox::No) {
    for (const auto& s : leftovers) RecoveryStore::discard(s.file);
    return false;
  }
  try {
    ProjectInfo info;
    PartDocument restored = RecoveryStore::restore(newest.file, &info);
    document_->setDocument(std::move(restored), QString::fromStdString(info.recoveryOf), true);
    RecoveryStore::discard(newest.file);
  } catch (const std::exception& e) {
    showMessage(tr("Could not restore the autosaved work: %1").arg(e.what()), true);
    return false;
  }
  updateTitle();
  statusBar()->showMessage(tr("Restored the autosaved work; save it to keep it"), 10000);
  return true;
}

void MainWindow::exportResult(const QString& path) {
  fileActions_->exportTo(path);
}

void MainWindow::onProgress(const QString& stage, double fraction) {
  // At most ~5 updates a second unless the stage changes: each repaint of the
  // window goes through the GL compositor because of the viewer.
  if (stage == stageLabel_->text() && progressClock_.isValid() && progressClock_.elapsed() < 200)
    return;
  progressClock_.start();
  progress_->show();
  progress_->setValue(int(qBound(0.0, fraction, 1.0) * 1000));
  stageLabel_->setText(stage);
}

QString MainWindow::stageText() const {
  return stageLabel_->text();
}

void MainWindow::showGenerated() {
  const bool had = viewer_->hasGenerated();
  GeneratedPartsPtr generated = document_->generated();
  const auto& seg = document_->segmentation();
  // Some parts generated: the others show as their input faces, as Export writes them.
  if (generated && seg && int(generated->parts.size()) < seg->partCount()) {
    auto mixed = std::make_shared<GeneratedParts>();
    mixed->parts = resultParts(*document_->mesh(), *seg, generated.get());
    generated = std::move(mixed);
  }
  viewer_->setGenerated(generated);
  if (!had && generated) viewer_->setShowGenerated(true);
}

void MainWindow::refreshStyles() {
  QVector<PartStyle> styles;
  const auto& parts = document_->model().parts();
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const DocumentPart& p = parts[k];
    styles.push_back({int(k), QString::fromStdString(p.name),
                      QColor(p.color[0], p.color[1], p.color[2]), p.visible});
  }
  viewer_->setPartStyles(styles);
}

void MainWindow::showMessage(const QString& text, bool error) {
  messageLabel_->setText(text);
  messageBar_->setStyleSheet(
      error ? "#messageBar{background:#f8d7da;border-bottom:1px solid #d9a1a7}"
            : "#messageBar{background:#d9ecdb;border-bottom:1px solid #9fc8a4}");
  messageBar_->show();
  if (error) QApplication::beep();
}

void MainWindow::clearMessage() {
  messageBar_->hide();
  messageLabel_->clear();
}

QString MainWindow::messageText() const {
  return messageBar_->isVisible() || !messageBar_->isHidden() ? messageLabel_->text() : QString();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  for (const QString& f : localFiles(event->mimeData()))
    if (MeshLoader::canLoad(f)) {
      event->acceptProposedAction();
      return;
    }
  // Unsupported files are accepted too, so the drop can say why it fails.
  if (!localFiles(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const QStringList files = localFiles(event->mimeData());
  if (files.isEmpty()) return;
  event->acceptProposedAction();
  QStringList supported;
  for (const QString& f : files)
    if (MeshLoader::canLoad(f)) supported << f;
  if (supported.isEmpty()) {
    showMessage(tr("Could not open %1: not a supported mesh format")
                    .arg(QFileInfo(files.first()).fileName()),
                true);
    return;
  }
  openOneOf(supported);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (!settleUnsaved()) {
    event->ignore();
    return;
  }
  jobs_->cancel();
  autosave_->markCleanExit();
  saveSettings();
  QMainWindow::closeEvent(event);
}

void MainWindow::saveSettings() const {
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  settings.setValue("window/state", saveState());
  models_->saveSettings();
}

void MainWindow::restoreSettings() {
  QSettings settings;
  if (!restoreGeometry(settings.value("window/geometry").toByteArray())) {
    // First start: a roomy window, but never larger than the screen it opens on.
    QSize size(1400, 860);
    if (const QScreen* screen = this->screen())
      size = size.boundedTo(screen->availableGeometry().size() * 0.92);
    resize(size);
  }
  restoreState(settings.value("window/state").toByteArray());
  models_->loadSettings();
}

}  // namespace h3d::ui
