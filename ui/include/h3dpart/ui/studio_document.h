#pragma once
// What the user works on: a PartDocument (input mesh, face labels, parts,
// generated meshes) with its undo stack, the project file it belongs to and
// whether it has unsaved changes. Every change goes through apply() (an
// undoable edit) or replaces the whole document (open a mesh or a project).
//
// The views read derived immutable values (segmentation(), generated()) and
// rebuild only what a change touched: an edit that only renames a part emits
// changed() alone, so the view restyles instead of rebuilding its geometry.
#include <QObject>
#include <QString>
#include <memory>

#include "h3dpart/document.h"
#include "h3dpart/engine/inference_engine.h"

class QUndoStack;

namespace h3d::ui {

// The result as Export writes it and the generated view shows it: each part's
// generated mesh where it has one, else the input's faces of that part.
std::vector<PartMesh> resultParts(const Mesh& mesh, const Segmentation& segmentation,
                                  const GeneratedParts* generated);

class StudioDocument : public QObject {
  Q_OBJECT
 public:
  explicit StudioDocument(QObject* parent = nullptr);
  ~StudioDocument() override;

  // A new input: no parts, empty history, no project file, unmodified.
  void setInput(const QString& path, MeshPtr mesh);
  // A document opened from a project (or a recovery snapshot): empty history.
  // `modified`: a restored snapshot has unsaved changes.
  void setDocument(PartDocument document, const QString& projectPath, bool modified = false);
  void clear();

  // Applies an undoable edit; returns "" or why it was refused (nothing changed).
  QString apply(std::unique_ptr<EditCommand> edit);

  const PartDocument& model() const { return *document_; }
  // How the parts were made (saved in the project; not an edit).
  void setProvenance(const DocumentOptions& options, std::vector<ModelRef> models);
  QUndoStack& undoStack() const { return *undo_; }

  const QString& path() const { return path_; }  // the input mesh file
  const QString& projectPath() const { return projectPath_; }
  // A save succeeded: the document now belongs to `projectPath`, and is clean
  // unless it was edited while the copy was being written (`clean` false).
  void markSaved(const QString& projectPath, bool clean = true);
  bool isModified() const;
  // Grows with every change (autosave writes only when it moved).
  quint64 revision() const { return revision_; }
  // Grows when labels or boxes change: a generate started before is stale.
  quint64 shapeRevision() const { return shapeRevision_; }

  const MeshPtr& mesh() const { return mesh_; }
  // Null when there are no parts.
  const SegmentationPtr& segmentation() const { return segmentation_; }
  // Null when no part has a generated mesh.
  const GeneratedPartsPtr& generated() const { return generated_; }
  bool hasMesh() const { return mesh_ != nullptr; }
  bool hasSegmentation() const { return segmentation_ != nullptr; }
  bool hasGenerated() const { return generated_ != nullptr; }

 Q_SIGNALS:
  void inputChanged();         // a new mesh (views reset their camera)
  void segmentationChanged();  // labels or boxes changed
  void generatedChanged();     // generated meshes, or the labels the result shows, changed
  void changed();              // after any change, names, colours and visibility included
  void modifiedChanged(bool modified);
  void projectPathChanged(const QString& projectPath);

 private:
  void replace(PartDocument document, const QString& projectPath, bool modified);
  void setProjectPath(const QString& projectPath);
  void refresh(bool newInput);

  std::unique_ptr<PartDocument> document_;
  QUndoStack* undo_;
  QString path_;
  QString projectPath_;
  bool forcedModified_ = false;  // restored from recovery: modified until saved
  quint64 revision_ = 0;
  quint64 shapeRevision_ = 0;
  MeshPtr mesh_;
  SegmentationPtr segmentation_;
  GeneratedPartsPtr generated_;
  std::vector<DocumentPart> lastParts_;  // what the views show now, to tell what changed
};

}  // namespace h3d::ui
