// The thread count the networks may use: kept here and handed to each runner
// as it starts (`--threads N`); the front ends link no LibTorch to set it on.
#include "h3dpart/compute.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace h3d {

namespace {
std::atomic<int> gThreads{0};
}

void setComputeThreads(int threads) {
  gThreads.store(std::max(1, threads));
}

int computeThreads() {
  const int t = gThreads.load();
  return t > 0 ? t : std::max(1, int(std::thread::hardware_concurrency()));
}

bool computeThreadsSet() {
  return gThreads.load() > 0;
}

}  // namespace h3d
