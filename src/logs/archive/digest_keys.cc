#include "logs/archive/digest_keys.h"

#include "core/base/secret.h"
#include "logs/archive/archive_layout.h"

namespace kura::logs {

std::string DigestSigningKeyPath(const std::string& data_dir) {
  return JoinPath(data_dir, kDigestSigningKeyFile);
}

std::string DigestPublicKeyPath(const std::string& data_dir) {
  return JoinPath(data_dir, kDigestPublicKeyFile);
}

Status InitDigestKeys(FileSystem& fs, const std::string& data_dir) {
  const std::string priv = DigestSigningKeyPath(data_dir);
  if (fs.Exists(priv)) {
    return AlreadyExistsError(priv + " already exists; a digest signing key is never replaced");
  }
  RETURN_IF_ERROR(fs.CreateDirs(DirName(priv), 0700));
  ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key, crypto::Ed25519PrivateKey::Generate());
  const SecretBytes pem = key.ToPem();
  // The public key first: a crash in between leaves no private key, so init
  // can simply be re-run.
  RETURN_IF_ERROR(fs.WriteFileAtomic(DigestPublicKeyPath(data_dir), key.PublicKey().ToPem(), 0644));
  return fs.CreateFileExclusive(priv, pem.view(), 0600);
}

Result<crypto::Ed25519PrivateKey> LoadDigestSigningKey(FileSystem& fs,
                                                       const std::string& data_dir) {
  const std::string path = DigestSigningKeyPath(data_dir);
  Result<std::string> pem = fs.ReadFile(path);
  if (!pem.ok()) {
    if (pem.status().code() == StatusCode::kNotFound) {
      return FailedPreconditionError("no digest signing key at " + path +
                                     " (run `kura logs init --data-dir " + data_dir + "`)");
    }
    return pem.status();
  }
  Result<crypto::Ed25519PrivateKey> key = crypto::Ed25519PrivateKey::FromPem(*pem);
  SecureZero(pem->data(), pem->size());
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

Result<crypto::Ed25519PublicKey> LoadDigestPublicKey(FileSystem& fs, const std::string& path) {
  ASSIGN_OR_RETURN(std::string pem, fs.ReadFile(path));
  Result<crypto::Ed25519PublicKey> key = crypto::Ed25519PublicKey::FromPem(pem);
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

}  // namespace kura::logs
