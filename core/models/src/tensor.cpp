// Tensors in shared memory (memfd + mmap).
#include "h3dpart/tensor.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "h3dpart/errors.h"

namespace h3d {

namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  std::size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::Float32, "float32", 4},   {DType::Float16, "float16", 2},
    {DType::BFloat16, "bfloat16", 2}, {DType::Float64, "float64", 8},
    {DType::Int64, "int64", 8},       {DType::Int32, "int32", 4},
    {DType::Int16, "int16", 2},       {DType::Int8, "int8", 1},
    {DType::UInt8, "uint8", 1},       {DType::Bool, "bool", 1},
};

const DTypeInfo& info(DType d) {
  for (const auto& i : kDTypes)
    if (i.dtype == d) return i;
  return kDTypes[0];
}

}  // namespace

std::size_t dtypeSize(DType dtype) {
  return info(dtype).size;
}

std::string dtypeName(DType dtype) {
  return info(dtype).name;
}

bool parseDType(const std::string& name, DType& out) {
  for (const auto& i : kDTypes)
    if (name == i.name) {
      out = i.dtype;
      return true;
    }
  return false;
}

std::shared_ptr<TensorBuffer> TensorBuffer::shared(std::size_t bytes) {
  const int fd = ::memfd_create("h3dpart-tensor", MFD_CLOEXEC);
  if (fd < 0) throw OutOfMemoryError(std::string("host: memfd_create: ") + std::strerror(errno));
  const std::size_t length = bytes ? bytes : 1;
  if (::ftruncate(fd, static_cast<off_t>(length)) != 0) {
    const int err = errno;
    ::close(fd);
    throw OutOfMemoryError(std::string("host: shared memory of ") + std::to_string(bytes) +
                           " bytes: " + std::strerror(err));
  }
  return adopt(fd, bytes);
}

std::shared_ptr<TensorBuffer> TensorBuffer::adopt(int fd, std::size_t bytes) {
  std::shared_ptr<TensorBuffer> b(new TensorBuffer);
  b->fd_ = fd;
  b->size_ = bytes;
  b->mapped_ = bytes ? bytes : 1;
  void* p = ::mmap(nullptr, b->mapped_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    throw OutOfMemoryError(std::string("host: mmap of a shared tensor of ") +
                           std::to_string(bytes) + " bytes: " + std::strerror(errno));
  b->data_ = p;
  return b;
}

TensorBuffer::~TensorBuffer() {
  if (data_) ::munmap(data_, mapped_);
  if (fd_ >= 0) ::close(fd_);
}

Tensor Tensor::make(DType dtype, std::vector<std::int64_t> shape) {
  std::size_t n = 1;
  for (auto s : shape) {
    if (s < 0) throw UsageError("tensor: negative dimension");
    n *= static_cast<std::size_t>(s);
  }
  return Tensor(dtype, std::move(shape), TensorBuffer::shared(n * dtypeSize(dtype)));
}

Tensor::Tensor(DType dtype, std::vector<std::int64_t> shape, std::shared_ptr<TensorBuffer> buffer,
               std::size_t offset)
    : dtype_(dtype), shape_(std::move(shape)), buffer_(std::move(buffer)), offset_(offset) {
  if (!buffer_) throw UsageError("tensor: no buffer");
  for (auto s : shape_)
    if (s < 0) throw UsageError("tensor: negative dimension");
  if (offset_ + bytes() > buffer_->size())
    throw UsageError("tensor " + describe() + ": larger than its buffer (" +
                     std::to_string(buffer_->size()) + " bytes)");
}

std::int64_t Tensor::numel() const {
  std::int64_t n = 1;
  for (auto s : shape_) n *= s;
  return n;
}

std::string Tensor::describe() const {
  std::string s = "[";
  for (std::size_t i = 0; i < shape_.size(); ++i) s += (i ? ", " : "") + std::to_string(shape_[i]);
  return s + "] " + dtypeName(dtype_);
}

}  // namespace h3d
