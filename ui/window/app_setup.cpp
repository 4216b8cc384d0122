#include "h3dpart/ui/app_setup.h"

#include <QCoreApplication>
#include <QMetaType>
#include <QSurfaceFormat>
#include <QTranslator>
#include <cstdlib>
#include <cstring>

#include "h3dpart/engine/inference_engine.h"

namespace h3d::ui {

void prepareApplication() {
  // 0 = do not overwrite: a user's QT_QPA_PLATFORM (offscreen, wayland) wins.
  setenv("QT_QPA_PLATFORM", "xcb", 0);
  QSurfaceFormat format;
  format.setRenderableType(QSurfaceFormat::OpenGL);
  format.setVersion(3, 2);
  format.setProfile(QSurfaceFormat::CoreProfile);
  format.setDepthBufferSize(24);
  format.setStencilBufferSize(0);
  format.setRedBufferSize(8);
  format.setGreenBufferSize(8);
  format.setBlueBufferSize(8);
  format.setAlphaBufferSize(8);
  format.setSamples(0);  // VTK resolves its own framebuffer; MSAA here only costs
  format.setSwapInterval(0);
  QSurfaceFormat::setDefaultFormat(format);
}

void registerMetaTypes() {
  qRegisterMetaType<h3d::SegmentationPtr>("h3d::SegmentationPtr");
  qRegisterMetaType<h3d::GeneratedPartsPtr>("h3d::GeneratedPartsPtr");
  qRegisterMetaType<h3d::MeshPtr>("h3d::MeshPtr");
  qRegisterMetaType<h3d::FaceMaskPtr>("h3d::FaceMaskPtr");
}

namespace {

// The source texts are English already; only a counted text's "(s)" needs
// the count: dropped for 1, "s" otherwise. Qt puts %n in afterwards.
class EnglishPlurals : public QTranslator {
 public:
  using QTranslator::QTranslator;
  bool isEmpty() const override { return false; }
  QString translate(const char*, const char* source, const char*, int n) const override {
    if (n < 0 || !source || !std::strstr(source, "(s)")) return {};
    QString text = QString::fromUtf8(source);
    text.replace(QLatin1String("(s)"), n == 1 ? QString() : QStringLiteral("s"));
    return text;
  }
};

}  // namespace

void installPluralForms() {
  static EnglishPlurals* installed = nullptr;
  if (installed || !QCoreApplication::instance()) return;
  installed = new EnglishPlurals(QCoreApplication::instance());
  QCoreApplication::installTranslator(installed);
}

const char* versionString() {
  return H3DPART_VERSION;
}

}  // namespace h3d::ui
