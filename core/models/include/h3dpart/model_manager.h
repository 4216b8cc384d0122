#pragma once
// The model manager: one object owns every loaded model. Loads on demand,
// keeps device memory as low as the policy allows, and publishes a snapshot.
// Thread-safe; it never calls the UI (observers are called with no lock held).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "h3dpart/model_executor.h"
#include "h3dpart/model_package.h"
#include "h3dpart/model_snapshot.h"
#include "h3dpart/tensor.h"

namespace h3d {

class ModelManager;

struct ManagerConfig {
  std::string device = "auto";  // "cpu" | "cuda" | "cuda:N" | "auto"
  Policy policy = Policy::Sequential;
  std::uint64_t vramBudget = 0;  // bytes for Budget; 0 = device free minus headroom
  std::uint64_t ramBudget = 0;   // host cache for evicted weights; 0 = a quarter of RAM
  std::uint64_t headroomBytes = 256ull << 20;  // working-memory reserve kept free
  double idleUnloadSeconds = 0.0;  // Budget/Keep: unload after this idle time; 0 = never
  bool halfPrecision = false;      // on CUDA, when the manifest allows
  bool verbose = false;            // log every step to the verbose sink
  // Keep only the running stage's components on the device (manifests with
  // stages). Off: every component goes to the device on acquire.
  bool splitComponents = true;
  // Sequential: weights leaving the device stay in host RAM (within ramBudget)
  // instead of being dropped, so the next operation copies them back rather
  // than reading the disk. The device still ends each operation empty. A CLI
  // batch sets it: one disk load per model for the whole batch.
  bool sequentialHostCache = false;
  // Keep and Budget: end an idle runner (and with it every model it holds)
  // after this many seconds without use, as Ollama's keep_alive; 0 = never.
  // Sequential ends the runner whenever nothing is loaded.
  double keepAliveSeconds = 0.0;
  // The h3dpart-runner executable; empty: beside the running program, then
  // $H3DPART_RUNNER (see runner_client.h).
  std::string runnerPath = {};
};

// Holds a model in use. While any handle for a model exists, the model is not
// evicted. Destroying the last handle ends the operation (Sequential unloads).
class ModelHandle {
 public:
  ModelHandle() = default;
  ModelHandle(ModelHandle&& other) noexcept;
  ModelHandle& operator=(ModelHandle&& other) noexcept;
  ModelHandle(const ModelHandle&) = delete;
  ModelHandle& operator=(const ModelHandle&) = delete;
  ~ModelHandle();

  explicit operator bool() const { return manager_ != nullptr; }
  const PackageManifest& manifest() const;
  const std::string& name() const;  // the package's name
  // Ends the use now (as the destructor does).
  void release();
  // Makes the stage's components resident (others of this model may leave the
  // device, by policy). Must be called before run() for partial models.
  void enterStage(const std::string& stage);
  std::string device() const;  // "cpu", "cuda:0"
  bool half() const;
  // Runs a component (made resident first) with its inputs in the declared
  // order; returns its outputs on the host, floating point ones as float32.
  // On out of memory: unloads every other model, empties the cache and
  // retries once, then falls back to CPU if allowed, else throws
  // OutOfMemoryError. A cancel flag set while it runs ends the run
  // (CancelledError); a runner that ends throws RunnerError.
  std::vector<Tensor> run(const std::string& component, const std::vector<Tensor>& inputs,
                          const std::atomic<bool>* cancel = nullptr);

 private:
  friend class ModelManager;
  ModelHandle(ModelManager* manager, std::size_t index) : manager_(manager), index_(index) {}
  ModelManager* manager_ = nullptr;
  std::size_t index_ = 0;
};

class ModelManager {
 public:
  // Without an executor the models run in an h3dpart-runner process
  // (RunnerClient for config.device, started on first use).
  explicit ModelManager(ManagerConfig config = {},
                        std::shared_ptr<ModelExecutor> executor = nullptr);
  ~ModelManager();  // unloads everything
  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // Registers every package under dir (manifest read and hashed, nothing
  // loaded). Broken packages are registered as Failed with the reason and
  // their messages returned.
  std::vector<std::string> addPackages(const std::filesystem::path& dir);
  void addPackage(const std::filesystem::path& folder);

  // The registered package of a role (the first valid one), loaded on demand.
  // Throws ModelError when none is usable, OutOfMemoryError when it cannot fit.
  // A cancel flag (may be null) set while the model loads ends the load
  // (CancelledError); the model is left unloaded, not failed.
  ModelHandle acquire(ModelRole role, const std::atomic<bool>* cancel = nullptr);
  ModelHandle acquire(const std::string& name, const std::atomic<bool>* cancel = nullptr);

  // A model will be needed soon (a command that segments or generates): the
  // runner process starts now, in the background, and loads LibTorch while
  // the caller imports and samples; nothing goes on a device. The manager's
  // destructor ends it when it was never used (a command that failed first).
  void prestart();

  // UI "Load": resident now (no operation ends, so Sequential keeps it until
  // another model is needed or unload()); Budget may evict others for it.
  void load(const std::string& name);
  void unload(const std::string& name);  // to Cached or Unloaded, by policy
  void unloadAll();                      // everything off the device and out of host cache

  void setPolicy(Policy policy);
  void setVramBudget(std::uint64_t bytes);
  void setRamBudget(std::uint64_t bytes);
  void setIdleUnloadSeconds(double seconds);
  void setVerbose(bool on);
  void setSplitComponents(bool on);
  void setKeepAliveSeconds(double seconds);
  void setVerboseSink(std::function<void(const std::string&)> sink);
  // Called (no lock held) after every state change; keep it cheap.
  void setObserver(std::function<void()> observer);
  // Unloads idle models whose timeout passed and ends an idle runner past its
  // keep-alive; the engine calls it periodically.
  void tick();

  ManagerSnapshot snapshot() const;
  // Registered package names, in registration order.
  std::vector<std::string> modelNames() const;
  void resetPeak();
  const ManagerConfig& config() const;
  ModelExecutor& executor();

 private:
  friend class ModelHandle;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace h3d
