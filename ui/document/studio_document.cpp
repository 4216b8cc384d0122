#include "h3dpart/ui/studio_document.h"

#include <QUndoStack>

#include "h3dpart/ui/undo_adapter.h"

namespace h3d::ui {

namespace {

bool sameShape(const DocumentPart& a, const DocumentPart& b) {
  return a.box.lo == b.box.lo && a.box.hi == b.box.hi && a.boxEdited == b.boxEdited;
}

bool sameStyle(const DocumentPart& a, const DocumentPart& b) {
  return a.name == b.name && a.color == b.color && a.visible == b.visible;
}

}  // namespace

std::vector<PartMesh> resultParts(const Mesh& mesh, const Segmentation& segmentation,
                                  const GeneratedParts* generated) {
  if (generated && int(generated->parts.size()) == segmentation.partCount())
    return generated->parts;  // every part generated: nothing to cut
  std::vector<PartMesh> cut = cutByLabels(mesh, segmentation);
  if (!generated) return cut;
  std::vector<PartMesh> parts;
  for (PartMesh& piece : cut) {
    const PartMesh* made = nullptr;
    for (const PartMesh& g : generated->parts)
      if (g.label == piece.label) made = &g;
    parts.push_back(made ? *made : std::move(piece));
  }
  return parts;
}

StudioDocument::StudioDocument(QObject* parent)
    : QObject(parent), document_(std::make_unique<PartDocument>()), undo_(new QUndoStack(this)) {
  connect(undo_, &QUndoStack::cleanChanged, this, [this] { Q_EMIT modifiedChanged(isModified()); });
}

StudioDocument::~StudioDocument() {
  undo_->clear();  // its commands refer to *document_
}

void StudioDocument::setInput(const QString& path, MeshPtr mesh) {
  path_ = path;
  if (!mesh) {
    replace(PartDocument(), QString(), false);
    return;
  }
  replace(PartDocument(std::move(mesh), path.toStdString()), QString(), false);
}

void StudioDocument::setDocument(PartDocument document, const QString& projectPath, bool modified) {
  path_ = QString::fromStdString(document.sourcePath());
  replace(std::move(document), projectPath, modified);
}

void StudioDocument::clear() {
  setInput(QString(), nullptr);
}

void StudioDocument::replace(PartDocument document, const QString& projectPath, bool modified) {
  const bool wasModified = isModified();
  undo_->clear();
  undo_->setClean();
  *document_ = std::move(document);
  forcedModified_ = modified;
  setProjectPath(projectPath);
  refresh(true);
  if (wasModified != isModified()) Q_EMIT modifiedChanged(isModified());
}

QString StudioDocument::apply(std::unique_ptr<EditCommand> edit) {
  if (!hasMesh()) return tr("no mesh is open");
  return pushEdit(*undo_, *document_, std::move(edit), [this] { refresh(false); });
}

void StudioDocument::setProvenance(const DocumentOptions& options, std::vector<ModelRef> models) {
  document_->setOptions(options);
  document_->setModels(std::move(models));
}

void StudioDocument::markSaved(const QString& projectPath, bool clean) {
  const bool wasModified = isModified();
  if (clean) {
    forcedModified_ = false;
    undo_->setClean();
  }
  setProjectPath(projectPath);
  if (wasModified != isModified()) Q_EMIT modifiedChanged(isModified());
}

void StudioDocument::setProjectPath(const QString& projectPath) {
  if (projectPath == projectPath_) return;
  projectPath_ = projectPath;
  Q_EMIT projectPathChanged(projectPath_);
}

bool StudioDocument::isModified() const {
  return forcedModified_ || !undo_->isClean();
}

void StudioDocument::refresh(bool newInput) {
  const PartDocument& doc = *document_;
  const std::vector<DocumentPart>& parts = doc.parts();
  const bool hasInput = !doc.mesh().faces.empty();

  const bool sameParts = !newInput && parts.size() == lastParts_.size();
  bool shape = !sameParts, style = !sameParts, generated = !sameParts;
  for (std::size_t k = 0; sameParts && k < parts.size(); ++k) {
    shape = shape || !sameShape(parts[k], lastParts_[k]);
    style = style || !sameStyle(parts[k], lastParts_[k]);
    generated = generated || parts[k].generated != lastParts_[k].generated;
  }
  // Label edits that keep every part (paint, a prompt over one part) show only here.
  if (!shape && segmentation_ && segmentation_->faceLabels != doc.faceLabels()) shape = true;
  if (!shape && !style && !generated) return;

  ++revision_;
  if (shape) ++shapeRevision_;
  mesh_ = hasInput ? doc.meshPointer() : nullptr;
  segmentation_ = hasInput && !parts.empty()
                      ? std::make_shared<const Segmentation>(doc.segmentation())
                      : nullptr;
  // Copies every generated mesh: only when one changed, or a name (they carry it).
  if (generated || style) {
    GeneratedParts g = doc.generatedParts();
    generated_ = g.parts.empty() ? nullptr : std::make_shared<const GeneratedParts>(std::move(g));
  }
  lastParts_ = parts;

  if (newInput) Q_EMIT inputChanged();
  if (shape) Q_EMIT segmentationChanged();
  // The generated view shows ungenerated parts as their input faces: labels count too.
  if (generated || shape) Q_EMIT generatedChanged();
  Q_EMIT changed();
}

}  // namespace h3d::ui
