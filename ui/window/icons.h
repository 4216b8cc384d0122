#pragma once
// Toolbar icons painted in code: Debian's Qt 6 base has no SVG icon engine,
// and painted icons stay sharp at any device pixel ratio.
#include <QIcon>

namespace h3d::ui::icons {

enum class Kind { App, Open, Export, Segment, Generate, Cancel };
QIcon make(Kind kind);

}  // namespace h3d::ui::icons
