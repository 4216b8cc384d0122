#pragma once
// A tensor the front ends can build and read without LibTorch: a dtype, a
// shape and bytes in a buffer. Buffers made by Tensor::make live in shared
// memory (a memfd), so the runner process maps the same pages: a tensor goes
// to the runner and back without being copied through the socket.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace h3d {

enum class DType : std::uint8_t {
  Float32,
  Float16,
  BFloat16,
  Float64,
  Int64,
  Int32,
  Int16,
  Int8,
  UInt8,
  Bool
};

std::size_t dtypeSize(DType dtype);
// The manifest's names: "float32", "int64", ...
std::string dtypeName(DType dtype);
// false when the name is not one of them.
bool parseDType(const std::string& name, DType& out);

// Bytes mapped from a memfd (fd() >= 0) or plain heap bytes (fd() == -1).
class TensorBuffer {
 public:
  // Shared memory of `bytes` (at least one page is mapped).
  static std::shared_ptr<TensorBuffer> shared(std::size_t bytes);
  // Maps `bytes` of the memfd `fd`, taking ownership of it.
  static std::shared_ptr<TensorBuffer> adopt(int fd, std::size_t bytes);
  ~TensorBuffer();
  TensorBuffer(const TensorBuffer&) = delete;
  TensorBuffer& operator=(const TensorBuffer&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  std::size_t size() const { return size_; }
  int fd() const { return fd_; }

 private:
  TensorBuffer() = default;
  void* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;
  int fd_ = -1;
};

class Tensor {
 public:
  Tensor() = default;
  // A zero-filled tensor in shared memory.
  static Tensor make(DType dtype, std::vector<std::int64_t> shape);
  // A view of `buffer` (bytes from `offset`); InputError-free: checks sizes.
  Tensor(DType dtype, std::vector<std::int64_t> shape, std::shared_ptr<TensorBuffer> buffer,
         std::size_t offset = 0);

  bool defined() const { return buffer_ != nullptr; }
  DType dtype() const { return dtype_; }
  const std::vector<std::int64_t>& shape() const { return shape_; }
  std::int64_t dim() const { return static_cast<std::int64_t>(shape_.size()); }
  std::int64_t size(std::int64_t d) const { return shape_.at(static_cast<std::size_t>(d)); }
  std::int64_t numel() const;
  std::size_t bytes() const { return static_cast<std::size_t>(numel()) * dtypeSize(dtype_); }
  void* raw() { return static_cast<char*>(buffer_->data()) + offset_; }
  const void* raw() const { return static_cast<const char*>(buffer_->data()) + offset_; }
  template <class T>
  T* data() {
    return static_cast<T*>(raw());
  }
  template <class T>
  const T* data() const {
    return static_cast<const T*>(raw());
  }
  const std::shared_ptr<TensorBuffer>& buffer() const { return buffer_; }
  std::size_t offset() const { return offset_; }
  // "[2, 3] float32"
  std::string describe() const;

 private:
  DType dtype_ = DType::Float32;
  std::vector<std::int64_t> shape_;
  std::shared_ptr<TensorBuffer> buffer_;
  std::size_t offset_ = 0;
};

}  // namespace h3d
