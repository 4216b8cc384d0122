#pragma once
// Writes a file so that readers see either the old file or the complete new
// one: data goes to a temporary file beside the target, is flushed to disk,
// then renamed over the target. On any failure the temporary file is removed
// and an OutputError names the target and the reason.
#include <filesystem>
#include <functional>
#include <ostream>

namespace h3d {

void writeFileAtomically(const std::filesystem::path& target,
                         const std::function<void(std::ostream&)>& write);

}  // namespace h3d
