#include "core/crypto/aead.h"

#include "core/crypto/algorithms.h"

#include <openssl/evp.h>

#include <memory>

namespace kura::crypto {
namespace {

using internal::CipherCtx;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// OpenSSL's update length is an int; refuse anything larger rather than
// truncate.
constexpr size_t kMaxChunk = 0x7fffffff - kGcmTagSize - kGcmNonceSize;

// An AES-256-GCM context with `key` set up (the schedule stays in it; each
// use sets only its nonce). kInvalidArgument for a key that is not 32 bytes.
Result<CipherCtx> KeyedContext(const SecretBytes& key, bool encrypt) {
  if (key.size() != kAes256KeySize) return InvalidArgumentError("aes-gcm: key must be 32 bytes");
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return InternalError("aes-gcm: out of memory");
  if (EVP_CipherInit_ex2(ctx.get(), internal::Aes256GcmCipher(), key.data(), nullptr,
                         encrypt ? 1 : 0, nullptr) != 1) {
    return InternalError("aes-gcm: init failed");
  }
  return ctx;
}

}  // namespace

struct AesGcmSealer::Impl {
  CipherCtx ctx;
};

AesGcmSealer::AesGcmSealer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AesGcmSealer::AesGcmSealer(AesGcmSealer&&) noexcept = default;
AesGcmSealer& AesGcmSealer::operator=(AesGcmSealer&&) noexcept = default;
AesGcmSealer::~AesGcmSealer() = default;

Result<AesGcmSealer> AesGcmSealer::Create(const SecretBytes& key) {
  ASSIGN_OR_RETURN(CipherCtx ctx, KeyedContext(key, /*encrypt=*/true));
  auto impl = std::make_unique<Impl>();
  impl->ctx = std::move(ctx);
  return AesGcmSealer(std::move(impl));
}

Result<std::string> AesGcmSealer::Seal(Random& random, std::string_view plaintext,
                                       std::string_view aad) {
  if (plaintext.size() > kMaxChunk || aad.size() > kMaxChunk) {
    return InvalidArgumentError("aes-gcm: input too large");
  }
  std::string out(kGcmNonceSize + plaintext.size() + kGcmTagSize, '\0');
  auto* base = reinterpret_cast<unsigned char*>(out.data());
  if (!random.Fill({base, kGcmNonceSize}).ok()) {
    return InternalError("aes-gcm: random source failed");
  }
  EVP_CIPHER_CTX* ctx = impl_->ctx.get();
  int len = 0;
  // Key already set: only the nonce changes.
  if (EVP_EncryptInit_ex2(ctx, nullptr, nullptr, base, nullptr) != 1) {
    return InternalError("aes-gcm: init failed");
  }
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1) {
    return InternalError("aes-gcm: aad failed");
  }
  unsigned char* ct = base + kGcmNonceSize;
  int written = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx, ct, &len, Bytes(plaintext), static_cast<int>(plaintext.size())) !=
        1) {
      return InternalError("aes-gcm: encrypt failed");
    }
    written = len;
  }
  if (EVP_EncryptFinal_ex(ctx, ct + written, &len) != 1) {
    return InternalError("aes-gcm: final failed");
  }
  written += len;
  if (static_cast<size_t>(written) != plaintext.size()) {
    return InternalError("aes-gcm: unexpected ciphertext length");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagSize),
                          ct + plaintext.size()) != 1) {
    return InternalError("aes-gcm: tag failed");
  }
  return out;
}

Result<std::string> AesGcmSeal(const SecretBytes& key, Random& random, std::string_view plaintext,
                               std::string_view aad) {
  ASSIGN_OR_RETURN(AesGcmSealer sealer, AesGcmSealer::Create(key));
  return sealer.Seal(random, plaintext, aad);
}

struct AesGcmOpener::Impl {
  CipherCtx ctx;
};

AesGcmOpener::AesGcmOpener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AesGcmOpener::AesGcmOpener(AesGcmOpener&&) noexcept = default;
AesGcmOpener& AesGcmOpener::operator=(AesGcmOpener&&) noexcept = default;
AesGcmOpener::~AesGcmOpener() = default;

Result<AesGcmOpener> AesGcmOpener::Create(const SecretBytes& key) {
  ASSIGN_OR_RETURN(CipherCtx ctx, KeyedContext(key, /*encrypt=*/false));
  auto impl = std::make_unique<Impl>();
  impl->ctx = std::move(ctx);
  return AesGcmOpener(std::move(impl));
}

Result<SecretBytes> AesGcmOpener::Open(std::string_view sealed, std::string_view aad) {
  if (sealed.size() < kGcmNonceSize + kGcmTagSize) {
    return InvalidArgumentError("aes-gcm: sealed input too short");
  }
  if (sealed.size() > kMaxChunk || aad.size() > kMaxChunk) {
    return InvalidArgumentError("aes-gcm: input too large");
  }
  const std::string_view nonce = sealed.substr(0, kGcmNonceSize);
  const std::string_view ct =
      sealed.substr(kGcmNonceSize, sealed.size() - kGcmNonceSize - kGcmTagSize);
  // EVP_CTRL_GCM_SET_TAG takes a non-const pointer; copy the tag out.
  unsigned char tag[kGcmTagSize];
  const std::string_view tag_view = sealed.substr(sealed.size() - kGcmTagSize);
  std::copy(tag_view.begin(), tag_view.end(), tag);

  EVP_CIPHER_CTX* ctx = impl_->ctx.get();
  int len = 0;
  // Key already set: only the nonce changes.
  if (EVP_DecryptInit_ex2(ctx, nullptr, nullptr, Bytes(nonce), nullptr) != 1) {
    return InternalError("aes-gcm: init failed");
  }
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1) {
    return InternalError("aes-gcm: aad failed");
  }
  // Plaintext goes straight into SecretBytes so an authentication failure
  // leaves nothing behind: the buffer is zeroized when it goes out of scope.
  SecretBytes plain(ct.size());
  int written = 0;
  if (!ct.empty()) {
    if (EVP_DecryptUpdate(ctx, plain.data(), &len, Bytes(ct), static_cast<int>(ct.size())) != 1) {
      return InternalError("aes-gcm: decrypt failed");
    }
    written = len;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagSize), tag) != 1) {
    return InternalError("aes-gcm: set tag failed");
  }
  // A zero-length plaintext still needs a valid output pointer for Final.
  unsigned char scratch[16];
  unsigned char* final_out = ct.empty() ? scratch : plain.data() + written;
  if (EVP_DecryptFinal_ex(ctx, final_out, &len) != 1) {
    return DataLossError("aes-gcm: authentication failed");
  }
  return plain;
}

Result<SecretBytes> AesGcmOpen(const SecretBytes& key, std::string_view sealed,
                               std::string_view aad) {
  ASSIGN_OR_RETURN(AesGcmOpener opener, AesGcmOpener::Create(key));
  return opener.Open(sealed, aad);
}

}  // namespace kura::crypto
