// MD5 through OpenSSL EVP (see md5.h).
#include "md5.h"

#include <openssl/evp.h>

#include "nas/benchmark_api/error.h"

namespace nas::bench {

Md5::Md5() : context_(EVP_MD_CTX_new()), algorithm_(EVP_MD_fetch(nullptr, "MD5", nullptr)) {
  if (context_ == nullptr || algorithm_ == nullptr) {
    EVP_MD_CTX_free(context_);
    EVP_MD_free(algorithm_);
    throw Error("OpenSSL provides no MD5 (needed for NAS-Bench-101 module hashes)");
  }
}

Md5::~Md5() {
  EVP_MD_CTX_free(context_);
  EVP_MD_free(algorithm_);
}

std::array<std::uint8_t, 16> Md5::digest(const void* data, std::size_t size) {
  std::array<std::uint8_t, 16> out{};
  unsigned int length = 0;
  if (EVP_DigestInit_ex(context_, algorithm_, nullptr) != 1 || EVP_DigestUpdate(context_, data, size) != 1 ||
      EVP_DigestFinal_ex(context_, out.data(), &length) != 1 || length != out.size()) {
    throw Error("OpenSSL failed to compute an MD5 digest");
  }
  return out;
}

}  // namespace nas::bench
