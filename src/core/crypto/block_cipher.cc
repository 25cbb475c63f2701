#include "core/crypto/block_cipher.h"

#include <openssl/evp.h>

namespace kura::crypto {

struct Aes256Block::Impl {
  EVP_CIPHER_CTX* enc = nullptr;
  EVP_CIPHER_CTX* dec = nullptr;
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

// One block through a private copy of `prepared` (EVP contexts must not be
// used by two threads at once).
Result<Block128> Apply(const EVP_CIPHER_CTX* prepared, const Block128& in) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return InternalError("aes block: cannot create context");
  Block128 out{};
  int len = 0;
  const bool ok = EVP_CIPHER_CTX_copy(ctx, prepared) == 1 &&
                  EVP_CipherUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(in.size())) ==
                      1 &&
                  len == static_cast<int>(out.size());
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return InternalError("aes block: cipher failed");
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

Result<Block128> Aes256Block::Encrypt(const Block128& in) const { return Apply(impl_->enc, in); }
Result<Block128> Aes256Block::Decrypt(const Block128& in) const { return Apply(impl_->dec, in); }

}  // namespace kura::crypto
