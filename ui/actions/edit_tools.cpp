#include "edit_tools.h"

#include <QAction>
#include <QActionGroup>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGuiApplication>
#include <QLabel>
#include <QToolBar>

#include "h3dpart/ui/job_controller.h"
#include "h3dpart/ui/parts_panel.h"
#include "h3dpart/ui/studio_document.h"

namespace h3d::ui {

namespace {

struct ToolInfo {
  ViewerTool tool;
  const char* text;
  Qt::Key key;
  const char* tip;
};

constexpr ToolInfo kTools[] = {
    {ViewerTool::Navigate, QT_TRANSLATE_NOOP("EditTools", "&Navigate"), Qt::Key_V,
     QT_TRANSLATE_NOOP("EditTools", "Rotate, pan and zoom; click a part to select it")},
    {ViewerTool::Prompt, QT_TRANSLATE_NOOP("EditTools", "&Prompt"), Qt::Key_P,
     QT_TRANSLATE_NOOP("EditTools",
                       "Click the mesh: the segmenter finds the part under the point")},
    {ViewerTool::Split, QT_TRANSLATE_NOOP("EditTools", "S&plit"), Qt::Key_K,
     QT_TRANSLATE_NOOP("EditTools", "Click one side of a part, then the other: it splits in two")},
    {ViewerTool::Brush, QT_TRANSLATE_NOOP("EditTools", "&Brush"), Qt::Key_B,
     QT_TRANSLATE_NOOP("EditTools",
                       "Paint faces into the active part (Shift: a new part, Ctrl: unassign)")},
    {ViewerTool::Lasso, QT_TRANSLATE_NOOP("EditTools", "&Lasso"), Qt::Key_L,
     QT_TRANSLATE_NOOP("EditTools",
                       "Draw around faces to give them to the active part (Shift: a new part, "
                       "Ctrl: unassign)")},
    {ViewerTool::Rectangle, QT_TRANSLATE_NOOP("EditTools", "&Rectangle"), Qt::Key_R,
     QT_TRANSLATE_NOOP("EditTools",
                       "Drag a rectangle over faces to give them to the active part (Shift: a "
                       "new part, Ctrl: unassign)")},
    {ViewerTool::Box, QT_TRANSLATE_NOOP("EditTools", "Bo&x"), Qt::Key_X,
     QT_TRANSLATE_NOOP("EditTools",
                       "Edit the active part's box; the generator fills exactly that box")},
};

bool editsFaces(ViewerTool tool) {
  return tool != ViewerTool::Navigate;
}

}  // namespace

EditTools::EditTools(StudioDocument& document, MeshViewer& viewer, PartsPanel& panel,
                     JobController& jobs, QWidget* window)
    : QObject(window),
      document_(document),
      viewer_(viewer),
      panel_(panel),
      jobs_(jobs),
      group_(new QActionGroup(this)),
      options_(new QToolBar(tr("Tool Options"), window)),
      promptMode_(new QComboBox(options_)),
      brushRadius_(new QDoubleSpinBox(options_)) {
  group_->setExclusive(true);
  for (const ToolInfo& info : kTools) {
    auto* a = new QAction(tr(info.text), this);
    a->setCheckable(true);
    a->setShortcut(QKeySequence(info.key));
    a->setStatusTip(tr(info.tip));
    a->setToolTip(tr(info.tip) + " (" + QKeySequence(info.key).toString() + ")");
    a->setData(int(info.tool));
    group_->addAction(a);
    tools_.emplace_back(info.tool, a);
    connect(a, &QAction::triggered, this, [this, tool = info.tool] { setTool(tool); });
  }
  tools_.front().second->setChecked(true);

  options_->setObjectName("toolOptionsBar");
  options_->addWidget(new QLabel(tr(" Prompt answer: "), options_));
  promptMode_->addItem(tr("becomes a new part"), int(MaskMode::NewPart));
  promptMode_->addItem(tr("replaces the part it overlaps"), int(MaskMode::ReplaceOverlapped));
  promptMode_->setToolTip(tr("What the segmenter's answer to a point prompt does"));
  options_->addWidget(promptMode_);
  options_->addSeparator();
  options_->addWidget(new QLabel(tr(" Brush radius: "), options_));
  brushRadius_->setRange(0.2, 25.0);
  brushRadius_->setSingleStep(0.5);
  brushRadius_->setDecimals(1);
  brushRadius_->setSuffix(tr(" % of size"));
  brushRadius_->setValue(3.0);
  brushRadius_->setToolTip(
      tr("Brush radius as a share of the mesh's diagonal ([ and ] change it)"));
  options_->addWidget(brushRadius_);
  auto* smaller = new QAction(tr("Smaller Brush"), this);
  smaller->setShortcut(QKeySequence(Qt::Key_BracketLeft));
  auto* larger = new QAction(tr("Larger Brush"), this);
  larger->setShortcut(QKeySequence(Qt::Key_BracketRight));
  connect(smaller, &QAction::triggered, this, [this] { setBrushFraction(brushFraction() / 1.25); });
  connect(larger, &QAction::triggered, this, [this] { setBrushFraction(brushFraction() * 1.25); });
  window->addAction(smaller);
  window->addAction(larger);
  connect(brushRadius_, &QDoubleSpinBox::valueChanged, this, &EditTools::applyBrushRadius);

  connect(&viewer_, &MeshViewer::surfaceClicked, this, &EditTools::surfaceClicked);
  connect(&viewer_, &MeshViewer::brushDab, this, &EditTools::brushDab);
  connect(&viewer_, &MeshViewer::brushStrokeFinished, this, &EditTools::brushStrokeFinished);
  connect(&viewer_, &MeshViewer::facesSelected, this, &EditTools::facesSelected);
  connect(&viewer_, &MeshViewer::boxEdited, this, &EditTools::boxEdited);
  connect(&viewer_, &MeshViewer::partClicked, this, [this](int label, Qt::KeyboardModifiers m) {
    panel_.clickPart(label, m & (Qt::ControlModifier | Qt::ShiftModifier));
  });
  connect(&panel_, &PartsPanel::selectionChanged, this, &EditTools::syncBox);
  connect(&document_, &StudioDocument::changed, this, [this] {
    updateEnabled();
    syncBox();
  });
  connect(&document_, &StudioDocument::inputChanged, this, [this] {
    applyBrushRadius();
    splitSeed_ = -1;
  });
  connect(&jobs_, &JobController::stateChanged, this, &EditTools::updateEnabled);
  updateEnabled();
}

QList<QAction*> EditTools::actions() const {
  return group_->actions();
}

QAction* EditTools::action(ViewerTool tool) const {
  for (const auto& [t, a] : tools_)
    if (t == tool) return a;
  return nullptr;
}

void EditTools::setTool(ViewerTool tool) {
  if (QAction* a = action(tool)) a->setChecked(true);
  if (splitSeed_ >= 0) viewer_.setPreviewFaces({}, QColor());
  splitSeed_ = -1;
  // Faces are edited on the input: show it while such a tool is on.
  if (editsFaces(tool) && viewer_.showGenerated() && viewer_.hasGenerated())
    viewer_.setShowGenerated(false);
  if (tool == ViewerTool::Box && viewer_.explode() != 0.0) viewer_.setExplode(0.0);
  viewer_.setTool(tool);
  applyBrushRadius();
  syncBox();
  switch (tool) {
    case ViewerTool::Prompt:
      Q_EMIT message(tr("Click the mesh to find the part under the point"), false);
      break;
    case ViewerTool::Split:
      Q_EMIT message(tr("Click one side of the part to split"), false);
      break;
    case ViewerTool::Box:
      if (panel_.activePart() < 0) Q_EMIT message(tr("Select the part whose box to edit"), false);
      break;
    default:
      break;
  }
}

MaskMode EditTools::promptMode() const {
  return MaskMode(promptMode_->currentData().toInt());
}

void EditTools::setPromptMode(MaskMode mode) {
  promptMode_->setCurrentIndex(promptMode_->findData(int(mode)));
}

double EditTools::brushFraction() const {
  return brushRadius_->value() / 100.0;
}

void EditTools::setBrushFraction(double fraction) {
  brushRadius_->setValue(fraction * 100.0);
}

void EditTools::applyBrushRadius() {
  if (!document_.hasMesh()) return;
  viewer_.setBrushRadius(float(document_.mesh()->bounds().diagonal() * brushFraction()));
}

void EditTools::updateEnabled() {
  const bool mesh = document_.hasMesh();
  for (const auto& [tool, a] : tools_)
    a->setEnabled(tool == ViewerTool::Navigate ||
                  (mesh && !(tool == ViewerTool::Prompt && !jobs_.canPrompt())));
  if (!mesh && viewer_.tool() != ViewerTool::Navigate) setTool(ViewerTool::Navigate);
}

void EditTools::syncBox() {
  const int part = panel_.activePart();
  if (viewer_.tool() != ViewerTool::Box || part < 0 || part >= document_.model().partCount()) {
    if (viewer_.boxShown()) viewer_.hideBox();
    return;
  }
  const Box3& box = document_.model().parts()[std::size_t(part)].box;
  if (box.empty()) {
    viewer_.hideBox();
    return;
  }
  viewer_.showBox(box);
}

void EditTools::apply(std::unique_ptr<EditCommand> edit) {
  const QString why = document_.apply(std::move(edit));
  if (!why.isEmpty()) Q_EMIT message(tr("Edit refused: %1").arg(why), true);
}

void EditTools::surfaceClicked(quint32 face, const Vec3& point, Qt::KeyboardModifiers) {
  const PartDocument& doc = document_.model();
  if (face >= doc.faceLabels().size()) return;
  if (viewer_.tool() == ViewerTool::Prompt) {
    if (!jobs_.canPrompt()) {
      Q_EMIT message(tr("Wait for the running job to end (or cancel it) before prompting"), true);
      return;
    }
    jobs_.prompt(point, promptMode());
    return;
  }
  if (viewer_.tool() != ViewerTool::Split) return;
  const int part = doc.faceLabels()[face];
  if (splitSeed_ < 0) {
    if (part < 0) {
      Q_EMIT message(tr("That face belongs to no part; click a part to split"), true);
      return;
    }
    splitSeed_ = long(face);
    splitPart_ = part;
    // A small patch marks the first point until the second click.
    const float radius = 0.01f * doc.mesh().bounds().diagonal();
    viewer_.setPreviewFaces(brushFaces(doc, face, point, radius), QColor(255, 255, 255));
    Q_EMIT message(tr("Now click the other side of %1")
                       .arg(QString::fromStdString(doc.parts()[std::size_t(part)].name)),
                   false);
    return;
  }
  const auto seedA = std::uint32_t(splitSeed_);
  const int seedPart = splitPart_;
  splitSeed_ = -1;
  viewer_.setPreviewFaces({}, QColor());
  if (part != seedPart) {
    Q_EMIT message(tr("Both points must be on the same part; start again"), true);
    return;
  }
  if (seedA == face) {
    Q_EMIT message(tr("Click two different points; start again"), true);
    return;
  }
  apply(std::make_unique<SplitPartCommand>(seedPart, seedA, face));
}

void EditTools::brushDab(quint32 face, const Vec3& point) {
  const PartDocument& doc = document_.model();
  if (face >= doc.faceLabels().size() || strokeRefused_) return;
  if (stroke_.empty()) {
    const auto mods = QGuiApplication::keyboardModifiers();
    strokeNewPart_ = mods & Qt::ShiftModifier;
    strokeTarget_ = (mods & Qt::ControlModifier) ? -1 : panel_.activePart();
    if (!strokeNewPart_ && strokeTarget_ < 0 && !(mods & Qt::ControlModifier)) {
      Q_EMIT message(tr("Select the part to paint into (Shift paints a new part, Ctrl unassigns)"),
                     true);
      strokeRefused_ = true;  // said once; the rest of this stroke does nothing
      return;
    }
    inStroke_.assign(doc.faceLabels().size(), false);
  }
  for (std::uint32_t f : brushFaces(doc, face, point, viewer_.brushRadius())) {
    if (inStroke_[f]) continue;
    inStroke_[f] = true;
    stroke_.push_back(f);
  }
  QColor color(255, 255, 255);
  if (!strokeNewPart_ && strokeTarget_ >= 0) {
    const Rgb c = doc.parts()[std::size_t(strokeTarget_)].color;
    color = QColor(c[0], c[1], c[2]);
  }
  viewer_.setPreviewFaces(stroke_, color);
}

void EditTools::brushStrokeFinished() {
  strokeRefused_ = false;
  if (stroke_.empty()) return;
  std::vector<std::uint32_t> faces;
  faces.swap(stroke_);
  inStroke_.clear();
  viewer_.setPreviewFaces({}, QColor());
  if (strokeNewPart_) {
    std::vector<bool> mask(document_.model().faceLabels().size(), false);
    for (auto f : faces) mask[f] = true;
    apply(std::make_unique<AssignMaskCommand>(std::move(mask), MaskMode::NewPart));
  } else {
    apply(std::make_unique<PaintFacesCommand>(std::move(faces), strokeTarget_));
  }
}

void EditTools::facesSelected(const std::vector<std::uint32_t>& faces,
                              Qt::KeyboardModifiers modifiers) {
  if (faces.empty()) {
    Q_EMIT message(tr("No visible faces inside the outline"), false);
    return;
  }
  assignFaces(faces, modifiers);
}

void EditTools::assignFaces(const std::vector<std::uint32_t>& faces,
                            Qt::KeyboardModifiers modifiers) {
  if (modifiers & Qt::ShiftModifier) {
    std::vector<bool> mask(document_.model().faceLabels().size(), false);
    for (auto f : faces)
      if (f < mask.size()) mask[f] = true;
    apply(std::make_unique<AssignMaskCommand>(std::move(mask), MaskMode::NewPart));
    return;
  }
  const int target = (modifiers & Qt::ControlModifier) ? -1 : panel_.activePart();
  if (target < 0 && !(modifiers & Qt::ControlModifier)) {
    Q_EMIT message(tr("Select the part to give the faces to (Shift makes a new part, Ctrl "
                      "unassigns)"),
                   true);
    return;
  }
  apply(std::make_unique<PaintFacesCommand>(faces, target));
}

void EditTools::boxEdited(const Box3& box) {
  const int part = panel_.activePart();
  if (part < 0) return;
  apply(std::make_unique<EditBoxCommand>(part, box));
}

}  // namespace h3d::ui
