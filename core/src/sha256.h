#pragma once
// SHA-256 (FIPS 180-4), written for this project: incremental, no dependencies.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace h3d::detail {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  std::array<std::uint8_t, 32> finish();
  std::string finishHex();

 private:
  void blocks(const std::uint8_t* p, std::size_t count);
  void block(const std::uint8_t* p);
  std::array<std::uint32_t, 8> h_{};
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t totalBytes_ = 0;
};

std::string sha256Hex(const void* data, std::size_t size);
// Whether the x86 SHA extensions are used (else the portable code).
bool sha256Accelerated();
// Forces the portable code (tests compare both).
void sha256ForcePortable(bool on);

}  // namespace h3d::detail
