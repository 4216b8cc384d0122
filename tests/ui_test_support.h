#pragma once
// Shared by the GUI tests: process set-up before QApplication, image checks.
#include <QApplication>
#include <QImage>
#include <QString>
#include <QtTest>
#include <cmath>

#include "h3dpart/ui/app_setup.h"

namespace h3d::uitest {

inline QString samplePath(const char* name) {
  return QStringLiteral(H3DPART_SOURCE_DIR "/resources/samples/") + name;
}

inline QString modelsDir() {
  const QByteArray env = qgetenv("H3DPART_MODELS");
  return env.isEmpty() ? QStringLiteral(H3DPART_TEST_MODELS_DIR) : QString::fromLocal8Bit(env);
}

// Share of pixels that differ from the top-left corner's colour by more than
// `threshold` in any channel (the background varies slowly: a gradient).
inline double foregroundShare(const QImage& image, int threshold = 40) {
  const QImage img = image.convertToFormat(QImage::Format_RGB32);
  long differing = 0;
  for (int y = 0; y < img.height(); ++y) {
    const QRgb bg = img.pixel(0, y);  // the gradient runs vertically
    for (int x = 0; x < img.width(); ++x) {
      const QRgb p = img.pixel(x, y);
      if (std::abs(qRed(p) - qRed(bg)) > threshold ||
          std::abs(qGreen(p) - qGreen(bg)) > threshold ||
          std::abs(qBlue(p) - qBlue(bg)) > threshold)
        ++differing;
    }
  }
  return double(differing) / (double(img.width()) * img.height());
}

struct ImageDiff {
  double meanAbs = 0;   // mean absolute channel difference, 0..255
  double badShare = 0;  // share of pixels with a channel off by more than 48
};

inline ImageDiff compare(const QImage& a, const QImage& b) {
  const QImage x = a.convertToFormat(QImage::Format_RGB32);
  const QImage y = b.convertToFormat(QImage::Format_RGB32);
  ImageDiff d;
  if (x.size() != y.size()) {
    d.meanAbs = 255;
    d.badShare = 1;
    return d;
  }
  double sum = 0;
  long bad = 0;
  for (int r = 0; r < x.height(); ++r)
    for (int c = 0; c < x.width(); ++c) {
      const QRgb p = x.pixel(c, r), q = y.pixel(c, r);
      const int dr = std::abs(qRed(p) - qRed(q)), dg = std::abs(qGreen(p) - qGreen(q)),
                db = std::abs(qBlue(p) - qBlue(q));
      sum += dr + dg + db;
      if (dr > 48 || dg > 48 || db > 48) ++bad;
    }
  const double n = double(x.width()) * x.height();
  d.meanAbs = sum / (3 * n);
  d.badShare = bad / n;
  return d;
}

// Screenshots for people to look at: $H3DPART_UI_SHOTS/<name>.png when set.
inline void keepShot(const QImage& image, const QString& name) {
  const QByteArray dir = qgetenv("H3DPART_UI_SHOTS");
  if (!dir.isEmpty()) image.save(QString::fromLocal8Bit(dir) + "/" + name + ".png");
}

}  // namespace h3d::uitest

// Like QTEST_MAIN, but the surface format and platform are set before the
// QApplication exists, as the studio does.
#define H3D_UI_TEST_MAIN(TestClass)                     \
  int main(int argc, char** argv) {                     \
    h3d::ui::prepareApplication();                      \
    QApplication app(argc, argv);                       \
    QApplication::setOrganizationName("h3dpart-tests"); \
    QApplication::setApplicationName(#TestClass);       \
    h3d::ui::registerMetaTypes();                       \
    TestClass test;                                     \
    return QTest::qExec(&test, argc, argv);             \
  }
