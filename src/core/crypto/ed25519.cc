#include "core/crypto/ed25519.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

namespace kura::crypto {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// PEM inputs are small; anything larger is not a key.
constexpr size_t kMaxPemBytes = 16 * 1024;

Bio MemBioFrom(std::string_view pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// A null password callback: PEM_read_bio_* must never prompt on a terminal
// for an encrypted key; it simply fails.
int NoPassword(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return -1; }

}  // namespace

struct Ed25519PublicKey::Impl {
  Pkey pkey;
};

struct Ed25519PrivateKey::Impl {
  Pkey pkey;
};

Result<Ed25519PublicKey> Ed25519PublicKey::FromPem(std::string_view pem) {
  if (pem.empty() || pem.size() > kMaxPemBytes) {
    return InvalidArgumentError("ed25519: public key PEM has invalid size");
  }
  Bio bio = MemBioFrom(pem);
  if (!bio) return InternalError("ed25519: out of memory");
  Pkey pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassword, nullptr));
  if (!pkey) return InvalidArgumentError("ed25519: not a PEM public key");
  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_ED25519) {
    return InvalidArgumentError("ed25519: PEM public key is not Ed25519");
  }
  auto impl = std::make_shared<Impl>();
  impl->pkey = std::move(pkey);
  return Ed25519PublicKey(std::move(impl));
}

Result<Ed25519PublicKey> Ed25519PublicKey::FromRaw(std::string_view raw) {
  if (raw.size() != kEd25519PublicKeySize) {
    return InvalidArgumentError("ed25519: raw public key must be 32 bytes");
  }
  Pkey pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                        reinterpret_cast<const unsigned char*>(raw.data()),
                                        raw.size()));
  if (!pkey) return InvalidArgumentError("ed25519: invalid raw public key");
  auto impl = std::make_shared<Impl>();
  impl->pkey = std::move(pkey);
  return Ed25519PublicKey(std::move(impl));
}

std::string Ed25519PublicKey::ToPem() const {
  std::string out;
  if (!impl_->pkey) return out;
  Bio bio(BIO_new(BIO_s_mem()));
  if (bio && PEM_write_bio_PUBKEY(bio.get(), impl_->pkey.get()) == 1) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    if (len > 0 && data != nullptr) out.assign(data, static_cast<size_t>(len));
  }
  return out;
}

std::string Ed25519PublicKey::Raw() const {
  std::string out(kEd25519PublicKeySize, '\0');
  size_t len = out.size();
  if (!impl_->pkey ||
      EVP_PKEY_get_raw_public_key(impl_->pkey.get(), reinterpret_cast<unsigned char*>(out.data()),
                                  &len) != 1 ||
      len != kEd25519PublicKeySize) {
    return {};
  }
  return out;
}

Status Ed25519PublicKey::Verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != kEd25519SignatureSize) {
    return UnauthenticatedError("signature does not verify");
  }
  if (!impl_->pkey) return InternalError("ed25519: empty public key");
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) return InternalError("ed25519: out of memory");
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, impl_->pkey.get()) != 1) {
    return InternalError("ed25519: verify init failed");
  }
  const int rc = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(message.data()), message.size());
  if (rc != 1) return UnauthenticatedError("signature does not verify");
  return OkStatus();
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::Generate() {
  Pkey pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!pkey) return InternalError("ed25519: key generation failed");
  auto impl = std::make_shared<Impl>();
  impl->pkey = std::move(pkey);
  return Ed25519PrivateKey(std::move(impl));
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::FromPem(std::string_view pem) {
  if (pem.empty() || pem.size() > kMaxPemBytes) {
    return InvalidArgumentError("ed25519: private key PEM has invalid size");
  }
  Bio bio = MemBioFrom(pem);
  if (!bio) return InternalError("ed25519: out of memory");
  Pkey pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr));
  if (!pkey) return InvalidArgumentError("ed25519: not an unencrypted PEM private key");
  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_ED25519) {
    return InvalidArgumentError("ed25519: PEM private key is not Ed25519");
  }
  auto impl = std::make_shared<Impl>();
  impl->pkey = std::move(pkey);
  return Ed25519PrivateKey(std::move(impl));
}

SecretBytes Ed25519PrivateKey::ToPem() const {
  SecretBytes out;
  // A secure-heap-free memory BIO still holds the PEM; BIO_free of a mem BIO
  // does not cleanse, so wipe its buffer explicitly before freeing.
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio) return out;
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr,
                                    nullptr) == 1) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    if (len > 0 && data != nullptr) {
      out = SecretBytes(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(len));
      SecureZero(data, static_cast<size_t>(len));
    }
  }
  return out;
}

Ed25519PublicKey Ed25519PrivateKey::PublicKey() const {
  unsigned char raw[kEd25519PublicKeySize];
  size_t len = sizeof(raw);
  auto impl = std::make_shared<Ed25519PublicKey::Impl>();
  if (EVP_PKEY_get_raw_public_key(impl_->pkey.get(), raw, &len) == 1 && len == sizeof(raw)) {
    impl->pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw, len));
  }
  return Ed25519PublicKey(std::move(impl));
}

Result<std::string> Ed25519PrivateKey::Sign(std::string_view message) const {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) return InternalError("ed25519: out of memory");
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->pkey.get()) != 1) {
    return InternalError("ed25519: sign init failed");
  }
  std::string sig(kEd25519SignatureSize, '\0');
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != kEd25519SignatureSize) {
    return InternalError("ed25519: signing failed");
  }
  return sig;
}

}  // namespace kura::crypto
