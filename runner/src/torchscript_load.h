#pragma once
// Loads a TorchScript file onto the host through a memory map of the file
// (faster than the stream reader for large archives).
#include <filesystem>

#include <torch/script.h>

namespace h3d::detail {

torch::jit::Module loadTorchScript(const std::filesystem::path& file);

}  // namespace h3d::detail

namespace h3d {
using detail::loadTorchScript;
}
