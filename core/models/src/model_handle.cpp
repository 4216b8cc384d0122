// A model in use: components, stages and runs with the out-of-memory path.
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

ModelHandle::ModelHandle(ModelHandle&& other) noexcept
    : manager_(other.manager_), index_(other.index_) {
  other.manager_ = nullptr;
}

ModelHandle& ModelHandle::operator=(ModelHandle&& other) noexcept {
  if (this != &other) {
    release();
    manager_ = other.manager_;
    index_ = other.index_;
    other.manager_ = nullptr;
  }
  return *this;
}

ModelHandle::~ModelHandle() {
  try {
    release();
  } catch (...) {
    // Unloading must not throw out of a destructor.
  }
}

void ModelHandle::release() {
  if (!manager_) return;
  ModelManager* manager = manager_;
  manager_ = nullptr;
  manager->impl_->release(index_);
}

const PackageManifest& ModelHandle::manifest() const {
  if (!manager_) throw ModelError("model handle: empty");
  return manager_->impl_->models[index_]->package.manifest;
}

const std::string& ModelHandle::name() const {
  if (!manager_) throw ModelError("model handle: empty");
  return manager_->impl_->models[index_]->name;
}

void ModelHandle::enterStage(const std::string& stage) {
  if (!manager_) throw ModelError("model handle: empty");
  auto& impl = *manager_->impl_;
  Model& m = *impl.models[index_];
  const StageSpec* spec = m.package.manifest.stage(stage);
  if (!spec) throw ModelError("model " + m.name + ": no stage \"" + stage + "\"");
  // A stage change may take another handle's component off the device: not mid-run.
  std::lock_guard<std::mutex> running(m.runMutex);
  impl.arrange(
      index_,
      [&](std::vector<std::size_t>& entering, std::vector<std::size_t>& leaving) {
        const bool split = impl.cfg.splitComponents;
        for (std::size_t i = 0; i < m.comps.size(); ++i) {
          const bool needed = !split || std::find(spec->components.begin(), spec->components.end(),
                                                  m.comps[i].spec->name) != spec->components.end();
          if (needed && m.comps[i].where != Where::Device) entering.push_back(i);
          if (!needed && m.comps[i].where == Where::Device) leaving.push_back(i);
        }
      },
      stage);
}

std::string ModelHandle::device() const {
  if (!manager_) return {};
  auto& impl = *manager_->impl_;
  std::lock_guard<std::mutex> lock(impl.mutex);
  const Model& m = *impl.models[index_];
  return m.fallback || impl.exec->deviceSharesHost() ? "cpu" : impl.exec->deviceName();
}

bool ModelHandle::half() const {
  if (!manager_) return false;
  auto& impl = *manager_->impl_;
  std::lock_guard<std::mutex> lock(impl.mutex);
  const Model& m = *impl.models[index_];
  return m.half && !m.fallback;
}

std::vector<Tensor> ModelHandle::run(const std::string& component,
                                     const std::vector<Tensor>& inputs,
                                     const std::atomic<bool>* cancel) {
  if (!manager_) throw ModelError("model handle: empty");
  auto& impl = *manager_->impl_;
  Model& m = *impl.models[index_];
  std::size_t found = m.comps.size();
  for (std::size_t i = 0; i < m.comps.size(); ++i)
    if (m.comps[i].spec->name == component) found = i;
  if (found == m.comps.size())
    throw ModelError("model " + m.name + ": no component \"" + component + "\"");
  const std::uint64_t runBytes = m.package.manifest.estimatedRunBytes;
  std::vector<Tensor> outputs;
  auto attempt = [&] {
    std::lock_guard<std::mutex> running(m.runMutex);
    impl.arrange(index_,
                 [&](std::vector<std::size_t>& entering, std::vector<std::size_t>&) {
                   if (m.comps[found].where != Where::Device) entering.push_back(found);
                 },
                 {});
    RunRequest request;
    {
      std::lock_guard<std::mutex> lock(impl.mutex);
      request.component = m.comps[found].exec;
      request.stage = m.stage.empty() ? component : m.stage;
    }
    request.runBytes = runBytes;
    request.inputs = inputs;
    request.cancel = cancel;
    try {
      outputs = impl.exec->run(request);
    } catch (const RunnerError& e) {
      throw RunnerError("model " + m.name + ": " + e.what());
    } catch (const OutOfMemoryError&) {
      throw;
    } catch (const CancelledError&) {
      throw;
    } catch (const ModelError& e) {  // the model failed to run: a model problem, not a bug
      throw ModelError("model " + m.name + ": " + e.what());
    }
  };
  try {
    attempt();
    return outputs;
  } catch (const OutOfMemoryError& e) {
    std::vector<Victim> victims;
    {
      std::unique_lock<std::mutex> lock(impl.mutex);
      impl.event(
          m.name, "oom", runBytes, 0,
          std::string("running: ") + e.what() + "; unloading every other model and retrying");
      victims = impl.selectOthers(index_, false);
      impl.flush(lock);
    }
    impl.evict(victims);
    impl.exec->emptyCache();
  }
  try {
    attempt();
    return outputs;
  } catch (const OutOfMemoryError& e) {
    bool onCpu;
    {
      std::lock_guard<std::mutex> lock(impl.mutex);
      onCpu = impl.onCpu(m);
    }
    if (!m.package.manifest.cpuFallbackAllowed || onCpu)
      throw OutOfMemoryError("model " + m.name + ": out of memory while running on " +
                             impl.exec->deviceName() +
                             " after unloading every other model: " + e.what());
    // Moving to the CPU takes every component off the device: no other run may be in flight.
    std::lock_guard<std::mutex> running(m.runMutex);
    {
      std::unique_lock<std::mutex> lock(impl.mutex);
      impl.cv.wait(lock, [&] { return !m.busy; });
      impl.markBusy(m, ModelState::Loading);
    }
    try {
      impl.moveToCpu(m, e.what());
    } catch (...) {
      std::unique_lock<std::mutex> lock(impl.mutex);
      impl.clearBusy(m);
      impl.flush(lock);
      throw;
    }
    std::unique_lock<std::mutex> lock(impl.mutex);
    impl.clearBusy(m);
    impl.flush(lock);
  }
  attempt();
  return outputs;
}

}  // namespace h3d
