#include "h3dpart/digest.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <new>

namespace h3d::detail {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw std::bad_alloc();
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_);
}

void Sha256::update(const void* data, std::size_t size) {
  if (size > 0 && EVP_DigestUpdate(ctx_, data, size) != 1) throw std::bad_alloc();
}

std::string Sha256::finishHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_, digest, &length) != 1) throw std::bad_alloc();
  static const char* const kHex = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xF];
  }
  return hex;
}

std::string sha256Hex(const void* data, std::size_t size) {
  Sha256 h;
  h.update(data, size);
  return h.finishHex();
}

std::uint32_t crc32(const void* data, std::size_t size) {
  return std::uint32_t(::crc32_z(0L, static_cast<const Bytef*>(data), size));
}

}  // namespace h3d::detail
