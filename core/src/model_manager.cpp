// The model manager. One mutex guards the bookkeeping; slow work (disk loads,
// dry runs, copies between host and device) runs without it while the model's
// busy flag keeps every other thread away from that model. Observers and the
// verbose sink are called with no lock held.
#include "h3dpart/model_manager.h"

#include <torch/script.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_set>

#include "h3dpart/device_backend.h"
#include "h3dpart/errors.h"
#include "h3dpart/memory_probe.h"
#include "torchscript_load.h"

namespace h3d {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

enum class Where { None, Host, Device };

struct Comp {
  const ComponentSpec* spec = nullptr;
  // Torch side: touched only by the thread that holds the model's busy flag
  // (or, for running, by handle holders).
  std::optional<torch::jit::Module> module;
  std::vector<torch::Tensor> slots;  // the module's parameters and buffers
  std::vector<torch::Tensor> host;   // separate host copies (devices that do not share host memory)
  // Bookkeeping: under the manager's mutex.
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

std::string firstLine(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

// The line of a TorchScript error that says what went wrong.
std::string torchMessage(const std::exception& e) {
  std::string text;
  if (auto c10err = dynamic_cast<const c10::Error*>(&e))
    text = c10err->what_without_backtrace();
  else
    text = e.what();
  const std::string interp = "The following operation failed in the TorchScript interpreter";
  if (text.rfind(interp, 0) == 0) {
    // The interpreter's preamble and traceback, then the error itself last.
    std::string last;
    std::size_t start = 0;
    while (start < text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(start, end - start);
      if (line.find_first_not_of(" \t") != std::string::npos) last = line;
      start = end + 1;
    }
    return last;
  }
  return firstLine(text);
}

c10::ScalarType scalarType(const std::string& dtype) {
  if (dtype == "float32") return torch::kFloat32;
  if (dtype == "float16") return torch::kFloat16;
  if (dtype == "bfloat16") return torch::kBFloat16;
  if (dtype == "float64") return torch::kFloat64;
  if (dtype == "int64") return torch::kInt64;
  if (dtype == "int32") return torch::kInt32;
  if (dtype == "int16") return torch::kInt16;
  if (dtype == "int8") return torch::kInt8;
  if (dtype == "uint8") return torch::kUInt8;
  return torch::kBool;
}

std::string dtypeName(c10::ScalarType t) {
  switch (t) {
    case torch::kFloat32:
      return "float32";
    case torch::kFloat16:
      return "float16";
    case torch::kBFloat16:
      return "bfloat16";
    case torch::kFloat64:
      return "float64";
    case torch::kInt64:
      return "int64";
    case torch::kInt32:
      return "int32";
    case torch::kInt16:
      return "int16";
    case torch::kInt8:
      return "int8";
    case torch::kUInt8:
      return "uint8";
    case torch::kBool:
      return "bool";
    default:
      return c10::toString(t);
  }
}

std::string shapeText(const std::vector<std::string>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + shape[i];
  return s + "]";
}

std::string shapeText(c10::IntArrayRef sizes) {
  std::string s = "[";
  for (std::size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

bool isNumber(const std::string& dim) {
  return !dim.empty() && std::isdigit(static_cast<unsigned char>(dim.front()));
}

// Runs a component on a tiny input built from its contract and checks the
// outputs' ranks, fixed dimensions and dtypes.
void dryRun(const PackageManifest& m, const ComponentSpec& spec, torch::jit::Module& module) {
  auto refuse = [&](const std::string& check, const std::string& why) {
    throw ModelError(packageErrorMessage(m.name, spec.file, check, spec.name + ": " + why));
  };
  std::set<std::string> inputSymbols;
  std::vector<torch::jit::IValue> inputs;
  torch::manual_seed(0);
  for (const auto& in : spec.inputs) {
    std::vector<std::int64_t> sizes;
    for (const auto& d : in.shape) {
      if (isNumber(d)) {
        sizes.push_back(std::stoll(d));
      } else {
        sizes.push_back(m.dryRunSymbols.at(d));
        inputSymbols.insert(d);
      }
    }
    const auto type = scalarType(in.dtype);
    torch::Tensor t;
    if (c10::isFloatingType(type)) {
      t = torch::rand(sizes, torch::TensorOptions().dtype(torch::kFloat32))
              .mul_(2)
              .sub_(1)
              .to(type);
    } else if (type == torch::kBool) {
      t = torch::zeros(sizes, torch::TensorOptions().dtype(type));
    } else {
      // Small valid indices: 0..K-1 when the package names a K, else zeros.
      const auto k = m.dryRunSymbols.count("K") ? m.dryRunSymbols.at("K") : 1;
      std::int64_t numel = 1;
      for (auto s : sizes) numel *= s;
      t = torch::arange(numel, torch::TensorOptions().dtype(torch::kInt64))
              .remainder(k)
              .reshape(sizes)
              .to(type);
    }
    inputs.emplace_back(std::move(t));
  }
  torch::jit::IValue result;
  try {
    torch::NoGradGuard noGrad;
    result = module.forward(inputs);
  } catch (const std::exception& e) {
    refuse("dry run", torchMessage(e));
  }
  std::vector<torch::Tensor> outputs;
  if (result.isTensor()) {
    outputs.push_back(result.toTensor());
  } else if (result.isTuple()) {
    for (const auto& v : result.toTupleRef().elements()) {
      if (!v.isTensor())
        refuse("output type", "tuple element is " + v.tagKind() + ", not a tensor");
      outputs.push_back(v.toTensor());
    }
  } else {
    refuse("output type", "forward returned " + result.tagKind() + ", not a tensor or a tuple");
  }
  if (outputs.size() != spec.outputs.size())
    refuse("output count", "forward returned " + std::to_string(outputs.size()) +
                               " tensors, the manifest declares " +
                               std::to_string(spec.outputs.size()));
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const auto& want = spec.outputs[i];
    const auto& got = outputs[i];
    const std::string what = "output \"" + want.name + "\" is " + shapeText(got.sizes()) + " " +
                             dtypeName(got.scalar_type()) + ", the manifest declares " +
                             shapeText(want.shape) + " " + want.dtype;
    if (got.dim() != std::int64_t(want.shape.size())) refuse("output shape", what);
    for (std::size_t d = 0; d < want.shape.size(); ++d) {
      const auto& dim = want.shape[d];
      std::int64_t expected = -1;
      if (isNumber(dim))
        expected = std::stoll(dim);
      else if (inputSymbols.count(dim))
        expected = m.dryRunSymbols.at(dim);
      if (expected >= 0 && got.size(std::int64_t(d)) != expected) refuse("output shape", what);
    }
    if (got.scalar_type() != scalarType(want.dtype)) refuse("output dtype", what);
  }
}

}  // namespace

// ---------------------------------------------------------------------------

struct ModelManager::Impl {
  // The registered model of that name; ModelError when there is none.
  std::size_t indexOf(const std::string& name) const;

  ManagerConfig cfg;
  std::shared_ptr<DeviceBackend> backend;
  std::shared_ptr<DeviceBackend> cpu;  // for CPU fallback
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
             double ms = 0.0, const std::string& detail = {}) {
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
  void log(const std::string& line) {
    if (cfg.verbose) pendingLog.push_back("[models] " + line);
  }
  DeviceBackend& deviceOf(const Model& m) { return m.fallback ? *cpu : *backend; }
  std::uint64_t primaryDeviceBytes() const {
    std::uint64_t sum = 0;
    for (const auto& m : models)
      if (!m->fallback) sum += m->bytesOn(Where::Device);
    return sum;
  }
  std::uint64_t hostCacheBytes() const {
    std::uint64_t sum = 0;
    for (const auto& m : models) sum += m->bytesOn(Where::Host);
    return sum;
  }
  void updatePeak() { peak = std::max(peak, primaryDeviceBytes()); }
  std::uint64_t ramBudget() const { return cfg.ramBudget ? cfg.ramBudget : hostTotal / 4; }
  bool sequentialCaches() const {
    return cfg.policy == Policy::Sequential && cfg.sequentialHostCache;
  }
  void markBusy(Model& m, ModelState transient) {
    m.busy = true;
    m.transient = transient;
  }
  void clearBusy(Model& m) {
    m.busy = false;
    m.transient = ModelState::Unloaded;
    m.progress = 0.0;
    cv.notify_all();
    pendingNotify = true;
  }
  // Not in use, not busy, and not the model `except` (an index past the end excludes none).
  bool evictable(std::size_t i, std::size_t except) const {
    const Model& m = *models[i];
    return i != except && m.handles == 0 && !m.busy;
  }
  // Decides whether weights leaving the device may stay in host RAM.
  bool mayCache(const Model& m, std::vector<Victim>& victims, std::size_t except) {
    if (cfg.policy != Policy::Budget && !sequentialCaches()) return false;
    const std::uint64_t need = m.loadedHostBytes();
    std::uint64_t cached = hostCacheBytes();
    for (const auto& v : victims)
      if (!v.drop) cached += models[v.index]->loadedHostBytes();
    const std::uint64_t budget = ramBudget();
    if (need > budget) return false;
    // Drop least recently used cached models until it fits.
    while (cached + need > budget) {
      Model* lru = nullptr;
      std::size_t lruIndex = 0;
      for (std::size_t i = 0; i < models.size(); ++i) {
        Model& c = *models[i];
        if (!evictable(i, except) || &c == &m || c.anyOn(Where::Device) || !c.anyOn(Where::Host))
          continue;
        if (!lru || c.lastUse < lru->lastUse) {
          lru = &c;
          lruIndex = i;
        }
      }
      if (!lru) return false;
      cached -= lru->loadedHostBytes();
      markBusy(*lru, ModelState::Unloading);
      victims.push_back({lruIndex, true});
    }
    return true;
  }
  void addVictim(std::size_t i, bool forceDrop, std::vector<Victim>& victims, std::size_t except) {
    Model& m = *models[i];
    const bool drop = forceDrop || !mayCache(m, victims, except);
    markBusy(m, ModelState::Unloading);
    victims.push_back({i, drop});
  }
  // Every other idle model off the device (Sequential: out of host RAM too).
  std::vector<Victim> selectOthers(std::size_t except, bool forceDrop) {
    std::vector<Victim> victims;
    for (std::size_t i = 0; i < models.size(); ++i) {
      Model& m = *models[i];
      if (!evictable(i, except)) continue;
      if (m.anyOn(Where::Device) || (forceDrop && m.anyLoaded()))
        addVictim(i, forceDrop, victims, except);
    }
    return victims;
  }
  // Least recently used models off the device until `need` more bytes fit.
  std::vector<Victim> selectForBudget(std::size_t except, std::uint64_t need,
                                      std::uint64_t budget) {
    std::vector<Victim> victims;
    std::uint64_t resident = primaryDeviceBytes();
    while (resident + need > budget) {
      std::size_t best = models.size();
      for (std::size_t i = 0; i < models.size(); ++i) {
        Model& m = *models[i];
        if (!evictable(i, except) || m.fallback || !m.anyOn(Where::Device)) continue;
        if (best == models.size() || m.lastUse < models[best]->lastUse) best = i;
      }
      if (best == models.size()) break;
      resident -= models[best]->bytesOn(Where::Device);
      addVictim(best, false, victims, except);
    }
    return victims;
  }
  // The policy's evictions before `need` bytes of model `index` go to the device.
  std::vector<Victim> planPlacement(std::size_t index, std::uint64_t need, std::uint64_t budget) {
    switch (cfg.policy) {
      case Policy::Sequential:
        // Others leave the device; with the host cache their weights may stay in RAM.
        return selectOthers(index, !sequentialCaches());
      case Policy::Budget:
        return selectForBudget(index, need, budget);
      case Policy::Keep:
        break;
    }
    return {};
  }

  // ---- without the lock ----
  void flush(std::unique_lock<std::mutex>& lock) {
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
  void flush() {
    std::unique_lock<std::mutex> lock(mutex);
    flush(lock);
  }
  std::uint64_t effectiveBudget() {
    std::uint64_t configured;
    std::uint64_t headroom;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (cfg.policy != Policy::Budget) return 0;  // only Budget plans by bytes
      configured = cfg.vramBudget;
      headroom = cfg.headroomBytes;
    }
    if (configured) return configured;
    const std::uint64_t free = backend->freeForPlanning();
    std::uint64_t ours;
    {
      std::lock_guard<std::mutex> lock(mutex);
      ours = primaryDeviceBytes();
    }
    const std::uint64_t total = free + ours;
    return total > headroom ? total - headroom : 0;
  }

  // Moves a component's weights to the device; returns the device bytes.
  std::uint64_t toDevice(Comp& c, DeviceBackend& dev, bool half) {
    std::uint64_t bytes = 0;
    const auto& source = dev.sharesHostMemory() ? c.slots : c.host;
    for (const auto& t : source) {
      const bool toHalf = half && t.is_floating_point();
      bytes += std::uint64_t(t.numel()) * (toHalf ? 2u : t.element_size());
    }
    dev.activate();
    dev.reserveWeights(bytes);
    if (dev.sharesHostMemory()) return bytes;
    const torch::Device target(dev.torchDevice());
    std::size_t done = 0;
    try {
      translateOutOfMemory([&] {
        torch::NoGradGuard noGrad;
        for (; done < c.slots.size(); ++done) {
          const auto& h = c.host[done];
          auto moved = half && h.is_floating_point()
                           ? h.to(target, torch::kHalf, /*non_blocking=*/true)
                           : h.to(target, /*non_blocking=*/true);
          c.slots[done].set_data(moved);
        }
      });
    } catch (...) {
      for (std::size_t i = 0; i < done; ++i) c.slots[i].set_data(c.host[i]);
      dev.releaseWeights(bytes);
      throw;
    }
    return bytes;
  }
  // Takes a component's weights off the device (the host copies stay).
  void toHost(Comp& c, DeviceBackend& dev, std::uint64_t deviceBytes) {
    if (!dev.sharesHostMemory())
      for (std::size_t i = 0; i < c.slots.size(); ++i) c.slots[i].set_data(c.host[i]);
    dev.releaseWeights(deviceBytes);
  }
  static void dropTorch(Comp& c) {
    c.slots.clear();
    c.host.clear();
    c.module.reset();
  }

  // Loads one component from disk onto the host, validated by a dry run.
  std::uint64_t loadFromDisk(Model& m, Comp& c) {
    const PackageManifest& mf = m.package.manifest;
    const std::filesystem::path file = m.package.folder / c.spec->file;
    // A file changed since it was registered is hashed again.
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec)
      throw ModelError(packageErrorMessage(mf.name, c.spec->file, "file exists", ec.message()));
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
    torch::jit::Module module;
    try {
      module = loadTorchScript(file);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw ModelError(
          packageErrorMessage(mf.name, c.spec->file, "torchscript load", torchMessage(e)));
    }
    module.eval();
    dryRun(mf, *c.spec, module);
    std::vector<torch::Tensor> slots;
    std::unordered_set<const void*> seen;
    std::uint64_t bytes = 0;
    auto collect = [&](const torch::Tensor& t) {
      if (!t.defined() || !seen.insert(t.unsafeGetTensorImpl()).second) return;
      slots.push_back(t);
      bytes += std::uint64_t(t.numel()) * t.element_size();
    };
    for (const auto& p : module.parameters(true)) collect(p);
    for (const auto& b : module.buffers(true)) collect(b);
    c.host.clear();
    if (!backend->sharesHostMemory()) {
      torch::NoGradGuard noGrad;
      for (auto& t : slots) {
        auto copy = backend->pinsHostCopies() ? t.pin_memory() : t;
        t.set_data(copy);
        c.host.push_back(copy);
      }
    }
    c.slots = std::move(slots);
    c.module = std::move(module);
    return bytes;
  }

  void evict(const std::vector<Victim>& victims) {
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
      DeviceBackend& dev = m.fallback ? *cpu : *backend;
      for (auto& [c, b] : onDevice) {
        toHost(*c, dev, b);
        deviceBytes += b;
      }
      if (v.drop)
        for (auto& c : m.comps) dropTorch(c);
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
    backend->emptyCache();
    cpu->emptyCache();
  }

  // Places components of a busy model on its device, with the out-of-memory
  // path: unload every other model, empty the cache, retry once, then fall
  // back to the CPU when the manifest allows.
  void place(std::size_t index, const std::vector<std::size_t>& which) {
    Model& m = *models[index];
    auto attempt = [&] {
      for (auto ci : which) {
        Comp& c = m.comps[ci];
        {
          std::lock_guard<std::mutex> lock(mutex);
          if (c.where == Where::Device) continue;
        }
        const auto bytes = toDevice(c, deviceOf(m), m.half && !m.fallback);
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
      backend->emptyCache();
    }
    try {
      attempt();
      return;
    } catch (const OutOfMemoryError& e) {
      if (!m.package.manifest.cpuFallbackAllowed || deviceOf(m).isCpu()) {
        throw OutOfMemoryError("model " + m.name + ": out of memory on " + deviceOf(m).name() +
                               " after unloading every other model: " + e.what());
      }
      moveToCpu(m, e.what());
    }
    attempt();
  }

  // Takes every component of the model off its device and runs it on the CPU.
  void moveToCpu(Model& m, const std::string& why) {
    std::vector<std::pair<Comp*, std::uint64_t>> onDevice;
    {
      std::lock_guard<std::mutex> lock(mutex);
      for (auto& c : m.comps)
        if (c.where == Where::Device) onDevice.push_back({&c, c.deviceBytes});
    }
    for (auto& [c, b] : onDevice) toHost(*c, *backend, b);
    backend->emptyCache();
    std::unique_lock<std::mutex> lock(mutex);
    for (auto& [c, b] : onDevice) c->where = Where::Host;
    m.fallback = true;
    event(m.name, "fallback", 0, 0, "running on the CPU: " + why);
    flush(lock);
    // The components that were on the device go to the CPU "device".
    for (auto& [c, b] : onDevice) {
      const auto bytes = toDevice(*c, *cpu, false);
      std::lock_guard<std::mutex> relock(mutex);
      c->where = Where::Device;
      c->deviceBytes = bytes;
    }
  }

  // Which components acquire puts on the device.
  std::vector<std::size_t> initialComponents(const Model& m) const {
    std::vector<std::size_t> all;
    if (m.staged() && cfg.splitComponents) return all;
    for (std::size_t i = 0; i < m.comps.size(); ++i) all.push_back(i);
    return all;
  }
  bool ready(const Model& m) const {
    if (m.failed || !m.anyLoaded()) return false;
    for (const auto& c : m.comps)
      if (c.where == Where::None) return false;
    for (auto i : initialComponents(m))
      if (m.comps[i].where != Where::Device) return false;
    return true;
  }
  std::uint64_t estimateDeviceBytes(const Model& m, const std::vector<std::size_t>& which) const {
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

  // Brings a model up (loading from disk or host RAM) and optionally pins it.
  void ensure(std::size_t index, bool pin) {
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
    m.half =
        cfg.halfPrecision && m.package.manifest.halfPrecisionAllowed && backend->supportsHalf();
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
        const auto bytes = loadFromDisk(m, c);
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
      for (auto& [c, b] : onDevice) toHost(*c, deviceOf(m), b);
      for (auto& c : m.comps) dropTorch(c);
      backend->emptyCache();
      std::unique_lock<std::mutex> relock(mutex);
      for (auto& c : m.comps) {
        c.where = Where::None;
        c.deviceBytes = 0;
      }
      m.fallback = false;
      m.failed = true;
      m.error = e.what();
      if (!oom && dynamic_cast<const ModelError*>(&e)) m.refused = true;
      event(m.name, oom ? "oom" : "fail", 0, msSince(t0), e.what());
      clearBusy(m);
      flush(relock);
      if (oom) throw;
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
          m.lastLoadMs, "from " + toString(m.lastSource) + " to " + deviceOf(m).name());
    clearBusy(m);
    flush(lock);
  }

  // Makes the given components of a pinned model resident; `leaving` go to host RAM.
  void arrange(
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
      if (entering.empty() && leaving.empty() && (stageName.empty() || m.stage == stageName))
        return;
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
        toHost(m.comps[i], deviceOf(m), b);
        std::lock_guard<std::mutex> relock(mutex);
        m.comps[i].where = Where::Host;
        m.comps[i].deviceBytes = 0;
      }
      if (!leaving.empty()) deviceOf(m).emptyCache();
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

  // A handle ended: Sequential unloads, pending unloads happen now.
  void release(std::size_t index) {
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
    flush();
  }
};

// ---------------------------------------------------------------------------

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

torch::jit::Module& ModelHandle::component(const std::string& name) {
  if (!manager_) throw ModelError("model handle: empty");
  auto& impl = *manager_->impl_;
  Model& m = *impl.models[index_];
  std::size_t found = m.comps.size();
  for (std::size_t i = 0; i < m.comps.size(); ++i)
    if (m.comps[i].spec->name == name) found = i;
  if (found == m.comps.size())
    throw ModelError("model " + m.name + ": no component \"" + name + "\"");
  impl.arrange(index_,
               [&](std::vector<std::size_t>& entering, std::vector<std::size_t>&) {
                 if (m.comps[found].where != Where::Device) entering.push_back(found);
               },
               {});
  return *m.comps[found].module;
}

std::string ModelHandle::device() const {
  if (!manager_) return {};
  auto& impl = *manager_->impl_;
  std::lock_guard<std::mutex> lock(impl.mutex);
  return impl.deviceOf(*impl.models[index_]).torchDevice();
}

bool ModelHandle::half() const {
  if (!manager_) return false;
  auto& impl = *manager_->impl_;
  std::lock_guard<std::mutex> lock(impl.mutex);
  const Model& m = *impl.models[index_];
  return m.half && !m.fallback;
}

void ModelHandle::run(const std::function<void()>& fn) {
  if (!manager_) throw ModelError("model handle: empty");
  auto& impl = *manager_->impl_;
  Model& m = *impl.models[index_];
  const std::uint64_t runBytes = m.package.manifest.estimatedRunBytes;
  auto attempt = [&] {
    DeviceBackend* dev;
    {
      std::lock_guard<std::mutex> lock(impl.mutex);
      dev = &impl.deviceOf(m);
    }
    dev->beginRun(runBytes);
    try {
      translateOutOfMemory(fn);
    } catch (...) {
      dev->endRun(runBytes);
      throw;
    }
    dev->endRun(runBytes);
  };
  try {
    attempt();
    return;
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
    impl.backend->emptyCache();
  }
  try {
    attempt();
    return;
  } catch (const OutOfMemoryError& e) {
    bool onCpu;
    {
      std::lock_guard<std::mutex> lock(impl.mutex);
      onCpu = impl.deviceOf(m).isCpu();
    }
    if (!m.package.manifest.cpuFallbackAllowed || onCpu)
      throw OutOfMemoryError("model " + m.name + ": out of memory while running on " +
                             impl.backend->name() +
                             " after unloading every other model: " + e.what());
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
}

// ---------------------------------------------------------------------------

ModelManager::ModelManager(ManagerConfig config, std::shared_ptr<DeviceBackend> backend)
    : impl_(std::make_unique<Impl>()) {
  impl_->cfg = std::move(config);
  impl_->backend = backend ? std::move(backend) : makeBackend(impl_->cfg.device);
  impl_->cpu = std::make_shared<CpuBackend>();
  impl_->hostTotal = hostMemory().total;
}

ModelManager::~ModelManager() {
  try {
    unloadAll();
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

ModelHandle ModelManager::acquire(ModelRole role) {
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
  impl_->ensure(index, true);
  return ModelHandle(this, index);
}

std::size_t ModelManager::Impl::indexOf(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex);
  for (std::size_t i = 0; i < models.size(); ++i) {
    if (models[i]->name == name) return i;
  }
  throw ModelError("no model package named \"" + name + "\"");
}

ModelHandle ModelManager::acquire(const std::string& name) {
  const std::size_t index = impl_->indexOf(name);
  impl_->ensure(index, true);
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
  impl_->backend->emptyCache();
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
  {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    const double idle = impl_->cfg.idleUnloadSeconds;
    if (idle <= 0.0 || impl_->cfg.policy == Policy::Sequential) return;
    const auto now = Clock::now();
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
    s.deviceName = impl_->backend->name();
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
      const bool sharesHost = m.fallback || impl_->backend->sharesHostMemory();
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
      if (st.state == ModelState::Resident) st.device = impl_->deviceOf(m).name();
      s.modelDeviceBytes += st.deviceBytes;
      s.modelHostBytes += st.hostBytes;
      s.models.push_back(std::move(st));
    }
  }
  s.device = impl_->backend->memory();
  s.hostRss = processRssBytes();
  return s;
}

std::vector<std::string> ModelManager::modelNames() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  std::vector<std::string> names;
  for (const auto& m : impl_->models) names.push_back(m->name);
  return names;
}

void ModelManager::resetPeak() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->peak = impl_->primaryDeviceBytes();
}

const ManagerConfig& ModelManager::config() const {
  return impl_->cfg;
}

DeviceBackend& ModelManager::backend() {
  return *impl_->backend;
}

}  // namespace h3d
