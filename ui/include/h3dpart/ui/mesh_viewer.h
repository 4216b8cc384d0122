#pragma once
// The 3D view: a QOpenGLWidget that hosts VTK's generic render window. No VTK
// type appears here; the scene lives in a private implementation.
//
// It shows two layers: the input (one mesh, or one actor per segmented part)
// and the generated parts. Parts are addressed by their label, so visibility
// and highlight follow a part from segmentation to generation.
#include <QImage>
#include <QOpenGLWidget>
#include <QString>
#include <QVector>
#include <memory>

#include "h3dpart/engine/inference_engine.h"

namespace h3d::ui {

class MeshViewer : public QOpenGLWidget {
  Q_OBJECT
 public:
  explicit MeshViewer(QWidget* parent = nullptr);
  ~MeshViewer() override;

  // Input layer: the mesh alone, or split by a segmentation (null = none).
  void setInput(MeshPtr mesh, SegmentationPtr segmentation = nullptr);
  // Generated layer (null clears it). Shown when showGenerated() is on.
  void setGenerated(GeneratedPartsPtr parts);
  void setShowGenerated(bool on);
  bool showGenerated() const;
  bool hasGenerated() const;
  void clear();

  // Parts of the layer on screen, by label. -1 is "unassigned".
  QVector<int> partLabels() const;
  QString partName(int label) const;
  QColor partColor(int label) const;
  void setPartVisible(int label, bool visible);
  bool partVisible(int label) const;
  void setSelectedParts(const QVector<int>& labels);  // what "fit to selection" frames

  // 0 = assembled, 1 = each part moved out by its offset from the centre.
  void setExplode(double amount);
  double explode() const;

  void setSmoothShading(bool on);
  void setWireframe(bool on);
  void setAxesVisible(bool on);
  void setGridVisible(bool on);
  bool smoothShading() const;
  bool wireframe() const;
  bool axesVisible() const;
  bool gridVisible() const;

  void resetView();
  void fitToSelection();
  // Rotates the camera about the view up axis (benchmarks, tests).
  void rotateCamera(double degrees);

  int hoveredPart() const;  // label, or INT_MIN when none
  // Device-pixel image of the last frame (renders one if needed).
  QImage renderImage();
  double lastFrameMs() const;
  // Benchmarks: wait for the GPU after each frame so frame times are real.
  void setFinishEachFrame(bool on);
  std::size_t triangleCount() const;  // of the layer on screen

 Q_SIGNALS:
  void hoveredPartChanged(int label, const QString& name);
  void partsChanged();  // the set of parts on screen changed
  void frameRendered(double ms);

 protected:
  void initializeGL() override;
  void resizeGL(int w, int h) override;
  void paintGL() override;
  bool event(QEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void keyReleaseEvent(QKeyEvent* event) override;
  void leaveEvent(QEvent* event) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> d_;
};

}  // namespace h3d::ui
