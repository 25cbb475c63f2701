// The archive's digest signing key: an Ed25519 key used for nothing but
// signing digests (logs/archive/digest.h), kept in the data directory as
//   <data-dir>/keys/digest-signing.pem      private key, PKCS#8 PEM, 0600
//   <data-dir>/keys/digest-signing.pub.pem  public key, SPKI PEM, 0644
// A QSA verifies against a separately held copy of the public key
// (`kura logs verify --public-key`), not the one next to the data.
//
// Thread safety: free functions; safe for concurrent use on distinct dirs.
#ifndef KURA_LOGS_ARCHIVE_DIGEST_KEYS_H_
#define KURA_LOGS_ARCHIVE_DIGEST_KEYS_H_

#include <string>

#include "core/base/status.h"
#include "core/crypto/ed25519.h"
#include "core/fs/file_system.h"

namespace kura::logs {

std::string DigestSigningKeyPath(const std::string& data_dir);
std::string DigestPublicKeyPath(const std::string& data_dir);

// Generates a fresh key pair and writes both files (creating keys/ 0700).
// kAlreadyExists, writing nothing, if the private key file exists: a key is
// never replaced silently (old digests would no longer verify).
Status InitDigestKeys(FileSystem& fs, const std::string& data_dir);

// The private key. kFailedPrecondition ("run kura logs init") if the file
// is missing; kInvalidArgument if it is not an Ed25519 private key PEM.
Result<crypto::Ed25519PrivateKey> LoadDigestSigningKey(FileSystem& fs,
                                                       const std::string& data_dir);

// A public key PEM file. kNotFound if missing, kInvalidArgument if not an
// Ed25519 public key.
Result<crypto::Ed25519PublicKey> LoadDigestPublicKey(FileSystem& fs, const std::string& path);

}  // namespace kura::logs

#endif  // KURA_LOGS_ARCHIVE_DIGEST_KEYS_H_
