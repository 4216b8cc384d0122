#pragma once
// What the model manager asks of whatever runs the networks: load a component
// onto the host, move it to the device and back, drop it, run it, and read the
// device's memory. The manager keeps every policy and all the bookkeeping; an
// executor only does what it is told. Two implementations: the runner client
// (runner_client.h: the networks run in the h3dpart-runner process; what the
// front ends use) and the in-process torch executor (runner/, for the policy
// tests and the benchmarks). No torch types here.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "h3dpart/model_snapshot.h"
#include "h3dpart/tensor.h"

namespace h3d {

struct LoadedComponent {
  std::uint64_t id = 0;         // the executor's name for it until drop()
  std::uint64_t hostBytes = 0;  // its weights on the host
};

struct RunRequest {
  std::uint64_t component = 0;
  std::string stage;           // for messages and the fault hook ("segment", "decode")
  std::uint64_t runBytes = 0;  // working memory the manifest declares
  std::vector<Tensor> inputs;  // in the component's declared order
  // Set by another thread to stop; the executor may end its work (the runner
  // client ends a runner that does not answer within 150 ms) and throws
  // CancelledError. May be null.
  const std::atomic<bool>* cancel = nullptr;
};

class ModelExecutor {
 public:
  virtual ~ModelExecutor() = default;

  // The device models go to: "cpu", "cuda:0", "sim".
  virtual std::string deviceName() const = 0;
  virtual bool deviceIsCpu() const = 0;
  // True when weights on the device are the host copies themselves (CPU).
  virtual bool deviceSharesHost() const = 0;
  virtual bool supportsHalf() const = 0;

  // Loads component `component` of the package in `folder` onto the host and
  // checks it against its contract with a dry run. ModelError when refused,
  // RunnerError when the runner ended, CancelledError when `cancel` (may be
  // null) was set meanwhile.
  virtual LoadedComponent load(const std::filesystem::path& folder, const std::string& component,
                               const std::atomic<bool>* cancel) = 0;
  // Weights to the device (or, cpuFallback, to the CPU); returns the bytes
  // they take there. OutOfMemoryError when they do not fit.
  virtual std::uint64_t toDevice(std::uint64_t id, bool cpuFallback, bool half) = 0;
  // Weights off the device; the host copy stays.
  virtual void toHost(std::uint64_t id) = 0;
  // Forgets the component (host copy included).
  virtual void drop(std::uint64_t id) = 0;
  // Runs the component where it is; outputs on the host, floating point ones
  // as float32. OutOfMemoryError, ModelError (the network raised), RunnerError,
  // CancelledError.
  virtual std::vector<Tensor> run(const RunRequest& request) = 0;
  // Returns cached, unused device memory (caching allocator, cuBLAS
  // workspaces; malloc_trim on the host).
  virtual void emptyCache() = 0;
  // Cheap reading for the snapshot (never waits on a running stage).
  virtual DeviceMemory memory() const = 0;
  // Free memory usable for planning: driver free + allocator cached-unused.
  virtual std::uint64_t freeForPlanning() = 0;

  // The manager says nothing is loaded any more and the policy lets the
  // executor give back everything (the runner client ends the runner).
  virtual void idle() {}
  // Ends whatever holds the weights now (keep-alive expiry); every id is gone.
  virtual void shutdown() {}
  // A model will be needed soon: start what runs it (the runner process) in
  // the background now. No-op in process.
  virtual void prestart() {}
  // The runner's row of the snapshot (state None for in-process executors).
  virtual RunnerStatus runnerStatus() const { return {}; }
  // Told of the runner's start ("runner-start") and end ("runner-exit", with
  // lost = true: every loaded component is gone). Called from the thread
  // that noticed, with no lock of the executor's state held.
  using EventCallback =
      std::function<void(const std::string& event, const std::string& detail, bool lost)>;
  void setEventCallback(EventCallback callback) { events_ = std::move(callback); }

 protected:
  void notify(const std::string& event, const std::string& detail, bool lost) {
    if (events_) events_(event, detail, lost);
  }

 private:
  EventCallback events_;
};

}  // namespace h3d
