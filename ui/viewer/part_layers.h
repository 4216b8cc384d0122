#pragma once
// The viewer's two layers of parts, one VTK actor per part: the input (the
// mesh alone, or one actor per segmented part) and the generated parts. It
// owns what a part looks like (name, colour, hidden, selected, hovered,
// shading) and where it sits (explode), and the preview overlay of faces.
#include <vtkActor.h>
#include <vtkSmartPointer.h>
#include <QColor>
#include <QString>
#include <QVector>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "h3dpart/engine/inference_engine.h"
#include "h3dpart/ui/mesh_viewer.h"

class vtkPolyData;
class vtkRenderer;

namespace h3d::ui::viewer {

struct PartActor {
  int label = 0;
  QString name;
  std::array<float, 3> color{};
  Vec3 center;
  std::size_t triangles = 0;
  vtkSmartPointer<vtkActor> actor;
  // Input layer only: the face of the input mesh behind each cell of the actor.
  std::vector<std::uint32_t> faces;
  // Input layer only: the preview faces that fall in this part (null = none).
  vtkSmartPointer<vtkActor> preview;

  // The explode offset the actor is placed at.
  Vec3 offset() const;
};

class PartLayers {
 public:
  explicit PartLayers(vtkRenderer* renderer) : renderer_(renderer) {}

  // Rebuilds the input layer (see MeshViewer::setInput); true when `mesh` is
  // another mesh than the one on screen.
  bool setInput(MeshPtr mesh, SegmentationPtr segmentation);
  void setGenerated(GeneratedPartsPtr parts);
  // Returns false when `on` is the setting already.
  bool setShowGenerated(bool on);
  bool showGenerated() const { return showGenerated_; }
  bool hasGenerated() const { return !generated_.empty(); }
  bool generatedOnScreen() const { return showGenerated_ && !generated_.empty(); }

  const MeshPtr& mesh() const { return mesh_; }
  const Box3& bounds() const { return bounds_; }
  const Vec3& center() const { return center_; }
  const std::vector<PartActor>& input() const { return input_; }
  // The layer on screen.
  const std::vector<PartActor>& shown() const { return generatedOnScreen() ? generated_ : input_; }
  const PartActor* shownPart(int label) const;

  void setPartVisible(int label, bool visible);
  bool partVisible(int label) const { return !hidden_.count(label); }
  void setSelection(const QVector<int>& labels);
  const QVector<int>& selection() const { return selection_; }
  void setStyles(const QVector<PartStyle>& styles);
  void setPreview(const std::vector<std::uint32_t>& faces, const QColor& color);
  // Returns false when `amount` is the explode already set.
  bool setExplode(double amount);
  double explode() const { return explode_; }
  void setSmooth(bool on);
  void setWireframe(bool on);
  bool smooth() const { return smooth_; }
  bool wireframe() const { return wireframe_; }
  // The hovered part is drawn lighter (MeshViewer::kNoPart: none).
  void setHovered(int label);
  int hovered() const { return hovered_; }

  // Union of the bounds (as placed, explode included) of the shown parts that
  // `wanted` accepts; false when none.
  template <class Filter>
  bool shownBounds(double b[6], Filter wanted) const;

 private:
  PartActor makePart(vtkSmartPointer<vtkPolyData> poly, int label, const QString& name,
                     std::array<float, 3> color, const Box3& box, std::size_t triangles);
  void styleActor(PartActor& part, bool highlighted, bool selected = false) const;
  void applyStyle(PartActor& part) const;
  void removeAll(std::vector<PartActor>& parts);
  void clearPreviewActors();
  void buildPreview();
  void applyVisibility();
  void applyExplode();
  void restyle();

  vtkRenderer* renderer_;
  MeshPtr mesh_;  // the input on screen
  std::vector<PartActor> input_;
  std::vector<PartActor> generated_;
  bool showGenerated_ = true;
  std::map<int, bool> hidden_;  // by label; absent = visible
  QVector<int> selection_;
  double explode_ = 0.0;
  bool smooth_ = true;
  bool wireframe_ = false;
  Box3 bounds_;
  Vec3 center_;
  int hovered_ = MeshViewer::kNoPart;
  // Name and colour set by setStyles, by label (reset by setInput).
  std::map<int, PartStyle> styles_;
  std::vector<int> facePart_;  // input face -> index in `input_`
  std::vector<std::uint32_t> previewFaces_;
  QColor previewColor_;
};

template <class Filter>
bool PartLayers::shownBounds(double b[6], Filter wanted) const {
  const double init[6] = {VTK_DOUBLE_MAX, VTK_DOUBLE_MIN, VTK_DOUBLE_MAX,
                          VTK_DOUBLE_MIN, VTK_DOUBLE_MAX, VTK_DOUBLE_MIN};
  std::copy(init, init + 6, b);
  bool any = false;
  for (const auto& p : shown()) {
    if (!wanted(p)) continue;
    const double* ab = p.actor->GetBounds();
    for (int i = 0; i < 3; ++i) {
      b[2 * i] = std::min(b[2 * i], ab[2 * i]);
      b[2 * i + 1] = std::max(b[2 * i + 1], ab[2 * i + 1]);
    }
    any = true;
  }
  return any;
}

}  // namespace h3d::ui::viewer
