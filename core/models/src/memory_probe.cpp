// Host and CUDA memory probes. NVML and the CUDA runtime are found at run time
// (dlopen/dlsym): the program links neither and starts without a driver.
#include "h3dpart/memory_probe.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

namespace h3d {

std::uint64_t processRssBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return std::uint64_t(resident) * std::uint64_t(sysconf(_SC_PAGESIZE));
}

HostMemory hostMemory() {
  HostMemory m;
  std::ifstream in("/proc/meminfo");
  std::string key;
  unsigned long long value = 0;
  std::string unit;
  while (in >> key >> value >> unit) {
    if (key == "MemTotal:")
      m.total = value * 1024ull;
    else if (key == "MemAvailable:")
      m.available = value * 1024ull;
  }
  m.rss = processRssBytes();
  return m;
}

DeviceMemory cpuDeviceMemory(const std::string& note) {
  const HostMemory host = hostMemory();
  DeviceMemory d;
  d.available = false;
  d.name = "CPU";
  d.note = note;
  d.total = host.total;
  d.free = host.available;
  d.used = host.total > host.available ? host.total - host.available : 0;
  d.processUsed = host.rss;
  return d;
}

bool isOutOfMemoryMessage(const std::string& text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return lower.find("out of memory") != std::string::npos ||
         lower.find("cudaerrormemoryallocation") != std::string::npos ||
         lower.find("cuda_error_out_of_memory") != std::string::npos ||
         lower.find("cublas_status_alloc_failed") != std::string::npos ||
         lower.find("failed to allocate memory") != std::string::npos;
}

// ---- NVML (declared here: the toolkit ships no nvml.h) ----
namespace {

using nvmlReturn = int;
using nvmlDevice = void*;
struct NvmlMemory {
  unsigned long long total, free, used;
};
struct NvmlProcessV1 {
  unsigned int pid;
  unsigned long long usedGpuMemory;
};
struct NvmlProcessV2 {  // also the v3 layout
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
};

constexpr nvmlReturn kNvmlInsufficientSize = 7;

}  // namespace

NvmlSelector nvmlSelectorFor(int cudaOrdinal, const char* cudaVisibleDevices) {
  NvmlSelector sel;
  sel.index = cudaOrdinal;
  if (!cudaVisibleDevices) return sel;  // every GPU visible: the orders agree
  std::vector<std::string> entries;
  std::stringstream list(cudaVisibleDevices);
  for (std::string item; std::getline(list, item, ',');) {
    const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    entries.push_back(b == std::string::npos ? std::string() : item.substr(b, e - b + 1));
  }
  // CUDA stops at the first entry that is not a device.
  if (cudaOrdinal < 0 || std::size_t(cudaOrdinal) >= entries.size()) {
    sel.valid = false;
    return sel;
  }
  const std::string& entry = entries[std::size_t(cudaOrdinal)];
  if (entry.rfind("GPU-", 0) == 0) {
    sel.by = NvmlSelector::By::Uuid;
    sel.uuid = entry;
    return sel;
  }
  char* end = nullptr;
  const long n = std::strtol(entry.c_str(), &end, 10);
  if (entry.empty() || *end != '\0' || n < 0) {
    sel.valid = false;  // MIG-... or garbage: NVML cannot be matched by index
    return sel;
  }
  sel.index = int(n);
  return sel;
}

struct CudaProbe::Impl {
  void* lib = nullptr;
  int count = 0;
  std::string note;
  std::atomic<bool> runtime{false};
  mutable std::mutex mutex;  // NVML calls are thread-safe; this guards the runtime lookup
  nvmlReturn (*getHandle)(unsigned int, nvmlDevice*) = nullptr;
  nvmlReturn (*getHandleByBusId)(const char*, nvmlDevice*) = nullptr;
  nvmlReturn (*getHandleByUuid)(const char*, nvmlDevice*) = nullptr;
  nvmlReturn (*getMemory)(nvmlDevice, NvmlMemory*) = nullptr;
  nvmlReturn (*getName)(nvmlDevice, char*, unsigned int) = nullptr;
  nvmlReturn (*getProcs)(nvmlDevice, unsigned int*, void*) = nullptr;
  bool procsV2Layout = true;
  mutable int (*memGetInfo)(std::size_t*, std::size_t*) = nullptr;
  mutable int (*pciBusId)(char*, int, int) = nullptr;
  mutable bool memGetInfoLooked = false;

  // Finds cudaMemGetInfo and cudaDeviceGetPCIBusId in the loaded runtime, once.
  void lookUpRuntime() const;
  // The NVML handle of the GPU CUDA calls ordinal; false when none matches.
  bool handleFor(int ordinal, nvmlDevice* dev, bool runtimeActive) const;
};

bool CudaProbe::Impl::handleFor(int ordinal, nvmlDevice* dev, bool runtimeActive) const {
  if (runtimeActive && pciBusId && getHandleByBusId) {
    char bus[64] = {};
    if (pciBusId(bus, int(sizeof bus), ordinal) == 0 && getHandleByBusId(bus, dev) == 0)
      return true;
  }
  const NvmlSelector sel = nvmlSelectorFor(ordinal, std::getenv("CUDA_VISIBLE_DEVICES"));
  if (!sel.valid) return false;
  if (sel.by == NvmlSelector::By::Uuid)
    return getHandleByUuid && getHandleByUuid(sel.uuid.c_str(), dev) == 0;
  return getHandle(unsigned(sel.index), dev) == 0;
}

CudaProbe::CudaProbe() : impl_(new Impl) {
  Impl& d = *impl_;
  d.lib = dlopen("libnvidia-ml.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (!d.lib) {
    d.note = "no CUDA device: NVML (libnvidia-ml.so.1) not found";
    return;
  }
  auto sym = [&](const char* name) { return dlsym(d.lib, name); };
  auto init = reinterpret_cast<nvmlReturn (*)()>(sym("nvmlInit_v2"));
  if (!init) init = reinterpret_cast<nvmlReturn (*)()>(sym("nvmlInit"));
  auto getCount = reinterpret_cast<nvmlReturn (*)(unsigned int*)>(sym("nvmlDeviceGetCount_v2"));
  d.getHandle = reinterpret_cast<nvmlReturn (*)(unsigned int, nvmlDevice*)>(
      sym("nvmlDeviceGetHandleByIndex_v2"));
  d.getHandleByBusId = reinterpret_cast<nvmlReturn (*)(const char*, nvmlDevice*)>(
      sym("nvmlDeviceGetHandleByPciBusId_v2"));
  d.getHandleByUuid =
      reinterpret_cast<nvmlReturn (*)(const char*, nvmlDevice*)>(sym("nvmlDeviceGetHandleByUUID"));
  d.getMemory =
      reinterpret_cast<nvmlReturn (*)(nvmlDevice, NvmlMemory*)>(sym("nvmlDeviceGetMemoryInfo"));
  d.getName =
      reinterpret_cast<nvmlReturn (*)(nvmlDevice, char*, unsigned int)>(sym("nvmlDeviceGetName"));
  d.getProcs = reinterpret_cast<nvmlReturn (*)(nvmlDevice, unsigned int*, void*)>(
      sym("nvmlDeviceGetComputeRunningProcesses_v3"));
  if (!d.getProcs)
    d.getProcs = reinterpret_cast<nvmlReturn (*)(nvmlDevice, unsigned int*, void*)>(
        sym("nvmlDeviceGetComputeRunningProcesses_v2"));
  if (!d.getProcs) {
    d.getProcs = reinterpret_cast<nvmlReturn (*)(nvmlDevice, unsigned int*, void*)>(
        sym("nvmlDeviceGetComputeRunningProcesses"));
    d.procsV2Layout = false;
  }
  if (!init || !getCount || !d.getHandle || !d.getMemory) {
    d.note = "no CUDA device: NVML lacks the functions needed";
    return;
  }
  if (init() != 0) {
    d.note = "no CUDA device: NVML could not start (no driver?)";
    return;
  }
  unsigned int n = 0;
  if (getCount(&n) != 0 || n == 0) {
    d.note = "no CUDA device: NVML sees no GPU";
    return;
  }
  d.count = int(n);
}

CudaProbe& CudaProbe::instance() {
  static CudaProbe* probe = new CudaProbe();  // never destroyed: NVML stays loaded
  return *probe;
}

bool CudaProbe::available() const {
  return impl_->count > 0;
}
int CudaProbe::deviceCount() const {
  return impl_->count;
}
std::string CudaProbe::note() const {
  return impl_->note;
}
void CudaProbe::setRuntimeActive(bool active) {
  impl_->runtime = active;
}
bool CudaProbe::runtimeActive() const {
  return impl_->runtime;
}

DeviceMemory CudaProbe::read(int index) const {
  const Impl& d = *impl_;
  if (index < 0 || index >= d.count)
    return cpuDeviceMemory(d.note.empty() ? "no such CUDA device" : d.note);
  DeviceMemory m;
  nvmlDevice dev = nullptr;
  if (d.runtime) d.lookUpRuntime();
  if (!d.handleFor(index, &dev, d.runtime))
    return cpuDeviceMemory("NVML: no handle for CUDA device " + std::to_string(index));
  NvmlMemory mem{};
  if (d.getMemory(dev, &mem) != 0) return cpuDeviceMemory("NVML: memory query failed");
  m.available = true;
  m.total = mem.total;
  m.free = mem.free;
  m.used = mem.used;
  char name[96] = {};
  if (d.getName && d.getName(dev, name, sizeof name) == 0)
    m.name = name;
  else
    m.name = "CUDA device " + std::to_string(index);
  if (d.getProcs) {
    // Ask for the count first: the driver reports how many records it has,
    // and the list is read at that size (plus room for processes starting
    // meanwhile), retrying while it grows.
    const unsigned int me = unsigned(getpid());
    unsigned int n = 0;
    nvmlReturn rc = d.getProcs(dev, &n, nullptr);
    for (int attempt = 0; attempt < 4 && (rc == 0 || rc == kNvmlInsufficientSize); ++attempt) {
      if (rc == 0 && n == 0) break;  // no process on the GPU
      const unsigned int capacity = n + 8;
      n = capacity;
      if (d.procsV2Layout) {
        std::vector<NvmlProcessV2> list(capacity);
        rc = d.getProcs(dev, &n, list.data());
        if (rc == 0)
          for (unsigned int i = 0; i < n && i < capacity; ++i)
            if (list[i].pid == me) m.processUsed += list[i].usedGpuMemory;
      } else {
        std::vector<NvmlProcessV1> list(capacity);
        rc = d.getProcs(dev, &n, list.data());
        if (rc == 0)
          for (unsigned int i = 0; i < n && i < capacity; ++i)
            if (list[i].pid == me) m.processUsed += list[i].usedGpuMemory;
      }
      if (rc == 0) break;
    }
  }
  return m;
}

void CudaProbe::Impl::lookUpRuntime() const {
  std::lock_guard<std::mutex> lock(mutex);
  if (memGetInfoLooked) return;
  memGetInfoLooked = true;
  // Only a runtime that is already loaded (LibTorch's): never load a second one.
  void* found = nullptr;
  for (const char* name :
       {"libcudart.so", "libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0"}) {
    if (void* lib = dlopen(name, RTLD_LAZY | RTLD_NOLOAD)) {
      if (dlsym(lib, "cudaMemGetInfo")) {
        found = lib;
        break;
      }
    }
  }
  void* from = found ? found : RTLD_DEFAULT;
  memGetInfo = reinterpret_cast<int (*)(std::size_t*, std::size_t*)>(dlsym(from, "cudaMemGetInfo"));
  pciBusId = reinterpret_cast<int (*)(char*, int, int)>(dlsym(from, "cudaDeviceGetPCIBusId"));
}

bool CudaProbe::runtimeMemInfo(std::uint64_t& freeBytes, std::uint64_t& totalBytes) const {
  if (!impl_->runtime) return false;
  impl_->lookUpRuntime();
  if (!impl_->memGetInfo) return false;
  std::size_t f = 0, t = 0;
  if (impl_->memGetInfo(&f, &t) != 0) return false;
  freeBytes = f;
  totalBytes = t;
  return true;
}

}  // namespace h3d
