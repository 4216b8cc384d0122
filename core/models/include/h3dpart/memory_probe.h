#pragma once
// Memory readings for the snapshot: host (RSS, /proc/meminfo) and CUDA devices
// through NVML loaded at run time (dlopen, no CUDA context is created). The
// CUDA runtime (cudaMemGetInfo) is only asked once a model went to the GPU.
#include <cstdint>
#include <string>

#include "h3dpart/model_snapshot.h"

namespace h3d {

struct HostMemory {
  std::uint64_t total = 0;      // MemTotal
  std::uint64_t available = 0;  // MemAvailable
  std::uint64_t rss = 0;        // this process
};

// This process's resident set (/proc/self/statm); 0 when unknown.
std::uint64_t processRssBytes();
HostMemory hostMemory();

// The CPU view as a DeviceMemory: available=false, name "CPU", total/free/used
// from the host, processUsed = RSS, note given.
DeviceMemory cpuDeviceMemory(const std::string& note = "no CUDA device");

// How NVML finds the GPU that CUDA calls ordinal N. NVML numbers every GPU
// of the machine in PCI bus order; CUDA only the visible ones, in the order of
// CUDA_VISIBLE_DEVICES. Once the runtime is active the PCI bus id from
// cudaDeviceGetPCIBusId is used instead (exact whatever the order).
struct NvmlSelector {
  enum class By { Index, Uuid } by = By::Index;
  int index = 0;      // NVML index, By::Index
  std::string uuid;   // "GPU-...", By::Uuid
  bool valid = true;  // false: the ordinal is not among the visible devices
};
// cudaVisibleDevices: the variable's value, or null when it is not set.
NvmlSelector nvmlSelectorFor(int cudaOrdinal, const char* cudaVisibleDevices);

// NVML, loaded once on first use. Thread-safe.
class CudaProbe {
 public:
  static CudaProbe& instance();

  // NVML loaded and initialised, and at least one GPU seen.
  bool available() const;
  int deviceCount() const;
  // Why it is not available ("NVML not found", "no GPU"), empty when it is.
  std::string note() const;
  // Device memory of the GPU CUDA calls `index`, through NVML (found by PCI
  // bus id or through CUDA_VISIBLE_DEVICES, see NvmlSelector): total/used/free,
  // this process's use. available=false (with note) when NVML cannot answer.
  DeviceMemory read(int index) const;
  // Called by the CUDA backend when a model first goes to the GPU; from then
  // on cudaMemGetInfo (from the runtime LibTorch loaded) may be asked too.
  void setRuntimeActive(bool active);
  bool runtimeActive() const;
  // cudaMemGetInfo for the current device (only when the runtime is active and
  // found); false when not asked.
  bool runtimeMemInfo(std::uint64_t& freeBytes, std::uint64_t& totalBytes) const;

 private:
  CudaProbe();
  struct Impl;
  Impl* impl_;  // lives as long as the process
};

// True when the text is one of the out-of-memory messages of CUDA, the
// caching allocator or the simulated device.
bool isOutOfMemoryMessage(const std::string& text);

}  // namespace h3d
