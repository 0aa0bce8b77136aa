// MD5 digests through OpenSSL's EVP interface (the module hash needs MD5 and nothing else).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include <openssl/types.h>

namespace nas::bench {

/// One reusable MD5 context: the module hash of a cell takes up to 57 digests, so the context and
/// the algorithm are looked up once, not per digest. Not thread-safe; use one per thread.
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  std::array<std::uint8_t, 16> digest(const void* data, std::size_t size);

 private:
  EVP_MD_CTX* context_ = nullptr;
  EVP_MD* algorithm_ = nullptr;  // fetched (owned) under OpenSSL 3
};

}  // namespace nas::bench
