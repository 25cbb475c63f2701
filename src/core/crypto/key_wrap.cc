#include "core/crypto/key_wrap.h"

#include "core/crypto/algorithms.h"

#include <openssl/evp.h>

#include <memory>

#include "core/crypto/encoding.h"

namespace kura::crypto {
namespace {

constexpr size_t kKekSize = 32;
// RFC 5649: the wrapped form is at least one 64-bit AIV block plus one data
// block, and always a multiple of 8 bytes.
constexpr size_t kMinWrappedSize = 16;

using internal::CipherCtx;

struct CipherFree {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
using Cipher = std::unique_ptr<EVP_CIPHER, CipherFree>;

Result<CipherCtx> NewWrapCtx(const SecretBytes& kek, bool encrypt) {
  Cipher cipher(EVP_CIPHER_fetch(nullptr, "AES-256-WRAP-PAD", nullptr));
  if (!cipher) return InternalError("key wrap: AES-256-WRAP-PAD unavailable");
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return InternalError("key wrap: out of memory");
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_CipherInit_ex2(ctx.get(), cipher.get(), kek.data(), nullptr, encrypt ? 1 : 0, nullptr) !=
      1) {
    return InternalError("key wrap: init failed");
  }
  return ctx;
}

}  // namespace

Result<std::string> WrapKey(const SecretBytes& kek, const SecretBytes& key) {
  if (kek.size() != kKekSize) return InvalidArgumentError("key wrap: KEK must be 32 bytes");
  if (key.empty()) return InvalidArgumentError("key wrap: key is empty");
  if (key.size() > kMaxWrapKeySize) return InvalidArgumentError("key wrap: key too large");
  ASSIGN_OR_RETURN(CipherCtx ctx, NewWrapCtx(kek, /*encrypt=*/true));
  std::string out((key.size() + 7) / 8 * 8 + 8, '\0');
  int len = 0;
  if (EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, key.data(),
                       static_cast<int>(key.size())) != 1) {
    return InternalError("key wrap: wrap failed");
  }
  size_t written = static_cast<size_t>(len);
  if (EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + written,
                         &len) != 1) {
    return InternalError("key wrap: wrap failed");
  }
  written += static_cast<size_t>(len);
  out.resize(written);
  return out;
}

Result<SecretBytes> UnwrapKey(const SecretBytes& kek, std::string_view wrapped) {
  if (kek.size() != kKekSize) return InvalidArgumentError("key wrap: KEK must be 32 bytes");
  if (wrapped.size() < kMinWrappedSize || wrapped.size() % 8 != 0 ||
      wrapped.size() > kMaxWrapKeySize + 8) {
    return InvalidArgumentError("key wrap: malformed wrapped key");
  }
  ASSIGN_OR_RETURN(CipherCtx ctx, NewWrapCtx(kek, /*encrypt=*/false));
  SecretBytes out(wrapped.size());
  int len = 0;
  // The only failure mode left for well-formed input is the RFC 5649
  // integrity check (AIV / padding), i.e. a wrong KEK or modified bytes.
  if (EVP_CipherUpdate(ctx.get(), out.data(), &len,
                       reinterpret_cast<const unsigned char*>(wrapped.data()),
                       static_cast<int>(wrapped.size())) != 1 ||
      len <= 0) {
    return DataLossError("key wrap: integrity check failed");
  }
  size_t written = static_cast<size_t>(len);
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + written, &len) != 1) {
    return DataLossError("key wrap: integrity check failed");
  }
  written += static_cast<size_t>(len);
  out.Resize(written);
  return out;
}

Result<std::string> KeyCheckValue(const SecretBytes& key) {
  if (key.size() != kKekSize) return InvalidArgumentError("kcv: key must be 32 bytes");
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return InternalError("kcv: out of memory");
  if (EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_ecb(), key.data(), nullptr, nullptr) != 1) {
    return InternalError("kcv: init failed");
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  const unsigned char zero[16] = {};
  unsigned char block[16 + 16];
  int len = 0;
  if (EVP_EncryptUpdate(ctx.get(), block, &len, zero, sizeof(zero)) != 1 || len != 16) {
    return InternalError("kcv: encrypt failed");
  }
  std::string kcv = HexEncode(std::span<const uint8_t>(block, 3));
  SecureZero(block, sizeof(block));
  return kcv;
}

}  // namespace kura::crypto
