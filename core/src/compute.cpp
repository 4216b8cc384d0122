#include "h3dpart/compute.h"

#include <ATen/Parallel.h>

#include <algorithm>

namespace h3d {

void setComputeThreads(int threads) {
  at::set_num_threads(std::max(1, threads));
}

int computeThreads() {
  return at::get_num_threads();
}

}  // namespace h3d
