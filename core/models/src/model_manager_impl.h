#pragma once
// The model manager's private parts, shared by its sources: the bookkeeping
// types and ModelManager::Impl. One mutex guards the bookkeeping; slow work
// (disk loads, dry runs, copies between host and device) runs without it while
// the model's busy flag keeps every other thread away from that model.
// Observers and the verbose sink are called with no lock held.
//
// model_manager.cpp: bookkeeping and the public API; model_policy.cpp: which
// models leave the device or host RAM; model_placement.cpp: loading and
// moving weights between disk, host and device; model_handle.cpp: the handle
// a user holds. Every torch thing goes through the ModelExecutor (the runner
// client, or the in-process executor of the tests); no torch here.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "h3dpart/model_executor.h"
#include "h3dpart/model_manager.h"
#include "h3dpart/model_package.h"

namespace h3d {

namespace manager_detail {

using Clock = std::chrono::steady_clock;

inline double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

enum class Where { None, Host, Device };

struct Comp {
  const ComponentSpec* spec = nullptr;
  // The executor's id while loaded (0: none). Bookkeeping: under the
  // manager's mutex.
  std::uint64_t exec = 0;
  Where where = Where::None;
  std::uint64_t bytes = 0;        // weights on the host
  std::uint64_t deviceBytes = 0;  // weights on the device (less in half precision)
};

struct FileStamp {
  std::uint64_t size = 0;
  std::filesystem::file_time_type mtime{};
};

struct Model {
  ModelPackage package;
  std::string name;
  std::string roleText;
  bool refused = false;  // package broken: never loaded until registered again
  bool failed = false;   // last load failed (error says why); may be retried
  std::string error;
  std::vector<Comp> comps;
  std::map<std::string, FileStamp> stamps;
  bool busy = false;
  ModelState transient = ModelState::Unloaded;  // Loading/Unloading while busy
  double progress = 0.0;
  int handles = 0;
  // Held by a run from placing its component to the end of the call, and by
  // a stage change and the CPU fallback, which take components off the
  // device: two handles of one staged model must not move each other's
  // component mid-run (the second waits; they would share it anyway).
  std::mutex runMutex;
  bool pendingUnload = false;
  bool pendingDrop = false;
  Clock::time_point lastUse{};
  double lastLoadMs = 0.0;
  double lastUnloadMs = 0.0;
  LoadSource lastSource = LoadSource::None;
  int diskLoads = 0;       // loads that read the package files
  int hostCacheLoads = 0;  // loads from weights kept in host RAM
  bool fallback = false;   // running on the CPU after out of memory
  bool half = false;
  std::string stage;

  bool anyOn(Where w) const {
    return std::any_of(comps.begin(), comps.end(), [&](const Comp& c) { return c.where == w; });
  }
  bool anyLoaded() const {
    return std::any_of(comps.begin(), comps.end(),
                       [](const Comp& c) { return c.where != Where::None; });
  }
  std::uint64_t bytesOn(Where w) const {
    std::uint64_t sum = 0;
    for (const auto& c : comps)
      if (c.where == w) sum += w == Where::Device ? c.deviceBytes : c.bytes;
    return sum;
  }
  std::uint64_t loadedHostBytes() const {
    std::uint64_t sum = 0;
    for (const auto& c : comps)
      if (c.where != Where::None) sum += c.bytes;
    return sum;
  }
  bool staged() const { return !package.manifest.stages.empty(); }
};

struct Victim {
  std::size_t index;
  bool drop;  // true: unload completely; false: keep the weights in host RAM
};

}  // namespace manager_detail

struct ModelManager::Impl {
  using Clock = manager_detail::Clock;
  using Comp = manager_detail::Comp;
  using Model = manager_detail::Model;
  using Victim = manager_detail::Victim;
  using Where = manager_detail::Where;

  // The registered model of that name; ModelError when there is none.
  std::size_t indexOf(const std::string& name) const;

  ManagerConfig cfg;
  std::shared_ptr<ModelExecutor> exec;
  mutable std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::unique_ptr<Model>> models;  // never shrinks: handles keep indices
  std::deque<ManagerEvent> events;
  std::uint64_t eventSerial = 0;
  std::uint64_t peak = 0;
  std::function<void()> observer;
  std::function<void(const std::string&)> sink;
  std::vector<std::string> pendingLog;
  bool pendingNotify = false;
  Clock::time_point start = Clock::now();
  std::uint64_t hostTotal = 0;

  // ---- under the lock ----
  void event(const std::string& model, const std::string& what, std::uint64_t bytes = 0,
             double ms = 0.0, const std::string& detail = {});
  void log(const std::string& line);
  std::string deviceOf(const Model& m) const { return m.fallback ? "cpu" : exec->deviceName(); }
  bool onCpu(const Model& m) const { return m.fallback || exec->deviceIsCpu(); }
  std::uint64_t primaryDeviceBytes() const;
  std::uint64_t hostCacheBytes() const;
  void updatePeak() { peak = std::max(peak, primaryDeviceBytes()); }
  std::uint64_t ramBudget() const { return cfg.ramBudget ? cfg.ramBudget : hostTotal / 4; }
  bool sequentialCaches() const {
    return cfg.policy == Policy::Sequential && cfg.sequentialHostCache;
  }
  void markBusy(Model& m, ModelState transient);
  void clearBusy(Model& m);
  // Not in use, not busy, and not the model `except` (an index past the end excludes none).
  bool evictable(std::size_t i, std::size_t except) const;
  // Decides whether weights leaving the device may stay in host RAM.
  bool mayCache(const Model& m, std::vector<Victim>& victims, std::size_t except);
  void addVictim(std::size_t i, bool forceDrop, std::vector<Victim>& victims, std::size_t except);
  // Every other idle model off the device (Sequential: out of host RAM too).
  std::vector<Victim> selectOthers(std::size_t except, bool forceDrop);
  // Least recently used models off the device until `need` more bytes fit.
  std::vector<Victim> selectForBudget(std::size_t except, std::uint64_t need, std::uint64_t budget);
  // The policy's evictions before `need` bytes of model `index` go to the device.
  std::vector<Victim> planPlacement(std::size_t index, std::uint64_t need, std::uint64_t budget);

  // ---- without the lock ----
  void flush(std::unique_lock<std::mutex>& lock);
  void flush();
  std::uint64_t effectiveBudget();

  // Moves a component's weights to the device (or the CPU); returns the device bytes.
  std::uint64_t toDevice(Comp& c, bool fallback, bool half);
  // Takes a component's weights off the device (the host copies stay).
  void toHost(Comp& c);
  void dropComp(Comp& c);
  // The executor lost every loaded component (the runner ended): all Unloaded.
  void lost(const std::string& event, const std::string& why, bool all);
  // Sequential with nothing loaded: the executor may give everything back.
  void idleIfEmpty();

  // Loads one component from disk onto the host, validated by a dry run.
  std::uint64_t loadFromDisk(Model& m, Comp& c, const std::atomic<bool>* cancel);

  void evict(const std::vector<Victim>& victims);

  // Places components of a busy model on its device, with the out-of-memory
  // path: unload every other model, empty the cache, retry once, then fall
  // back to the CPU when the manifest allows.
  void place(std::size_t index, const std::vector<std::size_t>& which);

  // Takes every component of the model off its device and runs it on the CPU.
  void moveToCpu(Model& m, const std::string& why);

  // Which components acquire puts on the device.
  std::vector<std::size_t> initialComponents(const Model& m) const;
  bool ready(const Model& m) const;
  std::uint64_t estimateDeviceBytes(const Model& m, const std::vector<std::size_t>& which) const;

  // Brings a model up (loading from disk or host RAM) and optionally pins it.
  void ensure(std::size_t index, bool pin, const std::atomic<bool>* cancel = nullptr);

  // Makes the given components of a pinned model resident; `leaving` go to host RAM.
  void arrange(
      std::size_t index,
      const std::function<void(std::vector<std::size_t>&, std::vector<std::size_t>&)>& decide,
      const std::string& stageName);

  // A handle ended: Sequential unloads, pending unloads happen now.
  void release(std::size_t index);
};

}  // namespace h3d
