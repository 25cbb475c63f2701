#include "core/crypto/hash.h"

#include "core/crypto/algorithms.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdlib>
#include <memory>
#include <utility>

namespace kura::crypto {
namespace {

// SHA-256 and HMAC cannot fail for in-memory inputs unless the OpenSSL
// library itself is broken (missing default provider, allocation failure).
// A wrong digest silently returned would corrupt hash chains and MACs, so we
// stop the process instead of continuing with garbage.
void CheckOrDie(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

Digest256 Sha256(std::span<const uint8_t> data) {
  Digest256 out{};
  unsigned int len = 0;
  CheckOrDie(EVP_Digest(data.data(), data.size(), out.data(), &len, internal::Sha256Md(), nullptr) == 1 &&
             len == out.size());
  return out;
}

namespace {

// A new HMAC-SHA-256 context holding `key`.
EVP_MAC_CTX* NewHmacContext(std::span<const uint8_t> key) {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(internal::HmacMac());
  CheckOrDie(ctx != nullptr);
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  // EVP_MAC_init rejects a NULL key pointer even with length 0, so an empty
  // key (legal for HMAC) gets a valid dummy pointer.
  static constexpr uint8_t kEmpty = 0;
  const uint8_t* key_ptr = key.empty() ? &kEmpty : key.data();
  CheckOrDie(EVP_MAC_init(ctx, key_ptr, key.size(), params) == 1);
  return ctx;
}

}  // namespace

Digest256 HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  Digest256 out{};
  EVP_MAC_CTX* ctx = NewHmacContext(key);
  size_t len = 0;
  const bool ok = EVP_MAC_update(ctx, data.data(), data.size()) == 1 &&
                  EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == out.size();
  EVP_MAC_CTX_free(ctx);
  CheckOrDie(ok);
  return out;
}

struct HmacSha256Keyed::Impl {
  EVP_MAC_CTX* ctx = nullptr;
  ~Impl() { EVP_MAC_CTX_free(ctx); }
};

HmacSha256Keyed::HmacSha256Keyed(const SecretBytes& key) : impl_(std::make_unique<Impl>()) {
  impl_->ctx = NewHmacContext(key.span());
}

HmacSha256Keyed::HmacSha256Keyed(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HmacSha256Keyed::~HmacSha256Keyed() = default;

std::unique_ptr<HmacSha256Keyed> HmacSha256Keyed::Clone() const {
  auto impl = std::make_unique<Impl>();
  impl->ctx = EVP_MAC_CTX_dup(impl_->ctx);
  CheckOrDie(impl->ctx != nullptr);
  return std::unique_ptr<HmacSha256Keyed>(new HmacSha256Keyed(std::move(impl)));
}

Digest256 HmacSha256Keyed::Mac(std::string_view data) {
  Digest256 out{};
  size_t len = 0;
  // A NULL key re-initialises the context with the key it already holds.
  CheckOrDie(EVP_MAC_init(impl_->ctx, nullptr, 0, nullptr) == 1 &&
             EVP_MAC_update(impl_->ctx, reinterpret_cast<const uint8_t*>(data.data()),
                            data.size()) == 1 &&
             EVP_MAC_final(impl_->ctx, out.data(), &len, out.size()) == 1 && len == out.size());
  return out;
}

struct Sha256Hasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  CheckOrDie(impl_->ctx != nullptr && EVP_DigestInit_ex(impl_->ctx, internal::Sha256Md(), nullptr) == 1);
}

Sha256Hasher::~Sha256Hasher() = default;

void Sha256Hasher::Update(std::span<const uint8_t> data) {
  CheckOrDie(EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) == 1);
}

void Sha256Hasher::Reset() {
  CheckOrDie(EVP_DigestInit_ex2(impl_->ctx, internal::Sha256Md(), nullptr) == 1);
}

Digest256 Sha256Hasher::Finish() {
  Digest256 out{};
  unsigned int len = 0;
  CheckOrDie(EVP_DigestFinal_ex(impl_->ctx, out.data(), &len) == 1 && len == out.size());
  return out;
}

}  // namespace kura::crypto
