#pragma once
// The editable document behind the window: the input mesh, its face labels and
// the parts (name, colour, visibility, box, generated mesh), plus the options
// and model packages that produced them. Every change goes through an
// EditCommand so that it can be undone exactly; EditHistory is the undo/redo
// stack (the UI may use it directly or wrap each command in a QUndoCommand).
// No Qt, no VTK, no torch.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "h3dpart/mesh.h"
#include "h3dpart/segmentation.h"

namespace h3d {

using Rgb = std::array<std::uint8_t, 3>;

// The default colour of part `index` (partColor of segmentation.h, as bytes).
Rgb defaultPartColor(int index);

struct DocumentPart {
  std::string name;
  Rgb color{200, 200, 200};
  bool visible = true;
  Box3 box;                               // the faces' box, or the user's box when boxEdited
  bool boxEdited = false;                 // regeneration uses `box` as is
  std::shared_ptr<const Mesh> generated;  // null = not generated (or stale)

  // Exact comparison (generated meshes by content).
  bool operator==(const DocumentPart& other) const;
};

struct DocumentOptions {
  std::uint64_t seed = 0;
  int resolution = 64;
  bool postprocess = true;
  bool operator==(const DocumentOptions&) const = default;
};

struct ModelRef {
  std::string name;
  std::string sha256;
  bool operator==(const ModelRef&) const = default;
};

class PartDocument {
 public:
  PartDocument();
  explicit PartDocument(std::shared_ptr<const Mesh> mesh, std::string sourcePath = {});

  const Mesh& mesh() const { return *mesh_; }
  const std::shared_ptr<const Mesh>& meshPointer() const { return mesh_; }
  const std::string& sourcePath() const { return sourcePath_; }
  void setSourcePath(std::string path) { sourcePath_ = std::move(path); }

  const std::vector<int>& faceLabels() const { return labels_; }  // -1 = unassigned
  const std::vector<DocumentPart>& parts() const { return parts_; }
  int partCount() const { return static_cast<int>(parts_.size()); }
  std::size_t facesOf(int part) const;

  // Not edits: they describe how the document was made.
  const DocumentOptions& options() const { return options_; }
  void setOptions(const DocumentOptions& o) { options_ = o; }
  const std::vector<ModelRef>& models() const { return models_; }
  void setModels(std::vector<ModelRef> m) { models_ = std::move(m); }

  // What the generator needs: labels and, per part, the box to use (edited or not).
  Segmentation segmentation() const;
  // The generated parts present (labels = part indices).
  GeneratedParts generatedParts() const;

  // Exact comparison of everything the document holds (mesh by content).
  bool operator==(const PartDocument& other) const;

  // Low-level state replacement for commands and the project reader; checks
  // sizes and label ranges (std::invalid_argument).
  void assign(std::vector<int> labels, std::vector<DocumentPart> parts);
  void setParts(std::vector<DocumentPart> parts);
  // Sets labels[faces[i]] = values[i].
  void setLabelsAt(const std::vector<std::uint32_t>& faces, const std::vector<int>& values);

  // Face adjacency over shared edges, built once per mesh.
  struct Adjacency {
    std::vector<std::uint32_t> offsets;  // CSR: neighbours of f are [offsets[f], offsets[f+1])
    std::vector<std::uint32_t> neighbours;
    std::vector<float> edgeLength;  // length of the shared edge, parallel to neighbours
  };
  const Adjacency& adjacency() const;

 private:
  std::shared_ptr<const Mesh> mesh_;
  std::string sourcePath_;
  std::vector<int> labels_;
  std::vector<DocumentPart> parts_;
  DocumentOptions options_;
  std::vector<ModelRef> models_;
  mutable std::shared_ptr<const Adjacency> adjacency_;
};

// The faces a round brush of `radius` covers when it touches face `face` at
// `point`: faces connected to `face` over shared edges whose centroid lies
// within `radius` of `point` (so a brush does not jump across a thin gap to a
// nearby surface). Feed them to PaintFacesCommand. Empty if `face` is out of range.
std::vector<std::uint32_t> brushFaces(const PartDocument& document, std::uint32_t face,
                                      const Vec3& point, float radius);

// One undoable change. redo() is called first (on push); undo() after redo()
// restores the state before it exactly; redo() after undo() restores the state
// after it exactly. Commands work out what they change on their first redo().
class EditCommand {
 public:
  virtual ~EditCommand() = default;
  virtual std::string text() const = 0;
  virtual void redo(PartDocument& document) = 0;
  virtual void undo(PartDocument& document) = 0;
};

// The common machinery: a command that computes the new labels and parts from
// the document, then records a sparse label diff and the parts before/after.
// Parts that end with no faces are removed and labels renumbered compactly;
// parts whose faces changed lose their generated mesh (it is stale).
class PartEditCommand : public EditCommand {
 public:
  void redo(PartDocument& document) final;
  void undo(PartDocument& document) final;

  // The state a command edits: copies of the current labels and parts (same
  // indices; new parts appended), and parts to remove.
  struct Draft {
    std::vector<int> labels;
    std::vector<DocumentPart> parts;
    std::vector<bool> remove;  // grows with parts
  };

 protected:
  // Edits `draft`; throws std::invalid_argument (document untouched) on bad input.
  virtual void compute(const PartDocument& document, Draft& draft) const = 0;

 private:
  bool computed_ = false;
  std::vector<std::uint32_t> changedFaces_;
  std::vector<int> labelsBefore_, labelsAfter_;
  std::vector<DocumentPart> partsBefore_, partsAfter_;
};

// Replaces everything with a fresh segmentation (after Segment).
class SetSegmentationCommand : public PartEditCommand {
 public:
  explicit SetSegmentationCommand(Segmentation s) : seg_(std::move(s)) {}
  std::string text() const override { return "Segment"; }

 protected:
  void compute(const PartDocument&, Draft&) const override;

 private:
  Segmentation seg_;
};

// Merges the parts into the first (lowest index) of them, which keeps its
// name and colour.
class MergePartsCommand : public PartEditCommand {
 public:
  explicit MergePartsCommand(std::vector<int> parts) : parts_(std::move(parts)) {}
  std::string text() const override { return "Merge parts"; }

 protected:
  void compute(const PartDocument&, Draft&) const override;

 private:
  std::vector<int> parts_;
};

enum class DeleteTarget { Neighbour, Unassigned };

// Deletes a part; its faces go to the part sharing the longest boundary with
// it (Neighbour; unassigned when it touches none) or become unassigned.
class DeletePartCommand : public PartEditCommand {
 public:
  DeletePartCommand(int part, DeleteTarget target) : part_(part), target_(target) {}
  std::string text() const override { return "Delete part"; }

 protected:
  void compute(const PartDocument&, Draft&) const override;

 private:
  int part_;
  DeleteTarget target_;
};

class RenamePartCommand : public PartEditCommand {
 public:
  RenamePartCommand(int part, std::string name) : part_(part), name_(std::move(name)) {}
  std::string text() const override { return "Rename part"; }

 protected:
  void compute(const PartDocument&, Draft&) const override;

 private:
  int part_;
  std::string name_;
};

class RecolorPartCommand : public PartEditCommand {
 public:
  RecolorPartCommand(int part, Rgb color) : part_(part), color_(color) {}
  std::string text() const override { return "Recolour part"; }

 protected:
  void compute(const PartDocument&, Draft&) const override;

 private:
  int part_;
  Rgb color_;
};

// Shows or hides the given parts.
class SetVisibilityCommand : public PartEditCommand {
 public:
  SetVisibilityCommand(std::vector<int> parts, bool visible)
      : parts_(std::move(parts)), visible_(visible) {}
  std::string text() const override { return visible_ ? "Show parts" : "Hide parts"; }

 protected:
  void compute(const PartDocument&, Draft&) const override;

 private:
  std::vector<int> parts_;
  bool visible_;
};

// Shows only the given parts.
class IsolatePartsCommand : public PartEditCommand {
 public:
  explicit IsolatePartsCommand(std::vector<int> parts) : parts_(std::move(parts)) {}
  std::string text() const override { return "Isolate parts"; }

 protected:
  void compute(const PartDocument&, Draft&) const override;

 private:
  std::vector<int> parts_;
};

// Assigns faces to a part (brush, lasso, rectangle). part = -1 unassigns.
class PaintFacesCommand : public PartEditCommand {
 public:
  PaintFacesCommand(std::vector<std::uint32_t> faces, int part)
      : faces_(std::move(faces)), part_(part) {}
  std::string text() const override { return "Paint"; }

 protected:
  void compute(const PartDocument&, Draft&) const override;

 private:
  std::vector<std::uint32_t> faces_;
  int part_;
};

enum class MaskMode { NewPart, ReplaceOverlapped };

// The segmenter's answer to a point prompt (one flag per face). NewPart: the
// masked faces become a new part. ReplaceOverlapped: the part holding most of
// the masked faces becomes exactly the mask (its other faces unassigned); a
// mask over unassigned faces only becomes a new part.
class AssignMaskCommand : public PartEditCommand {
 public:
  AssignMaskCommand(std::vector<bool> mask, MaskMode mode) : mask_(std::move(mask)), mode_(mode) {}
  std::string text() const override { return "Prompt part"; }

 protected:
  void compute(const PartDocument&, Draft&) const override;

 private:
  std::vector<bool> mask_;
  MaskMode mode_;
};

// Splits a part in two: each of its faces goes to the nearer of two seed faces
// (shortest path over face centroids, within the part). The side of seedA
// keeps the part; the side of seedB becomes a new last part. Faces reached
// from neither seed stay with the part.
class SplitPartCommand : public PartEditCommand {
 public:
  SplitPartCommand(int part, std::uint32_t seedA, std::uint32_t seedB)
      : part_(part), seedA_(seedA), seedB_(seedB) {}
  std::string text() const override { return "Split part"; }

 protected:
  void compute(const PartDocument&, Draft&) const override;

 private:
  int part_;
  std::uint32_t seedA_, seedB_;
};

// Sets a part's box (the generator uses it); an empty box returns the part to
// its automatic box.
class EditBoxCommand : public PartEditCommand {
 public:
  EditBoxCommand(int part, Box3 box) : part_(part), box_(box) {}
  std::string text() const override { return "Edit box"; }

 protected:
  void compute(const PartDocument&, Draft&) const override;

 private:
  int part_;
  Box3 box_;
};

// Stores generated meshes (PartMesh::label = part index); parts not named keep
// theirs, so regenerating one part keeps the others.
class SetGeneratedCommand : public PartEditCommand {
 public:
  explicit SetGeneratedCommand(GeneratedParts generated) : generated_(std::move(generated)) {}
  std::string text() const override { return "Generate"; }

 protected:
  void compute(const PartDocument&, Draft&) const override;

 private:
  GeneratedParts generated_;
};

// The undo/redo stack with a clean mark (the state last saved).
class EditHistory {
 public:
  explicit EditHistory(PartDocument& document) : document_(document) {}

  // Runs command->redo() and drops anything that could be redone.
  void push(std::unique_ptr<EditCommand> command);
  bool canUndo() const { return index_ > 0; }
  bool canRedo() const { return index_ < commands_.size(); }
  void undo();
  void redo();
  std::string undoText() const;
  std::string redoText() const;
  std::size_t count() const { return commands_.size(); }
  std::size_t index() const { return index_; }

  bool isClean() const { return clean_ == index_; }
  void setClean() { clean_ = index_; }
  void clear();

 private:
  static constexpr std::size_t kNever = static_cast<std::size_t>(-1);
  PartDocument& document_;
  std::vector<std::unique_ptr<EditCommand>> commands_;
  std::size_t index_ = 0;
  std::size_t clean_ = 0;
};

}  // namespace h3d
