// Frame times of the studio's viewer for 10k, 100k and 1M triangle meshes,
// and of f3d on the same meshes at the same window size, as a ratio.
//
//   h3dpart_bench_viewer [--size W,H] [--frames N] [--no-f3d]   (under Xvfb)
//
// Ours: the camera turns a little each frame; the frame is the widget's
// repaint (VTK render, blit, Qt composition) with glFinish, so it is real
// time, not queued work. f3d: it replays a recorded drag (one render per
// mouse move); the per-frame time is the difference between a long and a
// short replay divided by the difference in frames, so loading and start-up
// cancel out. f3d runs with --output (offscreen, so it exits after the
// replay); both use the same Mesa driver.
#include <QApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QStringList>
#include <QTemporaryDir>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <vector>

#include "h3dpart/mesh_io.h"
#include "h3dpart/ui/app_setup.h"
#include "h3dpart/ui/mesh_viewer.h"

namespace {

// A bumpy sphere with about `triangles` triangles (a UV grid of quads).
h3d::Mesh bumpySphere(int triangles) {
  const int rings = std::max(4, int(std::sqrt(triangles / 4.0)));
  const int segments = std::max(8, triangles / (2 * rings));
  h3d::Mesh m;
  for (int r = 0; r <= rings; ++r) {
    const float v = float(r) / rings * 3.14159265f;
    for (int s = 0; s < segments; ++s) {
      const float u = float(s) / segments * 6.2831853f;
      const float radius = 1.0f + 0.05f * std::sin(7 * u) * std::sin(5 * v);
      m.vertices.push_back({radius * std::sin(v) * std::cos(u), radius * std::cos(v),
                            radius * std::sin(v) * std::sin(u)});
    }
  }
  auto id = [segments](int r, int s) { return std::uint32_t(r * segments + (s % segments)); };
  for (int r = 0; r < rings; ++r)
    for (int s = 0; s < segments; ++s) {
      m.faces.push_back({id(r, s), id(r + 1, s), id(r + 1, s + 1)});
      m.faces.push_back({id(r, s), id(r + 1, s + 1), id(r, s + 1)});
    }
  return m;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

// Ours: median wall time of a repaint while the camera turns.
double viewerFrameMs(h3d::ui::MeshViewer& viewer, const h3d::Mesh& mesh, int frames,
                     double* paintMs) {
  viewer.setInput(std::make_shared<const h3d::Mesh>(mesh));
  for (int i = 0; i < 5; ++i) {  // upload buffers, compile shaders
    viewer.rotateCamera(2);
    viewer.repaint();
    QApplication::processEvents();
  }
  std::vector<double> wall, paint;
  for (int i = 0; i < frames; ++i) {
    QElapsedTimer t;
    t.start();
    viewer.rotateCamera(360.0 / frames);
    viewer.repaint();
    QApplication::processEvents();
    wall.push_back(double(t.nsecsElapsed()) / 1e6);
    paint.push_back(viewer.lastFrameMs());
  }
  *paintMs = median(paint);
  return median(wall);
}

// A recorded left-button drag of `moves` mouse moves, in VTK's event log format.
void writeDrag(const QString& path, int moves, int w, int h) {
  std::ofstream out(path.toStdString());
  out << "# StreamVersion 1.1\n";
  const int y = h / 2;
  out << "LeftButtonPressEvent " << w / 4 << ' ' << y << " 0 0 0 0 0\n";
  for (int i = 0; i < moves; ++i)
    out << "MouseMoveEvent " << (w / 4 + 3 * i) % w << ' ' << y << " 0 0 0 0 0\n";
  out << "LeftButtonReleaseEvent " << w / 4 << ' ' << y << " 0 0 0 0 0\n";
}

double runF3d(const QString& f3d, const QString& mesh, const QString& events, int w, int h) {
  QProcess p;
  QElapsedTimer t;
  t.start();
  // --output makes f3d exit after the replay (it renders offscreen, same Mesa).
  p.start(f3d, {QStringLiteral("--resolution=%1,%2").arg(w).arg(h),
                "--output=" + events + ".png", "--interaction-test-play=" + events, mesh});
  if (!p.waitForFinished(600000) || p.exitCode() != 0) return -1;
  return double(t.nsecsElapsed()) / 1e6;
}

double f3dFrameMs(const QString& f3d, const QString& mesh, QTemporaryDir& dir, int w, int h) {
  const int shortMoves = 10, longMoves = 110;
  writeDrag(dir.filePath("short.log"), shortMoves, w, h);
  writeDrag(dir.filePath("long.log"), longMoves, w, h);
  std::vector<double> per;
  for (int rep = 0; rep < 3; ++rep) {
    const double a = runF3d(f3d, mesh, dir.filePath("short.log"), w, h);
    const double b = runF3d(f3d, mesh, dir.filePath("long.log"), w, h);
    if (a < 0 || b < 0) return -1;
    per.push_back((b - a) / (longMoves - shortMoves));
  }
  return median(per);
}

}  // namespace

int main(int argc, char** argv) {
  h3d::ui::prepareApplication();
  QApplication app(argc, argv);
  int w = 800, h = 600, frames = 60;
  bool withF3d = true;
  QString snapshot;  // saves the last frame of each mesh: <snapshot>_<triangles>.png
  const QStringList args = app.arguments();
  for (int i = 1; i < args.size(); ++i) {
    if (args[i] == "--size" && i + 1 < args.size()) {
      const auto wh = args[++i].split(',');
      w = wh.value(0).toInt();
      h = wh.value(1).toInt();
    } else if (args[i] == "--frames" && i + 1 < args.size()) {
      frames = args[++i].toInt();
    } else if (args[i] == "--snapshot" && i + 1 < args.size()) {
      snapshot = args[++i];
    } else if (args[i] == "--no-f3d") {
      withF3d = false;
    }
  }
  const QString f3d = QStandardPaths::findExecutable("f3d");
  if (withF3d && f3d.isEmpty()) std::printf("# f3d not found (apt-get install f3d): no ratio\n");
  QTemporaryDir dir;

  h3d::ui::MeshViewer viewer;
  viewer.setAxesVisible(false);  // f3d draws none by default either
  viewer.setGridVisible(false);
  viewer.setFinishEachFrame(true);
  viewer.setFixedSize(w, h);  // device pixels under Xvfb (ratio 1)
  viewer.show();
  QApplication::processEvents();

  std::printf("# window %dx%d, %d frames, median ms per frame\n", w, h, frames);
  std::printf("%-10s %12s %12s %12s %8s\n", "triangles", "ours_ms", "ours_paint", "f3d_ms",
              "ratio");
  for (int target : {10000, 100000, 1000000}) {
    const h3d::Mesh mesh = bumpySphere(target);
    double paintMs = 0;
    const double ours = viewerFrameMs(viewer, mesh, frames, &paintMs);
    if (!snapshot.isEmpty())
      viewer.renderImage().save(QStringLiteral("%1_%2.png").arg(snapshot).arg(target));
    double theirs = -1;
    if (withF3d && !f3d.isEmpty()) {
      const QString file = dir.filePath(QStringLiteral("mesh_%1.ply").arg(target));
      h3d::exportMesh(file.toStdString(), mesh);
      theirs = f3dFrameMs(f3d, file, dir, w, h);
    }
    if (theirs > 0)
      std::printf("%-10zu %12.2f %12.2f %12.2f %8.2f\n", mesh.faces.size(), ours, paintMs, theirs,
                  ours / theirs);
    else
      std::printf("%-10zu %12.2f %12.2f %12s %8s\n", mesh.faces.size(), ours, paintMs, "n/a",
                  "n/a");
    std::fflush(stdout);
  }
  return 0;
}
