// The model manager's bookkeeping (events, the verbose log, busy flags) and
// its public API. See model_manager_impl.h for how its sources divide the work.
#include "h3dpart/model_manager.h"

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
#include "h3dpart/runner_client.h"
#include "model_manager_impl.h"

namespace h3d {

using namespace manager_detail;

void ModelManager::Impl::event(const std::string& model, const std::string& what,
                               std::uint64_t bytes, double ms, const std::string& detail) {
  ManagerEvent e;
  e.timeSec = std::chrono::duration<double>(Clock::now() - start).count();
  e.model = model;
  e.event = what;
  e.bytes = bytes;
  e.durationMs = ms;
  e.detail = detail;
  ++eventSerial;
  if (cfg.verbose) {
    char head[64];
    std::snprintf(head, sizeof head, "[models %9.3fs] ", e.timeSec);
    std::string line = head + what + " " + model;
    if (bytes) line += " " + formatBytes(bytes);
    if (ms > 0) line += " in " + std::to_string(int(ms + 0.5)) + " ms";
    if (!detail.empty()) line += ": " + detail;
    pendingLog.push_back(std::move(line));
  }
  events.push_back(std::move(e));
  while (events.size() > 200) events.pop_front();
  pendingNotify = true;
}

void ModelManager::Impl::log(const std::string& line) {
  if (cfg.verbose) pendingLog.push_back("[models] " + line);
}

std::uint64_t ModelManager::Impl::primaryDeviceBytes() const {
  std::uint64_t sum = 0;
  for (const auto& m : models)
    if (!m->fallback) sum += m->bytesOn(Where::Device);
  return sum;
}

std::uint64_t ModelManager::Impl::hostCacheBytes() const {
  std::uint64_t sum = 0;
  for (const auto& m : models) sum += m->bytesOn(Where::Host);
  return sum;
}

void ModelManager::Impl::markBusy(Model& m, ModelState transient) {
  m.busy = true;
  m.transient = transient;
}

void ModelManager::Impl::clearBusy(Model& m) {
  m.busy = false;
  m.transient = ModelState::Unloaded;
  m.progress = 0.0;
  cv.notify_all();
  pendingNotify = true;
}

void ModelManager::Impl::flush(std::unique_lock<std::mutex>& lock) {
  std::vector<std::string> lines;
  lines.swap(pendingLog);
  const bool notify = pendingNotify;
  pendingNotify = false;
  auto s = sink;
  auto o = observer;
  lock.unlock();
  if (s)
    for (const auto& l : lines) s(l);
  if (notify && o) o();
}

void ModelManager::Impl::flush() {
  std::unique_lock<std::mutex> lock(mutex);
  flush(lock);
}

void ModelManager::Impl::lost(const std::string& what, const std::string& why, bool all) {
  std::unique_lock<std::mutex> lock(mutex);
  if (all) {
    // Every weight the runner held is gone: the bookkeeping says so. A model
    // busy on another thread finds out from its own call and cleans up.
    for (auto& mp : models) {
      Model& m = *mp;
      for (auto& c : m.comps) {
        c.where = Where::None;
        c.deviceBytes = 0;
        c.exec = 0;
      }
      m.fallback = false;
      m.stage.clear();
      m.pendingDrop = m.pendingUnload = false;
    }
  }
  event("", what, 0, 0, why);
  flush(lock);
}

void ModelManager::Impl::idleIfEmpty() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (cfg.policy != Policy::Sequential) return;
    for (const auto& m : models)
      if (m->busy || m->handles > 0 || m->anyLoaded()) return;
  }
  exec->idle();
}

ModelManager::ModelManager(ManagerConfig config, std::shared_ptr<ModelExecutor> executor)
    : impl_(std::make_unique<Impl>()) {
  impl_->cfg = std::move(config);
  impl_->exec = executor ? std::move(executor)
                         : std::make_shared<RunnerClient>(impl_->cfg.device, impl_->cfg.runnerPath);
  impl_->hostTotal = hostMemory().total;
  Impl* impl = impl_.get();
  impl_->exec->setEventCallback([impl](const std::string& what, const std::string& why, bool all) {
    impl->lost(what, why, all);
  });
}

ModelManager::~ModelManager() {
  try {
    unloadAll();
  } catch (...) {
  }
  impl_->exec->setEventCallback({});
  try {
    impl_->exec->shutdown();
  } catch (...) {
  }
}

void ModelManager::addPackage(const std::filesystem::path& folder) {
  auto model = std::make_unique<Model>();
  try {
    model->package = readPackage(folder, true);
    model->name = model->package.manifest.name;
    model->roleText = toString(model->package.manifest.role);
    for (const auto& f : model->package.manifest.files) {
      std::error_code ec;
      const auto path = folder / f.path;
      model->stamps[f.path] = {std::filesystem::file_size(path, ec),
                               std::filesystem::last_write_time(path, ec)};
    }
  } catch (const Error& e) {
    model->package.folder = folder;
    model->name = folder.filename().string();
    model->refused = model->failed = true;
    model->error = e.what();
  }
  for (const auto& spec : model->package.manifest.components) {
    Comp c;
    c.spec = &spec;
    model->comps.push_back(std::move(c));
  }
  const bool refused = model->refused;
  const std::string error = model->error;
  {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    for (auto& existing : impl_->models) {
      if (std::filesystem::weakly_canonical(existing->package.folder) ==
          std::filesystem::weakly_canonical(folder)) {
        return;  // already registered
      }
    }
    impl_->models.push_back(std::move(model));
    const Model& m = *impl_->models.back();
    impl_->event(m.name, refused ? "refuse" : "register", m.package.fileBytes, 0, error);
    impl_->flush(lock);
  }
  if (refused) throw ModelError(error);
}

std::vector<std::string> ModelManager::addPackages(const std::filesystem::path& dir) {
  std::vector<std::string> problems;
  for (const auto& folder : findPackages(dir)) {
    try {
      addPackage(folder);
    } catch (const Error& e) {
      problems.push_back(e.what());
    }
  }
  return problems;
}

ModelHandle ModelManager::acquire(ModelRole role, const std::atomic<bool>* cancel) {
  std::size_t index = 0;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    std::string reasons;
    bool found = false;
    for (std::size_t i = 0; i < impl_->models.size() && !found; ++i) {
      const Model& m = *impl_->models[i];
      if (m.refused) {
        // A package refused before its role was known may be the one meant.
        if (m.roleText.empty() || m.package.manifest.role == role) reasons += "; " + m.error;
        continue;
      }
      if (m.package.manifest.role == role) {
        index = i;
        found = true;
      }
    }
    if (!found) throw ModelError("no usable " + toString(role) + " model package" + reasons);
  }
  impl_->ensure(index, true, cancel);
  return ModelHandle(this, index);
}

std::size_t ModelManager::Impl::indexOf(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex);
  for (std::size_t i = 0; i < models.size(); ++i) {
    if (models[i]->name == name) return i;
  }
  throw ModelError("no model package named \"" + name + "\"");
}

ModelHandle ModelManager::acquire(const std::string& name, const std::atomic<bool>* cancel) {
  const std::size_t index = impl_->indexOf(name);
  impl_->ensure(index, true, cancel);
  return ModelHandle(this, index);
}

void ModelManager::load(const std::string& name) {
  // Resident without a handle: no operation ends, so Sequential keeps it
  // until another model is needed or it is unloaded.
  const std::size_t index = impl_->indexOf(name);
  impl_->ensure(index, false);
}

void ModelManager::unload(const std::string& name) {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  for (std::size_t i = 0; i < impl_->models.size(); ++i) {
    Model& m = *impl_->models[i];
    if (m.name != name) continue;
    impl_->cv.wait(lock, [&] { return !m.busy; });
    if (!m.anyLoaded()) return;
    if (m.handles > 0) {
      m.pendingUnload = true;  // when the last handle ends
      return;
    }
    std::vector<Victim> victims;
    const bool cache = m.anyOn(Where::Device) && impl_->mayCache(m, victims, i);
    impl_->markBusy(m, ModelState::Unloading);
    victims.push_back({i, !cache});
    impl_->flush(lock);
    impl_->evict(victims);
    impl_->flush();
    return;
  }
  throw ModelError("no model package named \"" + name + "\"");
}

void ModelManager::unloadAll() {
  std::vector<Victim> victims;
  {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    for (std::size_t i = 0; i < impl_->models.size(); ++i) {
      Model& m = *impl_->models[i];
      impl_->cv.wait(lock, [&] { return !m.busy; });
    }
    for (std::size_t i = 0; i < impl_->models.size(); ++i) {
      Model& m = *impl_->models[i];
      if (!m.anyLoaded() || m.busy) continue;
      if (m.handles > 0) {
        m.pendingDrop = true;
        continue;
      }
      impl_->markBusy(m, ModelState::Unloading);
      victims.push_back({i, true});
    }
    impl_->flush(lock);
  }
  impl_->evict(victims);
  try {
    impl_->exec->emptyCache();
  } catch (const RunnerError&) {
  }
  impl_->idleIfEmpty();
  impl_->flush();
}

void ModelManager::setPolicy(Policy policy) {
  std::vector<Victim> victims;
  {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    if (impl_->cfg.policy == policy) return;
    impl_->cfg.policy = policy;
    impl_->event("", "policy", 0, 0, toString(policy));
    if (policy == Policy::Sequential) victims = impl_->selectOthers(impl_->models.size(), true);
    impl_->flush(lock);
  }
  // selectOthers with an index past the end excludes nothing.
  impl_->evict(victims);
  impl_->idleIfEmpty();
  impl_->flush();
}

void ModelManager::setVramBudget(std::uint64_t bytes) {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  impl_->cfg.vramBudget = bytes;
  std::vector<Victim> victims;
  if (impl_->cfg.policy == Policy::Budget && bytes)
    victims = impl_->selectForBudget(impl_->models.size(), 0, bytes);
  impl_->event("", "budget", bytes, 0, "VRAM budget");
  impl_->flush(lock);
  impl_->evict(victims);
  impl_->flush();
}

void ModelManager::setRamBudget(std::uint64_t bytes) {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  impl_->cfg.ramBudget = bytes;
  impl_->event("", "budget", bytes, 0, "RAM budget");
  impl_->flush(lock);
}

void ModelManager::setIdleUnloadSeconds(double seconds) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->cfg.idleUnloadSeconds = seconds;
}

void ModelManager::setKeepAliveSeconds(double seconds) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->cfg.keepAliveSeconds = seconds;
}

void ModelManager::setVerbose(bool on) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->cfg.verbose = on;
}

void ModelManager::setSplitComponents(bool on) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->cfg.splitComponents = on;
}

void ModelManager::setVerboseSink(std::function<void(const std::string&)> sink) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->sink = std::move(sink);
}

void ModelManager::setObserver(std::function<void()> observer) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->observer = std::move(observer);
}

void ModelManager::tick() {
  std::vector<Victim> victims;
  bool expire = false;
  {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    const auto now = Clock::now();
    // Keep-alive: nothing in use and nothing used for that long ends the runner.
    const double keepAlive = impl_->cfg.keepAliveSeconds;
    if (keepAlive > 0.0) {
      Clock::time_point last{};
      bool inUse = false;
      for (const auto& m : impl_->models) {
        last = std::max(last, m->lastUse);
        inUse = inUse || m->handles > 0 || m->busy;
      }
      expire = !inUse && last != Clock::time_point{} &&
               std::chrono::duration<double>(now - last).count() >= keepAlive;
    }
    const double idle = impl_->cfg.idleUnloadSeconds;
    if (expire || idle <= 0.0 || impl_->cfg.policy == Policy::Sequential) {
      impl_->flush(lock);
      if (expire && impl_->exec->runnerStatus().pid > 0) impl_->exec->shutdown();
      return;
    }
    for (std::size_t i = 0; i < impl_->models.size(); ++i) {
      Model& m = *impl_->models[i];
      if (m.handles || m.busy || !m.anyLoaded()) continue;
      if (std::chrono::duration<double>(now - m.lastUse).count() < idle) continue;
      impl_->markBusy(m, ModelState::Unloading);
      victims.push_back({i, true});
      impl_->event(m.name, "idle", 0, 0, "idle timeout");
    }
    impl_->flush(lock);
  }
  impl_->evict(victims);
  impl_->flush();
}

ManagerSnapshot ModelManager::snapshot() const {
  ManagerSnapshot s;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const auto& cfg = impl_->cfg;
    s.policy = cfg.policy;
    s.vramBudget = cfg.vramBudget;
    s.ramBudget = impl_->ramBudget();
    s.verbose = cfg.verbose;
    s.deviceName = impl_->exec->deviceName();
    s.peakModelDeviceBytes = impl_->peak;
    s.eventSerial = impl_->eventSerial;
    s.recentEvents.assign(impl_->events.begin(), impl_->events.end());
    for (const auto& mp : impl_->models) {
      const Model& m = *mp;
      ModelStatus st;
      st.name = m.name;
      st.role = m.roleText;
      st.version = m.package.manifest.version;
      st.folder = m.package.folder.string();
      st.fileBytes = m.package.fileBytes;
      st.lastLoadMs = m.lastLoadMs;
      st.lastUnloadMs = m.lastUnloadMs;
      st.lastLoadSource = m.lastSource;
      st.diskLoads = m.diskLoads;
      st.hostCacheLoads = m.hostCacheLoads;
      st.error = m.error;
      st.handles = m.handles;
      st.loadProgress = m.busy ? m.progress : 0.0;
      const bool sharesHost = m.fallback || impl_->exec->deviceSharesHost();
      for (const auto& c : m.comps) {
        ComponentStatus cs;
        cs.name = c.spec->name;
        cs.state = c.where == Where::Device ? ModelState::Resident
                   : c.where == Where::Host ? ModelState::Cached
                                            : ModelState::Unloaded;
        if (c.where == Where::Device) {
          cs.deviceBytes = c.deviceBytes;
          if (!sharesHost) cs.hostBytes = c.bytes;  // the pinned host copy
        } else if (c.where == Where::Host) {
          cs.hostBytes = c.bytes;
        }
        if (!m.fallback)
          st.deviceBytes += cs.deviceBytes;
        else
          st.hostBytes += cs.deviceBytes;
        st.hostBytes += cs.hostBytes;
        st.components.push_back(std::move(cs));
      }
      if (m.busy && m.transient != ModelState::Unloaded)
        st.state = m.transient;
      else if (m.failed)
        st.state = ModelState::Failed;
      else if (m.anyOn(Where::Device) || (m.handles > 0 && m.anyLoaded()))
        st.state = ModelState::Resident;
      else if (m.anyOn(Where::Host))
        st.state = ModelState::Cached;
      else
        st.state = ModelState::Unloaded;
      if (st.state == ModelState::Resident) st.device = impl_->deviceOf(m);
      s.modelDeviceBytes += st.deviceBytes;
      s.modelHostBytes += st.hostBytes;
      s.models.push_back(std::move(st));
    }
  }
  s.device = impl_->exec->memory();
  s.runner = impl_->exec->runnerStatus();
  s.hostRss = processRssBytes();
  return s;
}

std::vector<std::string> ModelManager::modelNames() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  std::vector<std::string> names;
  for (const auto& m : impl_->models) names.push_back(m->name);
  return names;
}

void ModelManager::prestart() {
  impl_->exec->prestart();
}

void ModelManager::resetPeak() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->peak = impl_->primaryDeviceBytes();
}

const ManagerConfig& ModelManager::config() const {
  return impl_->cfg;
}

ModelExecutor& ModelManager::executor() {
  return *impl_->exec;
}

}  // namespace h3d
