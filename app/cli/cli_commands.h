#pragma once
// The `h3dpart` commands. Each returns the process exit code and throws
// h3d::Error subclasses that main() turns into a one-line message.
#include <atomic>
#include <memory>

#include "cli_options.h"

namespace h3d {
class ModelManager;
}

namespace h3d::cli {

// A manager configured from the global options, with the packages registered.
std::shared_ptr<ModelManager> makeManager(const Options& options);

int runPipeline(const Options& options, const std::atomic<bool>& cancel);
int runModels(const Options& options);
int runBenchPipeline(const Options& options, const std::atomic<bool>& cancel);
int runBenchModels(const Options& options);
int runBenchEditing(const Options& options);
int runBenchCancel(const Options& options);

}  // namespace h3d::cli
