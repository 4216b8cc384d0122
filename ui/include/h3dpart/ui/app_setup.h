#pragma once
// Process set-up the viewer depends on. prepareApplication() must run before
// the QApplication is constructed: the default surface format is read when
// the first GL context is created, and the platform plugin when the
// application starts.
namespace h3d::ui {

// Sets QT_QPA_PLATFORM=xcb unless the user chose a platform (VTK 9.1 loads
// GL through GLEW, which needs GLX), and the default surface format VTK
// expects: OpenGL 3.2 core, depth 24, no stencil, no multisampling.
void prepareApplication();

// Registers the engine's value types for queued connections. Call once after
// the QApplication exists (idempotent).
void registerMetaTypes();

// Installs English plural forms for the interface's counted texts: with no
// translation loaded, tr("%n part(s)", nullptr, n) would show "part(s)";
// this says "1 part", "5 parts". Call after the QApplication exists
// (idempotent).
void installPluralForms();

const char* versionString();

}  // namespace h3d::ui
