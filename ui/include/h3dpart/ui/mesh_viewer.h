#pragma once
// The 3D view: a QOpenGLWidget that hosts VTK's generic render window. No VTK
// type appears here; the scene lives in a private implementation.
//
// It shows two layers: the input (one mesh, or one actor per segmented part)
// and the generated parts. Parts are addressed by their label, so visibility
// and highlight follow a part from segmentation to generation.
#include <QColor>
#include <QImage>
#include <QOpenGLWidget>
#include <QPointF>
#include <QPolygonF>
#include <QString>
#include <QVector>
#include <climits>
#include <cstdint>
#include <memory>
#include <vector>

#include "h3dpart/engine/inference_engine.h"

namespace h3d::ui {

// Name, colour and visibility of one part (by label), as the parts panel sets them.
struct PartStyle {
  int label = 0;
  QString name;
  QColor color;
  bool visible = true;
};

// What a left press does in the view. Middle/right/wheel always navigate.
enum class ViewerTool { Navigate, Prompt, Split, Brush, Lasso, Rectangle, Box };

class MeshViewer : public QOpenGLWidget {
  Q_OBJECT
 public:
  explicit MeshViewer(QWidget* parent = nullptr);
  ~MeshViewer() override;

  static constexpr int kNoPart = INT_MIN;  // "no part" (hoveredPart(), partClicked())

  // Input layer: the mesh alone, or split by a segmentation (null = none).
  // The same mesh again keeps the camera and rebuilds only the parts whose set
  // of faces changed (the others keep their actors). Resets styles, hidden
  // parts, the selection and the preview overlay.
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
  // What "fit to selection" frames; selected parts are drawn with a tint.
  void setSelectedParts(const QVector<int>& labels);
  QVector<int> selectedParts() const;

  // Name, colour and visibility by label, on both layers, without rebuilding
  // geometry (hover and legend follow). Labels not listed keep theirs.
  // Emits partsChanged().
  void setPartStyles(const QVector<PartStyle>& styles);

  // Editing tools (see ViewerTool and the signals below).
  void setTool(ViewerTool tool);
  ViewerTool tool() const;
  // Radius of the Brush tool in world units, drawn as a circle around the cursor.
  void setBrushRadius(float worldRadius);
  float brushRadius() const;

  // Faces of the input mesh drawn in `color` over the input layer (a brush
  // stroke or selection preview). Empty clears it.
  void setPreviewFaces(const std::vector<std::uint32_t>& faces, const QColor& color);

  // Box tool: an axis-aligned box widget placed on `box` (input coordinates).
  // Dragging a handle ends with boxEdited(newBox).
  void showBox(const Box3& box);
  void hideBox();
  bool boxShown() const;
  Box3 boxBounds() const;  // the box as the widget holds it now (empty when hidden)

  // Picking on the input layer only, in widget (logical) pixels: the face of
  // the input mesh under the point and the surface point (input coordinates,
  // explode offset removed), or -1. Hidden parts are not pickable; nor is
  // anything while the generated layer is on screen.
  long pickFace(const QPointF& widgetPos, Vec3* point = nullptr);
  // Where a point in input coordinates appears in the widget (logical pixels).
  QPointF projectToWidget(const Vec3& point);
  // Faces of the input mesh whose centre lies inside `widgetPolygon`: visible
  // parts only, front-facing and not occluded (checked against the surface that
  // a hardware selection finds at the centre's pixel).
  std::vector<std::uint32_t> facesInside(const QPolygonF& widgetPolygon);

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
  void explodeChanged(double amount);
  // Navigate tool: a left click on a part of the layer on screen (kNoPart: background).
  void partClicked(int label, Qt::KeyboardModifiers modifiers);
  // Prompt and Split tools: a left click on the input surface.
  void surfaceClicked(quint32 face, h3d::Vec3 point, Qt::KeyboardModifiers modifiers);
  // Brush tool: the press and each move of 2 px or more while pressed, on the surface.
  void brushDab(quint32 face, h3d::Vec3 point);
  void brushStrokeFinished();
  // Lasso and Rectangle tools: the faces inside the outline at release.
  void facesSelected(std::vector<std::uint32_t> faces, Qt::KeyboardModifiers modifiers);
  // Box tool: the box after the user dragged a handle.
  void boxEdited(h3d::Box3 box);

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
