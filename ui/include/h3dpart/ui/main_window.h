#pragma once
// The studio's main window: the viewer in the centre, the parts list and the
// model panel as docks, file and project actions, the Edit menu (undo/redo),
// part edits and editing tools, the Segment / Generate toolbar, a progress bar
// with stage names and a message bar for errors. It owns the autosave and
// asks before unsaved changes would be lost.
#include <QElapsedTimer>
#include <QMainWindow>
#include <QMessageBox>
#include <QString>
#include <QStringList>
#include <filesystem>
#include <functional>

#include "h3dpart/document.h"
#include "h3dpart/engine/inference_engine.h"

class QAction;
class QLabel;
class QProgressBar;
class QToolButton;
class QFrame;
class QMenu;

namespace h3d::ui {

class StudioDocument;
class MeshLoader;
class JobController;
class MeshViewer;
class PartsPanel;
class ModelPanel;
class RecentFiles;
class FileActions;
class PartActions;
class EditTools;
class JobActions;
class UndoActions;
class ViewActions;
class Autosave;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  // `recoveryFolder`: where autosave snapshots go (empty: the default folder).
  explicit MainWindow(InferenceEngine& engine, QWidget* parent = nullptr,
                      std::filesystem::path recoveryFolder = {});
  ~MainWindow() override;

  // Opens a mesh (asynchronously); the old one stays until the new one loads.
  void openFile(const QString& path);
  // Several files dropped or chosen: asks which one to open.
  void openOneOf(const QStringList& paths);

  StudioDocument& document() const { return *document_; }
  MeshLoader& loader() const { return *loader_; }
  JobController& jobs() const { return *jobs_; }
  MeshViewer& viewer() const { return *viewer_; }
  PartsPanel& partsPanel() const { return *parts_; }
  ModelPanel& modelPanel() const { return *models_; }
  RecentFiles& recentFiles() const { return *recent_; }
  QAction* segmentAction() const;
  QAction* generateAction() const;
  QAction* cancelAction() const;
  QAction* undoAction() const;
  QAction* redoAction() const;
  FileActions& fileActions() const { return *fileActions_; }
  PartActions& partActions() const { return *partActions_; }
  EditTools& editTools() const { return *editTools_; }
  Autosave& autosave() const { return *autosave_; }

  // Saves the project to `path` and waits until it is written; "" or the error.
  QString saveProjectAndWait(const QString& path, bool embedMesh);

  // What to do with unsaved changes before they would be lost (closing,
  // opening another file): Save, Discard or Cancel. Tests replace the question.
  std::function<QMessageBox::StandardButton()> askUnsaved;
  // Restore the work a crashed session left? Yes = restore, No = discard,
  // Cancel = ask again next time. Tests replace the question.
  std::function<QMessageBox::StandardButton(const QString& what)> askRestore;
  // Offers to restore what a crashed session left in the recovery folder;
  // true when a snapshot was restored.
  bool offerRecovery();
  QString messageText() const;  // the message bar's text ("" when hidden)
  QString stageText() const;

  // Exports the current parts (generated, else the input cut by labels) to
  // path, by extension; the result shows in the message bar.
  void exportResult(const QString& path);

  // Shows a message in the window's message bar (errors stay until closed).
  void showMessage(const QString& text, bool error);
  void clearMessage();

 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;
  void closeEvent(QCloseEvent* event) override;

 private:
  void buildActions();
  void buildMenus();
  void buildDocks();
  void updateProgress();
  void onLoaded(const QString& path, h3d::MeshPtr mesh, const QString& summary);
  void onLoadedWithParts(const QString& path, std::shared_ptr<h3d::PartDocument> document,
                         const QString& summary);
  void onProjectLoaded(const QString& path, std::shared_ptr<h3d::PartDocument> document,
                       const QString& summary, bool meshEmbedded);
  // Before the document is replaced or the window closes: true to go on.
  bool settleUnsaved();
  void updateTitle();
  void refreshStyles();
  void showGenerated();
  void onProgress(const QString& stage, double fraction);
  void saveSettings() const;
  void restoreSettings();

  InferenceEngine& engine_;
  StudioDocument* document_;
  MeshLoader* loader_;
  JobController* jobs_;
  MeshViewer* viewer_;
  PartsPanel* parts_;
  ModelPanel* models_;
  RecentFiles* recent_;
  FileActions* fileActions_;
  PartActions* partActions_ = nullptr;
  EditTools* editTools_ = nullptr;
  JobActions* jobActions_ = nullptr;
  UndoActions* undoActions_ = nullptr;
  ViewActions* viewActions_ = nullptr;
  Autosave* autosave_ = nullptr;
  QMenu* viewMenu_ = nullptr;
  QFrame* messageBar_ = nullptr;
  QLabel* messageLabel_ = nullptr;
  QLabel* stageLabel_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QElapsedTimer progressClock_;
};

}  // namespace h3d::ui
