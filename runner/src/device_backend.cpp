// CPU, CUDA and simulated device backends.
#include "h3dpart/device_backend.h"

#include <dlfcn.h>
#include <malloc.h>

#include <c10/util/Exception.h>
#include <torch/cuda.h>

#include <algorithm>
#include <atomic>
#include <new>

#include "h3dpart/device_name.h"
#include "h3dpart/errors.h"
#include "h3dpart/memory_probe.h"

#if defined(H3DPART_TORCH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace h3d {

namespace {

std::string firstLine(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

std::string oomText(const char* device, std::uint64_t wanted, std::uint64_t used,
                    std::uint64_t capacity) {
  return std::string(device) + ": out of memory: tried to allocate " + formatBytes(wanted) +
         " with " + formatBytes(used) + " in use of " + formatBytes(capacity);
}

}  // namespace

void translateOutOfMemory(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const OutOfMemoryError&) {
    throw;
  } catch (const c10::OutOfMemoryError& e) {
    throw OutOfMemoryError(firstLine(e.what_without_backtrace()));
  } catch (const c10::Error& e) {
    const std::string text = e.what_without_backtrace();
    if (isOutOfMemoryMessage(text)) throw OutOfMemoryError(firstLine(text));
    throw;
  } catch (const std::bad_alloc&) {
    throw OutOfMemoryError("host: out of memory (allocation failed)");
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    if (isOutOfMemoryMessage(e.what())) throw OutOfMemoryError(firstLine(e.what()));
    throw;
  }
}

// ---- CPU ----
void CpuBackend::reserveWeights(std::uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  weights_ += bytes;
}

void CpuBackend::releaseWeights(std::uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  weights_ -= std::min(weights_, bytes);
}

namespace {
std::atomic<bool> gHostTrim{true};
}

void setHostTrimOnEmptyCache(bool on) {
  gHostTrim.store(on);
}

void CpuBackend::emptyCache() {
  if (gHostTrim.load()) malloc_trim(0);
}

DeviceMemory CpuBackend::memory() const {
  DeviceMemory d = cpuDeviceMemory(
      CudaProbe::instance().available() ? "models run on the CPU" : CudaProbe::instance().note());
  std::lock_guard<std::mutex> lock(mutex_);
  d.allocatorAllocated = weights_;
  return d;
}

std::uint64_t CpuBackend::freeForPlanning() const {
  return hostMemory().available;
}

// ---- Simulated ----
SimulatedBackend::SimulatedBackend(std::uint64_t capacityBytes) : capacity_(capacityBytes) {}

void SimulatedBackend::reserve(std::uint64_t bytes, int& injectedFailures, std::uint64_t& counter) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (injectedFailures > 0) {
    --injectedFailures;
    throw OutOfMemoryError(oomText("sim", bytes, weights_ + working_, capacity_) + " (injected)");
  }
  if (weights_ + working_ + bytes > capacity_)
    throw OutOfMemoryError(oomText("sim", bytes, weights_ + working_, capacity_));
  counter += bytes;
  peak_ = std::max(peak_, weights_ + working_);
}

void SimulatedBackend::reserveWeights(std::uint64_t bytes) {
  reserve(bytes, failReservations_, weights_);
}

void SimulatedBackend::releaseWeights(std::uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  weights_ -= std::min(weights_, bytes);
}

void SimulatedBackend::beginRun(std::uint64_t bytes) {
  reserve(bytes, failRuns_, working_);
}

void SimulatedBackend::endRun(std::uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  working_ -= std::min(working_, bytes);
}

void SimulatedBackend::emptyCache() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++emptyCacheCalls_;
}

DeviceMemory SimulatedBackend::memory() const {
  std::lock_guard<std::mutex> lock(mutex_);
  DeviceMemory d;
  d.available = true;
  d.name = "simulated";
  d.note = "simulated device";
  d.total = capacity_;
  d.used = weights_ + working_;
  d.free = capacity_ > d.used ? capacity_ - d.used : 0;
  d.processUsed = d.used;
  d.allocatorAllocated = d.used;
  d.allocatorReserved = d.used;
  return d;
}

std::uint64_t SimulatedBackend::freeForPlanning() const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto used = weights_ + working_;
  return capacity_ > used ? capacity_ - used : 0;
}

void SimulatedBackend::setCapacity(std::uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  capacity_ = bytes;
}
std::uint64_t SimulatedBackend::capacity() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return capacity_;
}
std::uint64_t SimulatedBackend::used() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return weights_ + working_;
}
std::uint64_t SimulatedBackend::weightBytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return weights_;
}
std::uint64_t SimulatedBackend::peakUsed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return peak_;
}
void SimulatedBackend::resetPeak() {
  std::lock_guard<std::mutex> lock(mutex_);
  peak_ = weights_ + working_;
}
void SimulatedBackend::failNextReservations(int count) {
  std::lock_guard<std::mutex> lock(mutex_);
  failReservations_ = count;
}
void SimulatedBackend::failNextRuns(int count) {
  std::lock_guard<std::mutex> lock(mutex_);
  failRuns_ = count;
}
int SimulatedBackend::emptyCacheCalls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return emptyCacheCalls_;
}

// ---- CUDA ----
namespace {

// Functions of a CUDA LibTorch found at run time when this build was made
// against a CPU-only LibTorch (Debian's): the symbols of LibTorch 1.13.
void runtimeEmptyCache() {
#if defined(H3DPART_TORCH_CUDA)
  c10::cuda::CUDACachingAllocator::emptyCache();
#else
  using Fn = void (*)();
  static Fn emptyCache =
      reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "_ZN3c104cuda20CUDACachingAllocator10emptyCacheEv"));
  static Fn clearCublas =
      reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "_ZN2at4cuda21clearCublasWorkspacesEv"));
  if (clearCublas) clearCublas();
  if (emptyCache) emptyCache();
#endif
}

}  // namespace

CudaBackend::CudaBackend(int index) : index_(index) {}

void CudaBackend::reserveWeights(std::uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  weights_ += bytes;
}

void CudaBackend::releaseWeights(std::uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  weights_ -= std::min(weights_, bytes);
}

void CudaBackend::activate() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (active_) return;
  active_ = true;
  CudaProbe::instance().setRuntimeActive(true);
}

void CudaBackend::emptyCache() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!active_) return;  // never create a context just to empty a cache
  }
  runtimeEmptyCache();
}

DeviceMemory CudaBackend::memory() const {
  DeviceMemory d = CudaProbe::instance().read(index_);
  std::lock_guard<std::mutex> lock(mutex_);
  d.allocatorAllocated = weights_;
#if defined(H3DPART_TORCH_CUDA)
  if (active_) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index_);
    d.allocatorAllocated = std::uint64_t(stats.allocated_bytes[0].current);
    d.allocatorReserved = std::uint64_t(stats.reserved_bytes[0].current);
  }
  if (active_ && d.processUsed > d.allocatorReserved)
    d.contextBytes = d.processUsed - d.allocatorReserved;
#else
  // Without the allocator's statistics the context's share is not known.
  if (active_) d.note = "allocator statistics need a CUDA build of LibTorch";
#endif
  if (active_ && !d.available) {
    // NVML could not answer: the runtime (already loaded by LibTorch) can.
    std::uint64_t freeBytes = 0, totalBytes = 0;
    if (CudaProbe::instance().runtimeMemInfo(freeBytes, totalBytes)) {
      d.available = true;
      d.name = name();
      d.total = totalBytes;
      d.free = freeBytes;
      d.used = totalBytes - freeBytes;
    }
  }
  return d;
}

std::uint64_t CudaBackend::freeForPlanning() const {
  const DeviceMemory d = memory();
  const std::uint64_t cachedUnused =
      d.allocatorReserved > d.allocatorAllocated ? d.allocatorReserved - d.allocatorAllocated : 0;
  return d.free + cachedUnused;
}

bool cudaUsable() {
  if (!CudaProbe::instance().available()) return false;
  try {
    return torch::cuda::is_available();
  } catch (const std::exception&) {
    return false;
  }
}

std::shared_ptr<DeviceBackend> makeBackend(const std::string& device) {
  const DeviceName name = parseDeviceName(device);
  switch (name.kind) {
    case DeviceName::Kind::Cpu:
      return std::make_shared<CpuBackend>();
    case DeviceName::Kind::Simulated:
      return std::make_shared<SimulatedBackend>(name.simulatedBytes);
    case DeviceName::Kind::Auto:
      if (cudaUsable()) return std::make_shared<CudaBackend>(0);
      return std::make_shared<CpuBackend>();
    case DeviceName::Kind::Cuda:
      break;
  }
  if (!CudaProbe::instance().available())
    throw ModelError("device " + device + ": " + CudaProbe::instance().note());
  if (!cudaUsable()) throw ModelError("device " + device + ": this LibTorch has no CUDA support");
  if (name.cudaIndex < 0 || name.cudaIndex >= int(torch::cuda::device_count()))
    throw ModelError("device " + device + ": no such CUDA device");
  return std::make_shared<CudaBackend>(name.cudaIndex);
}

}  // namespace h3d
