// A ReadAdapterInterface over a read-only memory map: the archive reader
// copies each record straight out of the page cache.
#include "torchscript_load.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <caffe2/serialize/read_adapter_interface.h>

#include <cstring>
#include <memory>

#include "h3dpart/errors.h"

namespace h3d::detail {

namespace {

class MappedFile : public caffe2::serialize::ReadAdapterInterface {
 public:
  explicit MappedFile(const std::filesystem::path& file) {
    fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw InputError(file.string(), std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      const int err = errno;
      ::close(fd_);
      throw InputError(file.string(), std::strerror(err));
    }
    size_ = std::size_t(st.st_size);
    if (size_ > 0) {
      data_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
      if (data_ == MAP_FAILED) {
        data_ = nullptr;
        const int err = errno;
        ::close(fd_);
        throw InputError(file.string(), std::strerror(err));
      }
      ::madvise(data_, size_, MADV_SEQUENTIAL | MADV_WILLNEED);
    }
  }
  ~MappedFile() override {
    if (data_) ::munmap(data_, size_);
    if (fd_ >= 0) ::close(fd_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::size_t size() const override { return size_; }
  std::size_t read(std::uint64_t pos, void* buf, std::size_t n, const char*) const override {
    if (pos >= size_) return 0;
    const std::size_t count = std::min<std::size_t>(n, size_ - std::size_t(pos));
    std::memcpy(buf, static_cast<const char*>(data_) + pos, count);
    return count;
  }

 private:
  int fd_ = -1;
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace

torch::jit::Module loadTorchScript(const std::filesystem::path& file) {
  auto adapter = std::make_shared<MappedFile>(file);
  return torch::jit::load(std::shared_ptr<caffe2::serialize::ReadAdapterInterface>(adapter),
                          torch::kCPU);
}

}  // namespace h3d::detail
