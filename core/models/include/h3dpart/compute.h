#pragma once
// How many CPU threads the networks may use. The desktop app keeps one core
// for the GUI thread so the window stays responsive while inference runs.

namespace h3d {

// Takes effect in runners started from now on (each runner is told at start).
void setComputeThreads(int threads);
int computeThreads();
bool computeThreadsSet();

}  // namespace h3d
