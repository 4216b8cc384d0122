#pragma once
// What the model manager publishes for the UI and the CLI: plain values,
// cheap to copy, safe to poll at 10 Hz from any thread. No torch, no Qt.
#include <cstdint>
#include <string>
#include <vector>

namespace h3d {

enum class ModelState { Unloaded, Loading, Resident, Cached, Unloading, Failed };
enum class Policy { Sequential, Keep, Budget };
enum class LoadSource { None, Disk, HostCache };

std::string toString(ModelState state);
std::string toString(Policy policy);
std::string toString(LoadSource source);
bool parsePolicy(const std::string& text, Policy& out);

struct ComponentStatus {
  std::string name;
  ModelState state = ModelState::Unloaded;
  std::uint64_t deviceBytes = 0;
  std::uint64_t hostBytes = 0;
};

struct ModelStatus {
  std::string name;
  std::string role;  // "segmenter" | "generator"
  std::string version;
  std::string folder;
  ModelState state = ModelState::Unloaded;
  double loadProgress = 0.0;      // 0..1 while Loading
  std::uint64_t deviceBytes = 0;  // weights on the device now
  std::uint64_t hostBytes = 0;    // weights kept in host RAM (Cached)
  std::uint64_t fileBytes = 0;    // package size on disk
  double lastLoadMs = 0.0;
  double lastUnloadMs = 0.0;
  LoadSource lastLoadSource = LoadSource::None;
  int diskLoads = 0;       // loads that read the package from disk, since registration
  int hostCacheLoads = 0;  // loads from weights kept in host RAM
  std::string device;      // "cpu", "cuda:0", "sim" while Resident
  std::string error;       // reason when Failed
  int handles = 0;         // handles held now (not evictable while > 0)
  std::vector<ComponentStatus> components;
};

struct DeviceMemory {
  bool available = false;  // false: "no CUDA device", host memory shown instead
  std::string name;        // "NVIDIA ...", "CPU", "simulated"
  std::string note;        // e.g. "no CUDA device: NVML not found"
  std::uint64_t total = 0;
  std::uint64_t used = 0;  // by every process
  std::uint64_t free = 0;
  std::uint64_t processUsed = 0;  // by this process (NVML), or RSS on CPU
  std::uint64_t allocatorAllocated = 0;
  std::uint64_t allocatorReserved = 0;
  std::uint64_t contextBytes = 0;  // held by the CUDA context itself, once created
};

// The runner process (runner_client.h); state None when the models run in
// process (tests) or no runner was started yet.
enum class RunnerState { None, Starting, Ready, Busy, Exited, Crashed };
std::string toString(RunnerState state);

struct RunnerStatus {
  RunnerState state = RunnerState::None;
  int pid = 0;                    // while it runs
  std::uint64_t rss = 0;          // its resident set
  std::uint64_t deviceBytes = 0;  // its device memory (NVML, context included), or weights
  double spawnToReadyMs = 0.0;    // of the last start
  int starts = 0;                 // runners started so far
  int exits = 0;                  // runners ended (by policy, keep-alive, crash or kill)
  std::string lastExit;           // why the last one ended
  std::string path;               // the executable
};

struct ManagerEvent {
  double timeSec = 0.0;  // since the manager was created
  std::string model;
  std::string event;  // "load", "unload", "evict", "cache", "oom", "fallback", "fail",
                      // "runner-start", "runner-exit", ...
  std::uint64_t bytes = 0;
  double durationMs = 0.0;
  std::string detail;
};

struct ManagerSnapshot {
  std::vector<ModelStatus> models;
  DeviceMemory device;
  std::uint64_t hostRss = 0;           // this process's resident set
  std::uint64_t modelDeviceBytes = 0;  // sum over models
  std::uint64_t modelHostBytes = 0;
  std::uint64_t peakModelDeviceBytes = 0;  // since the last resetPeak()
  Policy policy = Policy::Sequential;
  std::uint64_t vramBudget = 0;
  std::uint64_t ramBudget = 0;
  std::string deviceName;  // the device models go to: "cpu", "cuda:0", "sim"
  bool verbose = false;
  std::uint64_t eventSerial = 0;           // grows with each event; recent events below
  std::vector<ManagerEvent> recentEvents;  // last 200
  RunnerStatus runner;
};

// "1.5 GiB", "12.0 MiB", "512 B".
std::string formatBytes(std::uint64_t bytes);
// A readable table for `h3dpart models`: name, role, version, state,
// device/host bytes, file bytes, last load, error; then the device memory.
std::string describeSnapshot(const ManagerSnapshot& snapshot);

}  // namespace h3d
