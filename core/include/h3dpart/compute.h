#pragma once
// How many CPU threads the networks may use. The desktop app keeps one core
// for the GUI thread so the window stays responsive while inference runs.

namespace h3d {

void setComputeThreads(int threads);
int computeThreads();

}  // namespace h3d
