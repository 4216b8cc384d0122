#pragma once
// Batch mode of segment/generate/run (--out-dir): every input planned and
// checked before any work, the models shared through one manager, each input
// isolated (a failure is one line and the batch goes on), --jobs workers,
// --skip-existing resume, Ctrl-C after cleaning the input in progress.
#include <atomic>

#include "cli_options.h"

namespace h3d::cli {

// Exit code: 0 all done (or skipped), 1 some inputs failed, 2 refused before
// any work, 3 a model problem (stops the batch), 4 every processed input ran
// out of memory, 130 cancelled.
int runBatch(const Options& options, const std::atomic<bool>& cancel);

}  // namespace h3d::cli
