#pragma once
// Where model weights live: the CPU, a CUDA device, or a simulated device with
// a set capacity (tests). The manager moves the tensors; a backend accounts
// for bytes, refuses what does not fit, reports memory and empties caches.
// No torch types here: the header is safe for any target.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "h3dpart/model_snapshot.h"

namespace h3d {

class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;

  // Shown to the user: "cpu", "cuda:0", "sim".
  virtual std::string name() const = 0;
  // Where tensors go (a torch device string): "cpu", "cuda:0". The simulated
  // device runs on "cpu".
  virtual std::string torchDevice() const = 0;
  // True when the weights on this device are the host copies themselves.
  bool sharesHostMemory() const { return torchDevice() == "cpu"; }
  virtual bool isCpu() const { return false; }
  virtual bool supportsHalf() const { return false; }
  // Host copies of evicted weights are pinned (page-locked) once and reused.
  virtual bool pinsHostCopies() const { return false; }

  // Accounting around weights placed on / taken off the device. reserve
  // throws OutOfMemoryError when the bytes do not fit (simulated device); on
  // CUDA the copy itself raises it.
  virtual void reserveWeights(std::uint64_t bytes) { (void)bytes; }
  virtual void releaseWeights(std::uint64_t bytes) { (void)bytes; }
  // Working memory while a model runs (the manifest's run_bytes).
  virtual void beginRun(std::uint64_t bytes) { (void)bytes; }
  virtual void endRun(std::uint64_t bytes) { (void)bytes; }
  // Called before the first weights go to the device.
  virtual void activate() {}
  // Returns cached, unused device memory (CUDA caching allocator, cuBLAS
  // workspaces; malloc_trim on the host).
  virtual void emptyCache() {}
  // Cheap reading for the snapshot: no CUDA context is created.
  virtual DeviceMemory memory() const = 0;
  // Free memory usable for planning: driver free + allocator cached-unused.
  virtual std::uint64_t freeForPlanning() const = 0;
};

// CpuBackend::emptyCache() gives the heap's free memory back to the system
// (malloc_trim) unless this is off: the runner turns it off and trims when it
// is idle instead, so back-to-back operations (a batch) reuse their memory.
void setHostTrimOnEmptyCache(bool on);

class CpuBackend : public DeviceBackend {
 public:
  std::string name() const override { return "cpu"; }
  std::string torchDevice() const override { return "cpu"; }
  bool isCpu() const override { return true; }
  void reserveWeights(std::uint64_t bytes) override;
  void releaseWeights(std::uint64_t bytes) override;
  void emptyCache() override;
  DeviceMemory memory() const override;
  std::uint64_t freeForPlanning() const override;

 private:
  mutable std::mutex mutex_;
  std::uint64_t weights_ = 0;
};

// A device with a capacity in bytes that raises OutOfMemoryError exactly as
// the CUDA path does. Modules run on the CPU; bytes are accounted here.
class SimulatedBackend : public DeviceBackend {
 public:
  explicit SimulatedBackend(std::uint64_t capacityBytes);
  std::string name() const override { return "sim"; }
  std::string torchDevice() const override { return "cpu"; }
  void reserveWeights(std::uint64_t bytes) override;
  void releaseWeights(std::uint64_t bytes) override;
  void beginRun(std::uint64_t bytes) override;
  void endRun(std::uint64_t bytes) override;
  void emptyCache() override;
  DeviceMemory memory() const override;
  std::uint64_t freeForPlanning() const override;

  void setCapacity(std::uint64_t bytes);
  std::uint64_t capacity() const;
  std::uint64_t used() const;         // weights + working memory now
  std::uint64_t weightBytes() const;  // weights now
  std::uint64_t peakUsed() const;
  void resetPeak();
  // The next `count` weight placements / runs fail with OutOfMemoryError
  // whatever the capacity (tests).
  void failNextReservations(int count);
  void failNextRuns(int count);
  int emptyCacheCalls() const;

 private:
  // Adds bytes to counter (weights or working memory) unless an injected
  // failure is pending or the capacity would be exceeded.
  void reserve(std::uint64_t bytes, int& injectedFailures, std::uint64_t& counter);
  mutable std::mutex mutex_;
  std::uint64_t capacity_;
  std::uint64_t weights_ = 0;
  std::uint64_t working_ = 0;
  std::uint64_t peak_ = 0;
  int failReservations_ = 0;
  int failRuns_ = 0;
  int emptyCacheCalls_ = 0;
};

// A CUDA device through LibTorch (only when LibTorch has CUDA and a driver is
// present; see makeBackend).
class CudaBackend : public DeviceBackend {
 public:
  explicit CudaBackend(int index);
  std::string name() const override { return "cuda:" + std::to_string(index_); }
  std::string torchDevice() const override { return name(); }
  bool supportsHalf() const override { return true; }
  bool pinsHostCopies() const override { return true; }
  void reserveWeights(std::uint64_t bytes) override;
  void releaseWeights(std::uint64_t bytes) override;
  void activate() override;
  void emptyCache() override;
  DeviceMemory memory() const override;
  std::uint64_t freeForPlanning() const override;

 private:
  int index_;
  mutable std::mutex mutex_;
  std::uint64_t weights_ = 0;
  bool active_ = false;
};

// "cpu", "cuda", "cuda:N", "auto" (CUDA when a GPU and a CUDA LibTorch are
// there, else CPU), or "sim:<bytes>". Throws ModelError for "cuda" without a
// usable GPU, UsageError for an unknown name.
std::shared_ptr<DeviceBackend> makeBackend(const std::string& device);
// Whether LibTorch can use CUDA here (asks NVML first: no context is created
// on machines without a GPU).
bool cudaUsable();

// Runs fn and turns every out-of-memory failure (c10::OutOfMemoryError, CUDA
// "out of memory" errors, std::bad_alloc) into h3d::OutOfMemoryError.
void translateOutOfMemory(const std::function<void()>& fn);

}  // namespace h3d
