#include "core/crypto/block_cipher.h"

#include <openssl/evp.h>

#include <mutex>

namespace kura::crypto {

struct Aes256Block::Impl {
  // An EVP context must not be used by two threads at once; one block is a
  // few dozen nanoseconds, so a lock is cheaper than a context per call.
  std::mutex mu;
  EVP_CIPHER_CTX* enc = nullptr;  // GUARDED_BY(mu)
  EVP_CIPHER_CTX* dec = nullptr;  // GUARDED_BY(mu)
  ~Impl() {
    EVP_CIPHER_CTX_free(enc);
    EVP_CIPHER_CTX_free(dec);
  }
};

namespace {

EVP_CIPHER_CTX* Prepare(const SecretBytes& key, bool encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return nullptr;
  if (EVP_CipherInit_ex(ctx, EVP_aes_256_ecb(), nullptr, key.data(), nullptr, encrypt ? 1 : 0) !=
          1 ||
      EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
    EVP_CIPHER_CTX_free(ctx);
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
  if (key.size() != 32) return InvalidArgumentError("aes block: key must be 32 bytes");
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
  return Apply(impl_->enc, in);
}

Result<Block128> Aes256Block::Decrypt(const Block128& in) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return Apply(impl_->dec, in);
}

}  // namespace kura::crypto
