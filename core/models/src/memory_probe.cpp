// Host and CUDA memory probes. NVML and the CUDA runtime are found at run time
// (dlopen/dlsym): the program links neither and starts without a driver.
#include "h3dpart/memory_probe.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
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

}  // namespace

struct CudaProbe::Impl {
  void* lib = nullptr;
  int count = 0;
  std::string note;
  std::atomic<bool> runtime{false};
  mutable std::mutex mutex;  // NVML calls are thread-safe; this guards the runtime lookup
  nvmlReturn (*getHandle)(unsigned int, nvmlDevice*) = nullptr;
  nvmlReturn (*getMemory)(nvmlDevice, NvmlMemory*) = nullptr;
  nvmlReturn (*getName)(nvmlDevice, char*, unsigned int) = nullptr;
  nvmlReturn (*getProcs)(nvmlDevice, unsigned int*, void*) = nullptr;
  bool procsV2Layout = true;
  mutable int (*memGetInfo)(std::size_t*, std::size_t*) = nullptr;
  mutable bool memGetInfoLooked = false;
};

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
  if (d.getHandle(unsigned(index), &dev) != 0)
    return cpuDeviceMemory("NVML: no handle for the GPU");
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
    const unsigned int me = unsigned(getpid());
    for (unsigned int capacity = 32; capacity <= 1024; capacity *= 4) {
      unsigned int n = capacity;
      nvmlReturn rc;
      if (d.procsV2Layout) {
        std::vector<NvmlProcessV2> list(capacity);
        rc = d.getProcs(dev, &n, list.data());
        if (rc == 0) {
          for (unsigned int i = 0; i < n; ++i)
            if (list[i].pid == me) m.processUsed += list[i].usedGpuMemory;
        }
      } else {
        std::vector<NvmlProcessV1> list(capacity);
        rc = d.getProcs(dev, &n, list.data());
        if (rc == 0) {
          for (unsigned int i = 0; i < n; ++i)
            if (list[i].pid == me) m.processUsed += list[i].usedGpuMemory;
        }
      }
      if (rc != 7 /* NVML_ERROR_INSUFFICIENT_SIZE */) break;
    }
  }
  return m;
}

bool CudaProbe::runtimeMemInfo(std::uint64_t& freeBytes, std::uint64_t& totalBytes) const {
  if (!impl_->runtime) return false;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (!impl_->memGetInfoLooked) {
      impl_->memGetInfoLooked = true;
      // Only a runtime that is already loaded (LibTorch's): never load a second one.
      for (const char* name :
           {"libcudart.so", "libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0"}) {
        if (void* lib = dlopen(name, RTLD_LAZY | RTLD_NOLOAD)) {
          impl_->memGetInfo =
              reinterpret_cast<int (*)(std::size_t*, std::size_t*)>(dlsym(lib, "cudaMemGetInfo"));
          if (impl_->memGetInfo) break;
        }
      }
      if (!impl_->memGetInfo)
        impl_->memGetInfo = reinterpret_cast<int (*)(std::size_t*, std::size_t*)>(
            dlsym(RTLD_DEFAULT, "cudaMemGetInfo"));
    }
  }
  if (!impl_->memGetInfo) return false;
  std::size_t f = 0, t = 0;
  if (impl_->memGetInfo(&f, &t) != 0) return false;
  freeBytes = f;
  totalBytes = t;
  return true;
}

}  // namespace h3d
