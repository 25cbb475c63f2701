#include "core/base/secret.h"

#include <openssl/crypto.h>

namespace kura {

void SecureZero(void* data, size_t size) {
  if (data != nullptr && size > 0) OPENSSL_cleanse(data, size);
}

void SecretBytes::Wipe() {
  SecureZero(bytes_.data(), bytes_.capacity() > 0 ? bytes_.size() : 0);
  bytes_.clear();
  bytes_.shrink_to_fit();
}

void SecretBytes::Resize(size_t n) {
  std::vector<uint8_t> next(n, 0);
  for (size_t i = 0; i < n && i < bytes_.size(); ++i) next[i] = bytes_[i];
  Wipe();
  bytes_ = std::move(next);
}

}  // namespace kura
