// h3dpart-studio: wiring only. Builds the model manager and the engine from
// the saved settings, then shows the main window.
#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QSettings>
#include <QTimer>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include "h3dpart/engine/inference_engine.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/model_package.h"
#include "h3dpart/ui/app_setup.h"
#include "h3dpart/ui/main_window.h"
#include "h3dpart/ui/mesh_viewer.h"

namespace {

struct StudioOptions {
  QCommandLineOption models{"models", "Folder of model packages.", "dir"};
  QCommandLineOption device{"device", "cpu, cuda, cuda:N or auto (default: saved setting).",
                            "name"};
  QCommandLineOption firstFrame{"quit-after-first-frame",
                                "Print the start-up time and quit once the window has drawn."};
};

void describe(QCommandLineParser& parser, const StudioOptions& options) {
  parser.setApplicationDescription("Split 3D meshes into parts and complete each part.");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument("file", "Mesh file to open.", "[file]");
  parser.addOptions({options.models, options.device, options.firstFrame});
}

void nameApplication() {
  QCoreApplication::setOrganizationName("h3dpart");
  QCoreApplication::setApplicationName("h3dpart-studio");
  QCoreApplication::setApplicationVersion(H3DPART_VERSION);
}

// --help and --version need no display: answer them from a plain
// QCoreApplication before the GUI's platform plugin is loaded (it aborts
// without a display).
void answerWithoutDisplay(int argc, char** argv) {
  const char* asks[] = {"-h", "--help", "--help-all", "-?", "-v", "--version"};
  bool asked = false;
  for (int i = 1; i < argc; ++i)
    for (const char* a : asks) asked = asked || std::strcmp(argv[i], a) == 0;
  if (!asked) return;
  QCoreApplication core(argc, argv);
  nameApplication();
  QCommandLineParser parser;
  const StudioOptions options;
  describe(parser, options);
  parser.process(core);  // prints and exits for help and version
}

}  // namespace

int main(int argc, char** argv) {
  QElapsedTimer startClock;
  startClock.start();
  answerWithoutDisplay(argc, argv);
  h3d::ui::prepareApplication();
  QApplication app(argc, argv);
  nameApplication();
  h3d::ui::registerMetaTypes();
  h3d::ui::installPluralForms();

  QCommandLineParser parser;
  const StudioOptions opts;
  describe(parser, opts);
  parser.process(app);
  const QCommandLineOption& models = opts.models;
  const QCommandLineOption& device = opts.device;
  const QCommandLineOption& firstFrame = opts.firstFrame;

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
