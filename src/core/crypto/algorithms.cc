#include "core/crypto/algorithms.h"

#include <cstdlib>

namespace kura::crypto::internal {
namespace {

template <typename T>
T* OrAbort(T* p) {
  if (p == nullptr) std::abort();
  return p;
}

}  // namespace

const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = OrAbort(EVP_MD_fetch(nullptr, "SHA2-256", nullptr));
  return md;
}

EVP_MAC* HmacMac() {
  static EVP_MAC* const mac = OrAbort(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  return mac;
}

const EVP_CIPHER* Aes256GcmCipher() {
  static const EVP_CIPHER* const cipher =
      OrAbort(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
  return cipher;
}

}  // namespace kura::crypto::internal
