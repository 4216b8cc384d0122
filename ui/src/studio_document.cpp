#include "h3dpart/ui/studio_document.h"

namespace h3d::ui {

StudioDocument::StudioDocument(QObject* parent) : QObject(parent) {}

void StudioDocument::setInput(const QString& path, MeshPtr mesh) {
  path_ = path;
  mesh_ = std::move(mesh);
  segmentation_.reset();
  generated_.reset();
  Q_EMIT inputChanged();
  Q_EMIT changed();
}

void StudioDocument::setSegmentation(SegmentationPtr segmentation) {
  segmentation_ = std::move(segmentation);
  generated_.reset();
  Q_EMIT segmentationChanged();
  Q_EMIT changed();
}

void StudioDocument::setGenerated(GeneratedPartsPtr parts) {
  generated_ = std::move(parts);
  Q_EMIT generatedChanged();
  Q_EMIT changed();
}

void StudioDocument::clear() {
  setInput(QString(), nullptr);
}

}  // namespace h3d::ui
