// Loading and moving weights: from disk to host RAM (validated by a dry run),
// host to device and back, evictions, the out-of-memory path and CPU
// fallback, staged models. Runs without the lock while the model is busy.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_set>
#include "h3dpart/errors.h"
#include "h3dpart/memory_probe.h"
#include "model_manager_impl.h"

namespace h3d {

using namespace manager_detail;

std::uint64_t ModelManager::Impl::toDevice(Comp& c, bool fallback, bool half) {
  return exec->toDevice(c.exec, fallback, half);
}

void ModelManager::Impl::toHost(Comp& c) {
  exec->toHost(c.exec);
}

void ModelManager::Impl::dropComp(Comp& c) {
  if (!c.exec) return;
  const auto id = c.exec;
  c.exec = 0;
  try {
    exec->drop(id);
  } catch (const RunnerError&) {
    // The runner is gone, and the weights with it.
  }
}

std::uint64_t ModelManager::Impl::loadFromDisk(Model& m, Comp& c, const std::atomic<bool>* cancel) {
  const PackageManifest& mf = m.package.manifest;
  const std::filesystem::path file = m.package.folder / c.spec->file;
  // A file changed since it was registered is hashed again.
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) throw ModelError(packageErrorMessage(mf.name, c.spec->file, "file exists", ec.message()));
  const auto mtime = std::filesystem::last_write_time(file, ec);
  auto stamp = m.stamps.find(c.spec->file);
  if (stamp == m.stamps.end() || stamp->second.size != size || stamp->second.mtime != mtime) {
    for (const auto& f : mf.files) {
      if (f.path != c.spec->file) continue;
      const std::string actual = sha256File(file);
      if (actual != f.sha256)
        throw ModelError(packageErrorMessage(
            mf.name, f.path, "sha256", "mismatch: manifest " + f.sha256 + ", file " + actual));
    }
  }
  const LoadedComponent loaded = exec->load(m.package.folder, c.spec->name, cancel);
  c.exec = loaded.id;
  return loaded.hostBytes;
}

void ModelManager::Impl::evict(const std::vector<Victim>& victims) {
  if (victims.empty()) return;
  for (const auto& v : victims) {
    Model& m = *models[v.index];
    const auto t0 = Clock::now();
    std::uint64_t deviceBytes = 0;
    std::uint64_t hostBytes = 0;
    std::vector<std::pair<Comp*, std::uint64_t>> onDevice;
    {
      std::lock_guard<std::mutex> lock(mutex);
      for (auto& c : m.comps) {
        if (c.where == Where::Device) onDevice.push_back({&c, c.deviceBytes});
        if (c.where != Where::None) hostBytes += c.bytes;
      }
    }
    for (auto& [c, b] : onDevice) {
      try {
        toHost(*c);
      } catch (const RunnerError&) {
        // The runner ended: the weights are gone with it.
      }
      deviceBytes += b;
    }
    if (v.drop)
      for (auto& c : m.comps) dropComp(c);
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& c : m.comps) {
      if (v.drop) {
        c.where = Where::None;
      } else if (c.where == Where::Device) {
        c.where = Where::Host;
      }
      c.deviceBytes = 0;
    }
    m.lastUnloadMs = msSince(t0);
    if (v.drop) {
      m.fallback = false;
      m.stage.clear();
      m.pendingDrop = m.pendingUnload = false;
      event(m.name, "unload", deviceBytes ? deviceBytes : hostBytes, m.lastUnloadMs);
    } else {
      m.pendingUnload = false;
      event(m.name, "evict", deviceBytes, m.lastUnloadMs, "weights kept in host RAM");
    }
    clearBusy(m);
  }
  try {
    exec->emptyCache();
  } catch (const RunnerError&) {
  }
}

void ModelManager::Impl::place(std::size_t index, const std::vector<std::size_t>& which) {
  Model& m = *models[index];
  auto attempt = [&] {
    for (auto ci : which) {
      Comp& c = m.comps[ci];
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (c.where == Where::Device) continue;
      }
      const auto bytes = toDevice(c, m.fallback, m.half && !m.fallback);
      std::lock_guard<std::mutex> lock(mutex);
      c.where = Where::Device;
      c.deviceBytes = bytes;
      updatePeak();
    }
  };
  try {
    attempt();
    return;
  } catch (const OutOfMemoryError& e) {
    std::vector<Victim> victims;
    {
      std::unique_lock<std::mutex> lock(mutex);
      event(m.name, "oom", 0, 0,
            std::string("loading: ") + e.what() + "; unloading every other model and retrying");
      victims = selectOthers(index, false);
      flush(lock);
    }
    evict(victims);
    exec->emptyCache();
  }
  try {
    attempt();
    return;
  } catch (const OutOfMemoryError& e) {
    if (!m.package.manifest.cpuFallbackAllowed || onCpu(m)) {
      throw OutOfMemoryError("model " + m.name + ": out of memory on " + deviceOf(m) +
                             " after unloading every other model: " + e.what());
    }
    moveToCpu(m, e.what());
  }
  attempt();
}

void ModelManager::Impl::moveToCpu(Model& m, const std::string& why) {
  std::vector<std::pair<Comp*, std::uint64_t>> onDevice;
  {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& c : m.comps)
      if (c.where == Where::Device) onDevice.push_back({&c, c.deviceBytes});
  }
  for (auto& [c, b] : onDevice) toHost(*c);
  exec->emptyCache();
  std::unique_lock<std::mutex> lock(mutex);
  for (auto& [c, b] : onDevice) c->where = Where::Host;
  m.fallback = true;
  event(m.name, "fallback", 0, 0, "running on the CPU: " + why);
  flush(lock);
  // The components that were on the device go to the CPU "device".
  for (auto& [c, b] : onDevice) {
    const auto bytes = toDevice(*c, true, false);
    std::lock_guard<std::mutex> relock(mutex);
    c->where = Where::Device;
    c->deviceBytes = bytes;
  }
}

std::vector<std::size_t> ModelManager::Impl::initialComponents(const Model& m) const {
  std::vector<std::size_t> all;
  if (m.staged() && cfg.splitComponents) return all;
  for (std::size_t i = 0; i < m.comps.size(); ++i) all.push_back(i);
  return all;
}

bool ModelManager::Impl::ready(const Model& m) const {
  if (m.failed || !m.anyLoaded()) return false;
  for (const auto& c : m.comps)
    if (c.where == Where::None) return false;
  for (auto i : initialComponents(m))
    if (m.comps[i].where != Where::Device) return false;
  return true;
}

std::uint64_t ModelManager::Impl::estimateDeviceBytes(const Model& m,
                                                      const std::vector<std::size_t>& which) const {
  std::uint64_t sum = 0;
  const bool half = m.half && !m.fallback;
  for (auto i : which) {
    const Comp& c = m.comps[i];
    if (c.where == Where::Device) continue;
    // Before the first load the file size is the best estimate.
    std::uint64_t b = c.bytes;
    if (!b)
      for (const auto& f : m.package.manifest.files)
        if (f.path == c.spec->file) b = f.bytes;
    sum += half ? b / 2 : b;
  }
  return sum;
}

void ModelManager::Impl::ensure(std::size_t index, bool pin, const std::atomic<bool>* cancel) {
  const std::uint64_t budget = effectiveBudget();
  std::unique_lock<std::mutex> lock(mutex);
  Model& m = *models[index];
  cv.wait(lock, [&] { return !m.busy; });
  if (m.refused) throw ModelError(m.error);
  if (ready(m)) {
    // Every component in host RAM, none on the device: back from the cache.
    if (!m.anyOn(Where::Device)) ++m.hostCacheLoads;
    if (pin) ++m.handles;
    m.lastUse = Clock::now();
    m.pendingUnload = m.pendingDrop = false;
    return;
  }
  markBusy(m, ModelState::Loading);
  m.failed = false;
  m.error.clear();
  m.half = cfg.halfPrecision && m.package.manifest.halfPrecisionAllowed && exec->supportsHalf();
  const auto initial = initialComponents(m);
  auto victims = planPlacement(index, estimateDeviceBytes(m, initial), budget);
  const bool fromDisk = std::any_of(m.comps.begin(), m.comps.end(),
                                    [](const Comp& c) { return c.where == Where::None; });
  pendingNotify = true;
  flush(lock);

  const auto t0 = Clock::now();
  try {
    evict(victims);
    std::size_t done = 0;
    for (auto& c : m.comps) {
      ++done;
      {
        std::lock_guard<std::mutex> relock(mutex);
        if (c.where != Where::None) continue;
      }
      const auto bytes = loadFromDisk(m, c, cancel);
      std::unique_lock<std::mutex> relock(mutex);
      c.where = Where::Host;
      c.bytes = bytes;
      m.progress = double(done) / double(m.comps.size() + 1);
      pendingNotify = true;
      flush(relock);
    }
    place(index, initial);
  } catch (const std::exception& e) {
    const bool oom = dynamic_cast<const OutOfMemoryError*>(&e) != nullptr;
    std::vector<std::pair<Comp*, std::uint64_t>> onDevice;
    {
      std::lock_guard<std::mutex> relock(mutex);
      for (auto& c : m.comps)
        if (c.where == Where::Device) onDevice.push_back({&c, c.deviceBytes});
    }
    try {
      for (auto& [c, b] : onDevice) toHost(*c);
    } catch (const RunnerError&) {
    }
    for (auto& c : m.comps) dropComp(c);
    try {
      exec->emptyCache();
    } catch (const RunnerError&) {
    }
    std::unique_lock<std::mutex> relock(mutex);
    for (auto& c : m.comps) {
      c.where = Where::None;
      c.deviceBytes = 0;
    }
    m.fallback = false;
    const bool cancelled = dynamic_cast<const CancelledError*>(&e) != nullptr;
    m.failed = !cancelled;
    m.error = cancelled ? std::string() : std::string(e.what());
    // A refused package stays refused; a runner that ended is not the package's fault.
    if (!oom && dynamic_cast<const ModelError*>(&e) && !dynamic_cast<const RunnerError*>(&e))
      m.refused = true;
    event(m.name, cancelled ? "cancel" : oom ? "oom" : "fail", 0, msSince(t0), e.what());
    clearBusy(m);
    flush(relock);
    if (oom || cancelled) throw;
    if (dynamic_cast<const RunnerError*>(&e))
      throw RunnerError("model " + m.name + ": " + e.what());
    if (dynamic_cast<const ModelError*>(&e)) throw;
    throw ModelError("model " + m.name + ": " + e.what());
  }
  lock.lock();
  m.lastLoadMs = msSince(t0);
  m.lastSource = fromDisk ? LoadSource::Disk : LoadSource::HostCache;
  ++(fromDisk ? m.diskLoads : m.hostCacheLoads);
  m.lastUse = Clock::now();
  if (pin) ++m.handles;
  event(m.name, "load", m.bytesOn(Where::Device) ? m.bytesOn(Where::Device) : m.loadedHostBytes(),
        m.lastLoadMs, "from " + toString(m.lastSource) + " to " + deviceOf(m));
  clearBusy(m);
  flush(lock);
}

void ModelManager::Impl::arrange(
    std::size_t index,
    const std::function<void(std::vector<std::size_t>&, std::vector<std::size_t>&)>& decide,
    const std::string& stageName) {
  Model& m = *models[index];
  std::uint64_t budget = 0;
  {
    // Fast path (component() on a resident component): no budget reading.
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [&] { return !m.busy; });
    std::vector<std::size_t> entering, leaving;
    decide(entering, leaving);
    if (entering.empty() && leaving.empty() && (stageName.empty() || m.stage == stageName)) return;
  }
  budget = effectiveBudget();
  std::unique_lock<std::mutex> lock(mutex);
  cv.wait(lock, [&] { return !m.busy; });
  std::vector<std::size_t> entering, leaving;
  decide(entering, leaving);
  if (entering.empty() && leaving.empty()) {
    if (!stageName.empty()) m.stage = stageName;
    return;
  }
  markBusy(m, ModelState::Loading);
  std::uint64_t need = estimateDeviceBytes(m, entering);
  std::uint64_t freed = 0;
  for (auto i : leaving) freed += m.comps[i].deviceBytes;
  auto victims = planPlacement(index, need > freed ? need - freed : 0, budget);
  flush(lock);
  const auto t0 = Clock::now();
  try {
    for (auto i : leaving) {
      std::uint64_t b;
      {
        std::lock_guard<std::mutex> relock(mutex);
        b = m.comps[i].deviceBytes;
      }
      (void)b;
      toHost(m.comps[i]);
      std::lock_guard<std::mutex> relock(mutex);
      m.comps[i].where = Where::Host;
      m.comps[i].deviceBytes = 0;
    }
    if (!leaving.empty()) exec->emptyCache();
    evict(victims);
    place(index, entering);
  } catch (...) {
    lock.lock();
    clearBusy(m);
    flush(lock);
    throw;
  }
  lock.lock();
  if (!stageName.empty()) {
    m.stage = stageName;
    event(m.name, "stage", m.bytesOn(Where::Device), msSince(t0), stageName);
  }
  clearBusy(m);
  flush(lock);
}

void ModelManager::Impl::release(std::size_t index) {
  std::unique_lock<std::mutex> lock(mutex);
  Model& m = *models[index];
  if (m.handles > 0) --m.handles;
  m.lastUse = Clock::now();
  std::vector<Victim> victims;
  if (m.handles == 0 && !m.busy && m.anyLoaded()) {
    if (m.pendingDrop || (cfg.policy == Policy::Sequential && !sequentialCaches())) {
      markBusy(m, ModelState::Unloading);
      victims.push_back({index, true});
    } else if (m.pendingUnload || cfg.policy == Policy::Sequential) {
      std::vector<Victim> extra;
      const bool cache = mayCache(m, extra, index);
      victims = std::move(extra);
      markBusy(m, ModelState::Unloading);
      victims.push_back({index, !cache});
    }
  }
  pendingNotify = true;
  flush(lock);
  evict(victims);
  idleIfEmpty();
  flush();
}

}  // namespace h3d
