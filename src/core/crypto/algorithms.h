// Explicitly fetched OpenSSL algorithm objects, fetched once per process.
//
// OpenSSL 3 looks algorithms up in its provider store on every implicit use
// (EVP_sha256() passed to EVP_DigestInit, EVP_MAC_fetch per call), which
// takes global locks and costs microseconds per call on hot paths (every
// request hashes an API key; every store seals a card). Its performance
// guide recommends fetching once and reusing the object; these functions do
// that. The objects are immutable, shared by all threads, and live for the
// process lifetime (never freed). If fetching fails (no default provider),
// the process aborts: no crypto would work.
//
// Also the owning handle of a cipher context, shared by the files that
// make one.
//
// Internal to core/crypto.
#ifndef KURA_CORE_CRYPTO_ALGORITHMS_H_
#define KURA_CORE_CRYPTO_ALGORITHMS_H_

#include <openssl/evp.h>

#include <memory>

namespace kura::crypto::internal {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const EVP_MD* Sha256Md();
EVP_MAC* HmacMac();
const EVP_CIPHER* Aes256GcmCipher();

}  // namespace kura::crypto::internal

#endif  // KURA_CORE_CRYPTO_ALGORITHMS_H_
