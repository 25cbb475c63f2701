#include "core/crypto/block_cipher.h"

#include "core/crypto/aead.h"
#include "core/crypto/algorithms.h"

#include <openssl/evp.h>

#include <mutex>
#include <string>

namespace kura::crypto {

using internal::CipherCtx;

struct Aes256Block::Impl {
  // An EVP context must not be used by two threads at once; one block is a
  // few dozen nanoseconds, so a lock is cheaper than a context per call.
  std::mutex mu;
  CipherCtx enc;  // GUARDED_BY(mu)
  CipherCtx dec;  // GUARDED_BY(mu)
};

namespace {

// A context for `key` in one direction, or null.
CipherCtx Prepare(const SecretBytes& key, bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr ||
      EVP_CipherInit_ex(ctx.get(), EVP_aes_256_ecb(), nullptr, key.data(), nullptr,
                        encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    return nullptr;
  }
  return ctx;
}

// One block through `ctx` (prepared by Prepare; the caller holds the lock).
Result<Block128> Apply(EVP_CIPHER_CTX* ctx, const Block128& in) {
  Block128 out{};
  int len = 0;
  if (EVP_CipherUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(in.size())) != 1 ||
      len != static_cast<int>(out.size())) {
    return InternalError("aes block: cipher failed");
  }
  return out;
}

}  // namespace

Result<Aes256Block> Aes256Block::Create(const SecretBytes& key) {
  if (key.size() != kAes256KeySize) {
    return InvalidArgumentError("aes block: key must be " + std::to_string(kAes256KeySize) +
                                " bytes");
  }
  auto impl = std::make_unique<Impl>();
  impl->enc = Prepare(key, true);
  impl->dec = Prepare(key, false);
  if (impl->enc == nullptr || impl->dec == nullptr) {
    return InternalError("aes block: cannot prepare cipher");
  }
  return Aes256Block(std::move(impl));
}

Aes256Block::Aes256Block(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Aes256Block::Aes256Block(Aes256Block&&) noexcept = default;
Aes256Block& Aes256Block::operator=(Aes256Block&&) noexcept = default;
Aes256Block::~Aes256Block() = default;

Result<Block128> Aes256Block::Encrypt(const Block128& in) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return Apply(impl_->enc.get(), in);
}

Result<Block128> Aes256Block::Decrypt(const Block128& in) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return Apply(impl_->dec.get(), in);
}

}  // namespace kura::crypto
