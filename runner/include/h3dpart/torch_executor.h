#pragma once
// The executor that runs the networks in this process with LibTorch: what
// h3dpart-runner serves over the protocol, and what the policy tests and the
// model benchmark use directly (with a simulated device). Only targets that
// may link LibTorch use it: never the front ends.
#include <map>
#include <memory>
#include <mutex>

#include "h3dpart/device_backend.h"
#include "h3dpart/model_executor.h"

namespace h3d {

class TorchExecutor : public ModelExecutor {
 public:
  explicit TorchExecutor(std::shared_ptr<DeviceBackend> backend);
  ~TorchExecutor() override;

  std::string deviceName() const override;
  bool deviceIsCpu() const override;
  bool deviceSharesHost() const override;
  bool supportsHalf() const override;
  LoadedComponent load(const std::filesystem::path& folder, const std::string& component,
                       const std::atomic<bool>* cancel = nullptr) override;
  std::uint64_t toDevice(std::uint64_t id, bool cpuFallback, bool half) override;
  void toHost(std::uint64_t id) override;
  void drop(std::uint64_t id) override;
  std::vector<Tensor> run(const RunRequest& request) override;
  void emptyCache() override;
  DeviceMemory memory() const override;
  std::uint64_t freeForPlanning() override;

  DeviceBackend& backend() { return *backend_; }

 private:
  struct Component;
  Component& find(std::uint64_t id);
  std::shared_ptr<DeviceBackend> backend_;
  std::shared_ptr<DeviceBackend> cpu_;  // CPU fallback
  std::mutex mutex_;                    // guards the map, not the components
  std::map<std::uint64_t, std::unique_ptr<Component>> components_;
  std::uint64_t next_ = 1;
};

// An in-process executor for a device name (see makeBackend).
std::shared_ptr<TorchExecutor> makeTorchExecutor(const std::string& device);

}  // namespace h3d
