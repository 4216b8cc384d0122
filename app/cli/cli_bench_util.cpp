#include "cli_bench_util.h"

#include <cmath>

#include "h3dpart/errors.h"

namespace h3d::cli {

std::uint64_t currentRssBytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

Mesh refine(const Mesh& base, int n) {
  if (n <= 1) return base;
  Mesh out;
  out.faces.reserve(base.faces.size() * n * n);
  out.vertices.reserve(base.faces.size() * (n + 1) * (n + 2) / 2);
  std::vector<std::uint32_t> row;
  for (const Triangle& t : base.faces) {
    const Vec3 a = base.vertices[t[0]], b = base.vertices[t[1]], c = base.vertices[t[2]];
    // Vertex (i, j) = a + (b-a) i/n + (c-a) j/n with i + j <= n.
    auto index = [&](int i, int j, std::uint32_t first) {
      // rows of decreasing length: row i starts after sum_{k<i} (n+1-k)
      return first + static_cast<std::uint32_t>(i * (n + 1) - i * (i - 1) / 2 + j);
    };
    const auto first = static_cast<std::uint32_t>(out.vertices.size());
    for (int i = 0; i <= n; ++i) {
      for (int j = 0; i + j <= n; ++j) {
        out.vertices.push_back(a + (b - a) * (float(i) / n) + (c - a) * (float(j) / n));
      }
    }
    for (int i = 0; i < n; ++i) {
      for (int j = 0; i + j < n; ++j) {
        out.faces.push_back({index(i, j, first), index(i + 1, j, first), index(i, j + 1, first)});
        if (i + j + 1 < n) {
          out.faces.push_back(
              {index(i + 1, j, first), index(i + 1, j + 1, first), index(i, j + 1, first)});
        }
      }
    }
  }
  return out;
}

ScratchDir::ScratchDir(const std::string& prefix)
    : path_(std::filesystem::temp_directory_path() / (prefix + std::to_string(::getpid()))) {
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

int refineFactor(const Mesh& base, std::size_t targetFaces) {
  return std::max(
      1, static_cast<int>(std::lround(std::sqrt(double(targetFaces) / double(base.faces.size())))));
}

std::size_t parseSize(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  std::string unit(end ? end : "");
  if (unit == "k" || unit == "K")
    value *= 1e3;
  else if (unit == "m" || unit == "M")
    value *= 1e6;
  else if (!unit.empty())
    throw UsageError("--sizes: '" + text + "' is not a triangle count like 10k or 1M");
  if (!(value >= 1)) throw UsageError("--sizes: '" + text + "' is not a triangle count");
  return static_cast<std::size_t>(value);
}

}  // namespace h3d::cli
