// Keyring: the versioned data keys (DEKs) of a Kura installation, wrapped by
// the master key (KEK) and rotated per cryptoperiod (PCI DSS 3.6.1, 3.7.4).
//
// The keyring file holds only wrapped keys (RFC 5649, crypto/key_wrap.h) and
// key check values; the KEK itself is never stored (key_provider.h rebuilds
// it from custodians' components). File format (JSON, written with
// FileSystem::WriteFileAtomic, mode 0600):
//
//   {"version": 1,
//    "key_id": "kek-20260101-ab12cd",        // names the KEK
//    "kek_kcv": "9f8e7d",                    // KeyCheckValue(KEK)
//    "fingerprint_key": {"wrapped": "<base64>"},
//    "deks": [{"version": 1, "created_ms": 1767225600000,
//              "state": "active" | "decrypt_only" | "retired",
//              "wrapped": "<base64>",        // absent once retired
//              "kcv": "1a2b3c"}]}
//
// DEK lifecycle: exactly one version is `active` (used to encrypt); Rotate
// makes a new active version and demotes the old one to `decrypt_only`
// (still readable); Retire wipes a non-active version for good (data still
// encrypted under it becomes unreadable, so re-encrypt first).
//
// The fingerprint key is a separate HMAC-SHA-256 key for deterministic
// look-ups (e.g. PAN fingerprints for de-duplication); it never leaves the
// keyring, only Fingerprint() results do.
//
// Thread safety: all methods of a Keyring are safe for concurrent use. Only
// one Keyring object (in one process) may modify a given file: there is no
// cross-process locking.
#ifndef KURA_CORE_KEYRING_KEYRING_H_
#define KURA_CORE_KEYRING_KEYRING_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/base/secret.h"
#include "core/base/status.h"
#include "core/crypto/hash.h"
#include "core/fs/file_system.h"
#include "core/keyring/key_provider.h"

namespace kura::keyring {

// PCI DSS leaves the cryptoperiod to the issuer; 90 days is our default.
inline constexpr std::chrono::milliseconds kDefaultCryptoperiod = std::chrono::hours(24 * 90);
// DEKs and the fingerprint key are AES-256 / HMAC-SHA-256 keys.
inline constexpr size_t kDataKeySize = 32;
// A keyring with thousands of versions is a bug or an attack; refuse to load
// files beyond this.
inline constexpr size_t kMaxKeyringFileSize = 1 << 20;
// HKDF info prefix of Keyring::LookupKey (versioned: changing it would change
// every derived key).
inline constexpr std::string_view kLookupKeyInfoPrefix = "kura.keyring.lookup.v1|";

struct KeyringOptions {
  // A DEK older than this is due for rotation (RotateIfDue). Must be > 0.
  std::chrono::milliseconds cryptoperiod = kDefaultCryptoperiod;
  // Open refuses larger files (kDataLoss).
  size_t max_file_size = kMaxKeyringFileSize;
};

enum class DekState { kActive, kDecryptOnly, kRetired };

// "active", "decrypt_only", "retired" (as in the file).
std::string_view DekStateName(DekState state);

// Metadata of one DEK version; no key material.
struct DekInfo {
  int version = 0;
  DekState state = DekState::kActive;
  TimePoint created;
  std::string kcv;  // KeyCheckValue of the DEK, 6 hex characters.
};

class Keyring {
 public:
  // Creates a new keyring file at `path` with DEK version 1 (active) and a
  // fresh fingerprint key, both wrapped under `kek`, which the keyring keeps
  // (to wrap future DEKs) and wipes on destruction. `fs`, `clock` and
  // `random` are borrowed and must outlive the keyring.
  // Errors: kInvalidArgument if kek is not 32 bytes, key_id is not valid
  // (IsValidKeyId) or options are invalid; kAlreadyExists if `path` exists
  // (created with CreateFileExclusive, so never overwritten); the error of
  // `random` or of the file system otherwise.
  static Result<std::unique_ptr<Keyring>> Create(FileSystem& fs, std::string path, SecretBytes kek,
                                                 std::string key_id, const Clock& clock,
                                                 Random& random, KeyringOptions options = {});

  // Loads the keyring at `path`, obtains the KEK from `provider`, and
  // unwraps the fingerprint key and every DEK that is not retired.
  // Errors: kNotFound if `path` is missing (other read errors as the file
  // system reports them); kInvalidArgument for invalid options or a provided
  // KEK that is not 32 bytes; kDataLoss if
  // the file is too large, malformed, or a wrapped key or its check value is
  // corrupted; kFailedPrecondition for an unsupported file version;
  // kDataLoss "master key does not match keyring (wrong components?)" if the
  // KEK's check value differs; any error of provider.LoadKek().
  static Result<std::unique_ptr<Keyring>> Open(FileSystem& fs, std::string path,
                                               KeyProvider& provider, const Clock& clock,
                                               Random& random, KeyringOptions options = {});

  ~Keyring();
  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;

  const std::string& key_id() const { return key_id_; }
  const std::string& kek_kcv() const { return kek_kcv_; }

  // The version new data should be encrypted under.
  int active_version() const;

  // A copy of DEK `version`, for encrypting or decrypting. The caller owns
  // the copy (zeroized when it goes out of scope).
  // Errors: kNotFound for an unknown version; kFailedPrecondition if retired.
  Result<SecretBytes> DataKey(int version) const;

  // True iff DataKey(version) would succeed (the version exists and is not
  // retired), without copying the key.
  bool HasDataKey(int version) const;

  // How many versions this object has retired so far: lets holders of
  // keyed contexts (vault/dek_openers.h) notice a retirement without
  // taking the keyring's lock on every use.
  uint64_t retirements() const { return retirements_.load(); }

  // {active_version, copy of its DEK}, read atomically with respect to Rotate.
  // Never fails in practice; Result for symmetry with DataKey.
  Result<std::pair<int, SecretBytes>> ActiveDataKey() const;

  // HMAC-SHA-256 of `data` under the fingerprint key. The result is not
  // secret-free: treat fingerprints of PANs as sensitive (they allow
  // confirming a guessed PAN to whoever holds the keyring).
  crypto::Digest256 Fingerprint(std::string_view data) const;

  // An HMAC context under the fingerprint key, for many Fingerprint-equal
  // results on one thread (a batch) without setting the key up each time.
  // A copy of one context made when the keyring opened (no key set-up and no
  // OpenSSL algorithm look-up per call: every store asks for one).
  // Thread-safe.
  std::unique_ptr<crypto::HmacSha256Keyed> NewFingerprinter() const;

  // A 32-byte key for one `purpose` of deterministic look-up (e.g. the
  // vault's token ids), derived from the fingerprint key with HKDF-SHA-256
  // (info = kLookupKeyInfoPrefix + purpose). Like the fingerprint key it
  // never changes for the life of the keyring: DEK rotation does not touch
  // it. The caller owns the copy (zeroized when dropped).
  // Errors: kInvalidArgument for an empty purpose; kInternal from OpenSSL.
  Result<SecretBytes> LookupKey(std::string_view purpose) const;

  // Generates a new active DEK (version = highest so far + 1) and demotes the
  // previous active one to decrypt_only. The file is replaced atomically
  // before this returns; on error the keyring, in memory and on disk, is
  // unchanged. Returns the new version.
  // Errors: kOutOfRange if the version number would overflow; those of
  // `random`, key wrapping and FileSystem::WriteFileAtomic.
  Result<int> Rotate();

  // Rotates iff the active DEK is at least `cryptoperiod` old according to
  // the injected clock. Returns whether it rotated; errors as Rotate.
  Result<bool> RotateIfDue();

  // Retires a non-active version: forgets its wrapped key in the file and
  // wipes it from memory. Retiring an already retired version succeeds.
  // Errors: kNotFound for an unknown version; kFailedPrecondition for the
  // active version; file system errors (then nothing changes).
  Status Retire(int version);

  // Metadata of every version, oldest first.
  std::vector<DekInfo> List() const;

 private:
  // Metadata as stored in the file; copyable so that changes can be staged
  // and persisted before they are applied.
  struct Record {
    int version = 0;
    DekState state = DekState::kActive;
    int64_t created_ms = 0;
    std::string wrapped;  // Raw RFC 5649 output; empty once retired.
    std::string kcv;
  };

  Keyring(FileSystem& fs, std::string path, const Clock& clock, Random& random,
          KeyringOptions options, std::string key_id, std::string kek_kcv, SecretBytes kek,
          std::string fp_wrapped, SecretBytes fp_key);

  // The file text for `records`.
  Result<std::string> Serialize(const std::vector<Record>& records) const;
  // Generates an active DEK, wraps it under `kek` and returns its record
  // (not yet stored) and the key.
  static Result<std::pair<Record, SecretBytes>> NewDek(const SecretBytes& kek, Random& random,
                                                       int version, int64_t created_ms);
  Result<int> RotateLocked();

  FileSystem& fs_;
  const std::string path_;
  const Clock& clock_;
  Random& random_;
  const KeyringOptions options_;
  const std::string key_id_;
  const std::string kek_kcv_;
  const SecretBytes kek_;
  const std::string fp_wrapped_;
  const SecretBytes fp_key_;
  // The context NewFingerprinter copies; guarded by fp_mu_ (OpenSSL does not
  // promise that concurrent copies of one context are safe).
  mutable std::mutex fp_mu_;
  const std::unique_ptr<crypto::HmacSha256Keyed> fp_prototype_;  // GUARDED_BY(fp_mu_)

  mutable std::mutex mu_;
  std::atomic<uint64_t> retirements_{0};
  std::vector<Record> records_;      // GUARDED_BY(mu_), sorted by version.
  std::map<int, SecretBytes> keys_;  // GUARDED_BY(mu_), non-retired DEKs.
  int active_version_ = 0;           // GUARDED_BY(mu_)
};

}  // namespace kura::keyring

#endif  // KURA_CORE_KEYRING_KEYRING_H_
