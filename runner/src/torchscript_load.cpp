// Loads TorchScript archives without copying the weights: the archive is
// memory-mapped, and the tensor storages the reader allocated are pointed at
// the mapped records instead (PyTorch stores tensor records uncompressed and
// 64-byte aligned). The reader's own buffers for those records are never
// written, so they never become resident. When anything does not match
// (a large record that is not a module tensor), the file is loaded again the
// ordinary way, copying.
#include "torchscript_load.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <caffe2/serialize/read_adapter_interface.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_set>

#include "h3dpart/errors.h"

namespace h3d::detail {

namespace {

// Records at least this large are candidates for zero-copy.
constexpr std::size_t kZeroCopyMin = 1 << 16;

struct Mapping {
  void* data = nullptr;
  std::size_t size = 0;
  ~Mapping() {
    if (data) ::munmap(data, size);
  }
};

std::shared_ptr<Mapping> mapFile(const std::filesystem::path& file, bool populate) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(file.string(), std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw InputError(file.string(), std::strerror(err));
  }
  auto m = std::make_shared<Mapping>();
  m->size = std::size_t(st.st_size);
  if (m->size > 0) {
    // Mapped read-only first, so that populating maps the page cache's pages
    // (a writable private mapping would copy every page); then writable:
    // weights written in place get private copies of their pages, never the file.
    void* p =
        ::mmap(nullptr, m->size, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw InputError(file.string(), std::strerror(err));
    }
    m->data = p;
    if (::mprotect(p, m->size, PROT_READ | PROT_WRITE) != 0) {
      const int err = errno;
      ::close(fd);
      throw InputError(file.string(), std::strerror(err));
    }
  }
  ::close(fd);
  return m;
}

class MappedReader : public caffe2::serialize::ReadAdapterInterface {
 public:
  MappedReader(std::shared_ptr<Mapping> mapping, bool zeroCopy)
      : mapping_(std::move(mapping)), zeroCopy_(zeroCopy) {}

  std::size_t size() const override { return mapping_->size; }
  std::size_t read(std::uint64_t pos, void* buf, std::size_t n, const char*) const override {
    if (pos >= mapping_->size) return 0;
    const std::size_t count = std::min<std::size_t>(n, mapping_->size - std::size_t(pos));
    const char* src = static_cast<const char*>(mapping_->data) + pos;
    if (zeroCopy_ && count >= kZeroCopyMin && (pos % 64) == 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      skipped_[buf] = {std::size_t(pos), count};
      return count;
    }
    std::memcpy(buf, src, count);
    return count;
  }
  // Buffers the reader asked for whose bytes were not copied: buffer -> (offset, size).
  std::map<const void*, std::pair<std::size_t, std::size_t>> skipped() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return skipped_;
  }

 private:
  std::shared_ptr<Mapping> mapping_;
  bool zeroCopy_;
  mutable std::mutex mutex_;
  mutable std::map<const void*, std::pair<std::size_t, std::size_t>> skipped_;
};

void releaseMapping(void* context) {
  delete static_cast<std::shared_ptr<Mapping>*>(context);
}

// Points every skipped storage at the mapping. False when a skipped buffer
// belongs to no tensor of the module (the module is then unusable).
bool adoptMapping(torch::jit::Module& module, const std::shared_ptr<Mapping>& mapping,
                  const std::map<const void*, std::pair<std::size_t, std::size_t>>& skipped) {
  std::vector<c10::StorageImpl*> storages;
  std::unordered_set<const c10::StorageImpl*> seen;
  auto visit = [&](const at::Tensor& t) {
    if (!t.defined() || !t.has_storage()) return;
    auto* s = t.storage().unsafeGetStorageImpl();
    if (seen.insert(s).second) storages.push_back(s);
  };
  for (const auto& p : module.parameters(true)) visit(p);
  for (const auto& b : module.buffers(true)) visit(b);
  for (const auto& a : module.named_attributes(true))
    if (a.value.isTensor()) visit(a.value.toTensor());
  std::size_t matched = 0;
  std::vector<std::pair<c10::StorageImpl*, std::pair<std::size_t, std::size_t>>> plan;
  for (auto* s : storages) {
    auto it = skipped.find(s->data());
    if (it == skipped.end() || it->second.second != s->nbytes()) continue;
    plan.push_back({s, it->second});
    ++matched;
  }
  if (matched != skipped.size()) return false;
  for (auto& [s, where] : plan) {
    char* ptr = static_cast<char*>(mapping->data) + where.first;
    auto* context = new std::shared_ptr<Mapping>(mapping);
    s->set_data_ptr_noswap(at::DataPtr(ptr, context, &releaseMapping, at::Device(at::kCPU)));
  }
  return true;
}

}  // namespace

torch::jit::Module loadTorchScript(const std::filesystem::path& file) {
  // One archive at a time: TorchScript's importer shares type tables between
  // loads (ThreadSanitizer reports races between concurrent imports).
  static std::mutex importMutex;
  std::lock_guard<std::mutex> importLock(importMutex);
  // H3DPART_LOAD_COPY=1: always copy (for packages rewritten in place while
  // loaded: a truncated mapped file would fault on access).
  const char* copy = std::getenv("H3DPART_LOAD_COPY");
  if (!copy || !*copy || *copy == '0') {
    auto mapping = mapFile(file, /*populate=*/true);
    auto reader = std::make_shared<MappedReader>(mapping, /*zeroCopy=*/true);
    std::optional<torch::jit::Module> module;
    try {
      module = torch::jit::load(std::shared_ptr<caffe2::serialize::ReadAdapterInterface>(reader),
                                torch::kCPU);
    } catch (const c10::Error&) {
      module.reset();  // e.g. a reader that checks CRCs: load the ordinary way below
    }
    if (module && adoptMapping(*module, mapping, reader->skipped())) return std::move(*module);
  }
  auto mapping = mapFile(file, /*populate=*/false);
  ::madvise(mapping->data, mapping->size, MADV_SEQUENTIAL);
  auto reader = std::make_shared<MappedReader>(mapping, /*zeroCopy=*/false);
  return torch::jit::load(std::shared_ptr<caffe2::serialize::ReadAdapterInterface>(reader),
                          torch::kCPU);
}

}  // namespace h3d::detail
