#pragma once
// What the user works on: the input mesh, its segmentation and the generated
// parts. Immutable shared values; replacing one clears what was derived from
// it. The part editor (undo stack) will change the segmentation through
// setSegmentation, so every view follows one signal.
#include <QObject>
#include <QString>

#include "h3dpart/engine/inference_engine.h"

namespace h3d::ui {

class StudioDocument : public QObject {
  Q_OBJECT
 public:
  explicit StudioDocument(QObject* parent = nullptr);

  // Replaces the input; the segmentation and generated parts are dropped.
  void setInput(const QString& path, MeshPtr mesh);
  // Replaces the segmentation of the current input; generated parts dropped.
  void setSegmentation(SegmentationPtr segmentation);
  void setGenerated(GeneratedPartsPtr parts);
  void clear();

  const QString& path() const { return path_; }
  const MeshPtr& mesh() const { return mesh_; }
  const SegmentationPtr& segmentation() const { return segmentation_; }
  const GeneratedPartsPtr& generated() const { return generated_; }
  bool hasMesh() const { return mesh_ != nullptr; }
  bool hasSegmentation() const { return segmentation_ != nullptr; }
  bool hasGenerated() const { return generated_ != nullptr; }

 Q_SIGNALS:
  void inputChanged();
  void segmentationChanged();
  void generatedChanged();
  void changed();  // after any of the above

 private:
  QString path_;
  MeshPtr mesh_;
  SegmentationPtr segmentation_;
  GeneratedPartsPtr generated_;
};

}  // namespace h3d::ui
