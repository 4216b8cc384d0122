// Running components with LibTorch: loading (memory-mapped TorchScript and
// the contract's dry run), moving weights between host and device, running.
#include "h3dpart/torch_executor.h"

#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include <cstring>
#include <optional>
#include <unordered_set>

#include "h3dpart/errors.h"
#include "h3dpart/memory_probe.h"
#include "h3dpart/model_package.h"
#include "torch_detail.h"
#include "torchscript_load.h"

namespace h3d {

using runner_detail::torchMessage;

struct TorchExecutor::Component {
  std::string package;
  std::string file;
  std::optional<torch::jit::Module> module;
  std::vector<torch::Tensor> slots;  // the module's parameters and buffers
  std::vector<torch::Tensor> host;   // separate host copies (devices that do not share host memory)
  DeviceBackend* device = nullptr;   // where the weights are now; null: host
  std::uint64_t deviceBytes = 0;
};

TorchExecutor::TorchExecutor(std::shared_ptr<DeviceBackend> backend)
    : backend_(std::move(backend)), cpu_(std::make_shared<CpuBackend>()) {}

TorchExecutor::~TorchExecutor() = default;

std::string TorchExecutor::deviceName() const {
  return backend_->name();
}
bool TorchExecutor::deviceIsCpu() const {
  return backend_->isCpu();
}
bool TorchExecutor::deviceSharesHost() const {
  return backend_->sharesHostMemory();
}
bool TorchExecutor::supportsHalf() const {
  return backend_->supportsHalf();
}

TorchExecutor::Component& TorchExecutor::find(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = components_.find(id);
  if (it == components_.end()) throw RunnerError("no loaded component " + std::to_string(id));
  return *it->second;
}

LoadedComponent TorchExecutor::load(const std::filesystem::path& folder,
                                    const std::string& component, const std::atomic<bool>*) {
  // The manager checked the hashes when it registered the package.
  const ModelPackage package = readPackage(folder, false);
  const PackageManifest& mf = package.manifest;
  const ComponentSpec* spec = mf.component(component);
  if (!spec) throw ModelError("model package " + mf.name + ": no component \"" + component + "\"");
  const std::filesystem::path file = folder / spec->file;
  torch::jit::Module module;
  try {
    module = loadTorchScript(file);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw ModelError(packageErrorMessage(mf.name, spec->file, "torchscript load", torchMessage(e)));
  }
  module.eval();
  runner_detail::dryRun(mf, *spec, module);
  auto c = std::make_unique<Component>();
  c->package = mf.name;
  c->file = spec->file;
  std::unordered_set<const void*> seen;
  std::uint64_t bytes = 0;
  auto collect = [&](const torch::Tensor& t) {
    if (!t.defined() || !seen.insert(t.unsafeGetTensorImpl()).second) return;
    c->slots.push_back(t);
    bytes += std::uint64_t(t.numel()) * t.element_size();
  };
  for (const auto& p : module.parameters(true)) collect(p);
  for (const auto& b : module.buffers(true)) collect(b);
  if (!backend_->sharesHostMemory()) {
    torch::NoGradGuard noGrad;
    for (auto& t : c->slots) {
      auto copy = backend_->pinsHostCopies() ? t.pin_memory() : t;
      t.set_data(copy);
      c->host.push_back(copy);
    }
  }
  c->module = std::move(module);
  std::lock_guard<std::mutex> lock(mutex_);
  const std::uint64_t id = next_++;
  components_[id] = std::move(c);
  return {id, bytes};
}

std::uint64_t TorchExecutor::toDevice(std::uint64_t id, bool cpuFallback, bool half) {
  Component& c = find(id);
  DeviceBackend& dev = cpuFallback ? *cpu_ : *backend_;
  if (c.device) toHost(id);
  std::uint64_t bytes = 0;
  const auto& source = dev.sharesHostMemory() || c.host.empty() ? c.slots : c.host;
  for (const auto& t : source) {
    const bool toHalf = half && t.is_floating_point();
    bytes += std::uint64_t(t.numel()) * (toHalf ? 2u : t.element_size());
  }
  dev.activate();
  dev.reserveWeights(bytes);
  if (!dev.sharesHostMemory()) {
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
  } else if (!c.host.empty()) {
    // The CPU (fallback) runs the host copies themselves.
    for (std::size_t i = 0; i < c.slots.size(); ++i) c.slots[i].set_data(c.host[i]);
  }
  c.device = &dev;
  c.deviceBytes = bytes;
  return bytes;
}

void TorchExecutor::toHost(std::uint64_t id) {
  Component& c = find(id);
  if (!c.device) return;
  if (!c.device->sharesHostMemory() && !c.host.empty())
    for (std::size_t i = 0; i < c.slots.size(); ++i) c.slots[i].set_data(c.host[i]);
  c.device->releaseWeights(c.deviceBytes);
  c.device = nullptr;
  c.deviceBytes = 0;
}

void TorchExecutor::drop(std::uint64_t id) {
  std::unique_ptr<Component> gone;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = components_.find(id);
    if (it == components_.end()) return;
    gone = std::move(it->second);
    components_.erase(it);
  }
  if (gone->device) gone->device->releaseWeights(gone->deviceBytes);
}

std::vector<Tensor> TorchExecutor::run(const RunRequest& request) {
  Component& c = find(request.component);
  if (!c.device) throw RunnerError("component " + c.file + " is not on a device");
  DeviceBackend& dev = *c.device;
  std::vector<Tensor> outputs;
  dev.beginRun(request.runBytes);
  try {
    translateOutOfMemory([&] {
      c10::InferenceMode guard;
      torch::jit::GraphOptimizerEnabledGuard noOpt(false);
      const torch::Device device(dev.torchDevice());
      std::vector<torch::jit::IValue> inputs;
      for (const auto& t : request.inputs) {
        auto view =
            torch::from_blob(const_cast<void*>(t.raw()), t.shape(),
                             torch::TensorOptions().dtype(runner_detail::scalarTypeOf(t.dtype())));
        inputs.emplace_back(view.to(device));
      }
      torch::jit::IValue out;
      try {
        out = c.module->forward(inputs);
      } catch (const c10::Error& e) {
        const std::string text = e.what_without_backtrace();
        if (isOutOfMemoryMessage(text)) throw;
        throw ModelError(torchMessage(e));
      }
      std::vector<torch::Tensor> results;
      if (out.isTensor()) {
        results.push_back(out.toTensor());
      } else if (out.isTuple()) {
        for (const auto& v : out.toTupleRef().elements()) {
          if (!v.isTensor())
            throw ModelError(c.file + ": forward returned a tuple with a non-tensor");
          results.push_back(v.toTensor());
        }
      } else {
        throw ModelError(c.file + ": forward returned neither a tensor nor a tuple");
      }
      for (auto& r : results) {
        torch::Tensor host = r.to(torch::kCPU);
        if (host.is_floating_point()) host = host.to(torch::kFloat32);
        host = host.contiguous();
        DType dtype;
        if (!runner_detail::dtypeOf(host.scalar_type(), dtype))
          throw ModelError(c.file + ": an output of an unsupported dtype");
        Tensor t = Tensor::make(
            dtype, std::vector<std::int64_t>(host.sizes().begin(), host.sizes().end()));
        if (t.bytes()) std::memcpy(t.raw(), host.data_ptr(), t.bytes());
        outputs.push_back(std::move(t));
      }
    });
  } catch (const c10::Error& e) {
    dev.endRun(request.runBytes);
    throw ModelError(torchMessage(e));
  } catch (...) {
    dev.endRun(request.runBytes);
    throw;
  }
  dev.endRun(request.runBytes);
  return outputs;
}

void TorchExecutor::emptyCache() {
  backend_->emptyCache();
  cpu_->emptyCache();
}

DeviceMemory TorchExecutor::memory() const {
  return backend_->memory();
}

std::uint64_t TorchExecutor::freeForPlanning() {
  return backend_->freeForPlanning();
}

std::shared_ptr<TorchExecutor> makeTorchExecutor(const std::string& device) {
  return std::make_shared<TorchExecutor>(makeBackend(device));
}

}  // namespace h3d
