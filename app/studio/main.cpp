// h3dpart-studio: wiring only. Builds the model manager and the engine from
// the saved settings, then shows the main window.
#include <QApplication>
#include <QCommandLineParser>
#include <QDateTime>
#include <QElapsedTimer>
#include <QSettings>
#include <QTimer>
#include <cstdio>
#include <memory>
#include <utility>

#include "h3dpart/engine/inference_engine.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/model_package.h"
#include "h3dpart/ui/app_setup.h"
#include "h3dpart/ui/main_window.h"
#include "h3dpart/ui/mesh_viewer.h"

int main(int argc, char** argv) {
  QElapsedTimer startClock;
  startClock.start();
  h3d::ui::prepareApplication();
  QApplication app(argc, argv);
  QApplication::setOrganizationName("h3dpart");
  QApplication::setApplicationName("h3dpart-studio");
  QApplication::setApplicationVersion(H3DPART_VERSION);
  h3d::ui::registerMetaTypes();

  QCommandLineParser parser;
  parser.setApplicationDescription("Split 3D meshes into parts and complete each part.");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument("file", "Mesh file to open.", "[file]");
  QCommandLineOption models("models", "Folder of model packages.", "dir");
  QCommandLineOption device("device", "cpu, cuda, cuda:N or auto (default: saved setting).",
                            "name");
  QCommandLineOption firstFrame("quit-after-first-frame",
                                "Print the start-up time and quit once the window has drawn.");
  parser.addOptions({models, device, firstFrame});
  parser.process(app);

  h3d::ManagerConfig config;
  const QSettings settings;
  config.device = parser.isSet(device)
                      ? parser.value(device).toStdString()
                      : settings.value("models/device", "auto").toString().toStdString();
  auto manager = std::make_shared<h3d::ModelManager>(config);
  const std::filesystem::path modelsDir =
      parser.isSet(models) ? std::filesystem::path(parser.value(models).toStdString())
                           : h3d::defaultModelsDir();
  std::vector<std::string> problems;
  try {
    problems = manager->addPackages(modelsDir);
  } catch (const std::exception& e) {
    problems.push_back(e.what());
  }

  h3d::InferenceEngine engine(manager);
  h3d::ui::MainWindow window(engine);
  window.show();
  if (!problems.empty())
    window.showMessage(QString::fromStdString("Model packages: " + problems.front()), true);
  if (!parser.positionalArguments().isEmpty())
    window.openFile(parser.positionalArguments().first());

  if (!parser.isSet(firstFrame)) {
    // Once the window is up: work a crashed session autosaved is offered back.
    QTimer::singleShot(0, &window, [&window] { window.offerRecovery(); });
  }
  if (parser.isSet(firstFrame)) {
    QObject::connect(&window.viewer(), &h3d::ui::MeshViewer::frameRendered, &app, [&] {
      static bool seen = false;  // the first frame only (more may follow before the quit)
      if (std::exchange(seen, true)) return;
      // Queued: the frame is on screen once the event loop runs again.
      QTimer::singleShot(0, &app, [&] {
        // main() to first frame, and the wall clock so a caller can add the
        // time before main() (dynamic loading of Qt, VTK and LibTorch).
        std::printf("main_to_first_frame_ms %.1f\nfirst_frame_epoch_ms %lld\n",
                    double(startClock.nsecsElapsed()) / 1e6,
                    static_cast<long long>(QDateTime::currentMSecsSinceEpoch()));
        std::fflush(stdout);
        QApplication::quit();
      });
    });
  }
  return QApplication::exec();
}
