// ApiKeyStore: API keys for Kura's HTTPS services (PCI DSS 8.3, 8.6).
//
// A key is shown to its owner exactly once, when created:
//     kura_<16 hex key id>_<43 char base64url secret>
// The secret is 32 bytes from the injected Random. The store keeps, per key,
// the id, a unique name, the scopes, the creation time (ms since the epoch,
// from the injected Clock), a 16-byte random salt and
//     hash = SHA-256(salt || secret bytes)
// never the secret itself. A single salted SHA-256 suffices because the
// secret is 256 bits of randomness: there is nothing to brute-force, so a
// slow password hash would only cost CPU on every request.
//
// Storage: one JSON file, written atomically through the FileSystem with
// mode 0600:
//   {"version":1,"keys":[{"id":"…","name":"…","scopes":["cards:write"],
//                         "created_ms":…,"salt":"<hex>","hash":"<hex>"}]}
//
// Several processes share the file (a server authenticates while the CLI
// creates or revokes keys). Create() and Revoke() re-read the file before
// changing it; Authenticate() re-reads it when the copy in memory is older
// than ApiKeyStoreOptions::reload_interval (by the injected Clock), so keys
// created or revoked by the CLI take effect within that interval. Concurrent
// writers in different processes are not serialised (last writer wins);
// Kura only writes from the CLI.
//
// Thread safety: all methods are safe for concurrent use.
#ifndef KURA_CORE_AUTH_API_KEY_STORE_H_
#define KURA_CORE_AUTH_API_KEY_STORE_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/principal.h"
#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/base/secret.h"
#include "core/base/status.h"
#include "core/crypto/hash.h"
#include "core/fs/file_system.h"

namespace kura::auth {

inline constexpr std::string_view kApiKeyPrefix = "kura_";
inline constexpr size_t kApiKeyIdBytes = 8;       // 16 hex characters
inline constexpr size_t kApiKeySecretBytes = 32;  // 43 base64url characters
inline constexpr size_t kApiKeySaltBytes = 16;
inline constexpr size_t kDefaultMaxApiKeys = 10'000;
inline constexpr std::chrono::milliseconds kDefaultReloadInterval{2'000};

struct ApiKeyStoreOptions {
  // How stale the in-memory copy may get before Authenticate() re-reads the
  // file. Zero re-reads on every call.
  std::chrono::milliseconds reload_interval = kDefaultReloadInterval;
  // Create() fails with kResourceExhausted beyond this many keys.
  size_t max_keys = kDefaultMaxApiKeys;
};

// What List() reports about a key: never the hash, salt or secret.
struct ApiKeyInfo {
  std::string id;
  std::string name;
  std::set<std::string> scopes;
  int64_t created_ms = 0;
};

class ApiKeyStore {
 public:
  // Loads `path` (a missing file is an empty store). `fs`, `clock` and
  // `random` are not owned and must outlive the store.
  // Errors: kDataLoss if the file is not a valid key store (the message
  // names the path, never the contents); errors of FileSystem::ReadFile.
  static Result<std::unique_ptr<ApiKeyStore>> Open(FileSystem& fs, std::string path,
                                                   const Clock& clock, Random& random,
                                                   ApiKeyStoreOptions options = {});

  ApiKeyStore(const ApiKeyStore&) = delete;
  ApiKeyStore& operator=(const ApiKeyStore&) = delete;

  // Creates a key and returns the full key text ("kura_<id>_<secret>"),
  // which is not stored anywhere and cannot be recovered later.
  // Errors: kInvalidArgument for a name not matching [A-Za-z0-9_.-]{1,64},
  //   no scopes, or a scope not matching [a-z]+:[a-z]+;
  //   kAlreadyExists if a key with that name exists;
  //   kResourceExhausted beyond max_keys;
  //   errors of Random::Fill and FileSystem (then nothing is stored).
  Result<SecretBytes> Create(std::string name, std::set<std::string> scopes);

  // Checks a presented key. Unknown id, malformed key and wrong secret all
  // fail with the same kUnauthenticated "invalid API key", which never
  // echoes the key. The secret's hash is compared in constant time (key
  // ids are not secret and are looked up in a map).
  // Errors besides: kDataLoss (or a FileSystem error) if a due reload
  // fails; the store then refuses every key until a reload succeeds (fail
  // closed: a revocation must not be missed).
  Result<Principal> Authenticate(std::string_view presented_key);

  // Deletes the key named `name`. Errors: kNotFound; FileSystem errors (then
  // the key stays).
  Status Revoke(const std::string& name);

  // All keys, sorted by name (as of the last load).
  std::vector<ApiKeyInfo> List() const;

  // Re-reads the file now. Errors: as Open().
  Status Reload();

 private:
  struct Entry {
    ApiKeyInfo info;
    std::array<uint8_t, kApiKeySaltBytes> salt{};
    crypto::Digest256 hash{};
  };
  // By key id; looked up with the presented key's id without copying it.
  using EntryMap = std::map<std::string, Entry, std::less<>>;

  ApiKeyStore(FileSystem& fs, std::string path, const Clock& clock, Random& random,
              ApiKeyStoreOptions options);

  // Reads and parses the file into keys_. Requires mu_.
  Status LoadLocked();
  Status SaveLocked(const EntryMap& keys);

  FileSystem& fs_;
  const std::string path_;
  const Clock& clock_;
  Random& random_;
  const ApiKeyStoreOptions options_;

  mutable std::shared_mutex mu_;
  EntryMap keys_;             // guarded by mu_
  TimePoint loaded_at_{};     // guarded by mu_
  bool load_failed_ = false;  // guarded by mu_
};

}  // namespace kura::auth

#endif  // KURA_CORE_AUTH_API_KEY_STORE_H_
