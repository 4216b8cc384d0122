#pragma once
// The device names a user gives (--device, the panel): "cpu", "cuda",
// "cuda:N", "auto" or "sim:<bytes>" (a simulated device, tests). One parser
// for the front ends and the runner, so both refuse the same names with the
// same words.
#include <cstdint>
#include <string>

namespace h3d {

struct DeviceName {
  enum class Kind { Cpu, Cuda, Auto, Simulated } kind = Kind::Cpu;
  int cudaIndex = 0;                 // Kind::Cuda
  std::uint64_t simulatedBytes = 0;  // Kind::Simulated
};

// Throws UsageError ("unknown device ...", "expected cuda:<index>").
DeviceName parseDeviceName(const std::string& device);

}  // namespace h3d
