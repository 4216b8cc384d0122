#pragma once
// SHA-256 through OpenSSL's EVP interface (which uses the CPU's SHA
// instructions where there are any) and CRC-32 through zlib.
#include <cstddef>
#include <cstdint>
#include <string>

struct evp_md_ctx_st;

namespace h3d::detail {

// Incremental SHA-256; the digest as 64 lowercase hex digits.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  std::string finishHex();

 private:
  evp_md_ctx_st* ctx_;
};

std::string sha256Hex(const void* data, std::size_t size);

// CRC-32 (IEEE 802.3, as zlib and PNG).
std::uint32_t crc32(const void* data, std::size_t size);

}  // namespace h3d::detail
