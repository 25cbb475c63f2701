#include "core/auth/api_key_store.h"

#include <shared_mutex>

#include <algorithm>
#include <array>
#include <boost/json.hpp>

#include "core/crypto/constant_time.h"
#include "core/crypto/encoding.h"

namespace kura::auth {
namespace {

constexpr int kFileVersion = 1;
constexpr size_t kIdHexLength = kApiKeyIdBytes * 2;
constexpr size_t kSecretTextLength = (kApiKeySecretBytes * 4 + 2) / 3;  // unpadded base64url
constexpr size_t kKeyTextLength = kApiKeyPrefix.size() + kIdHexLength + 1 + kSecretTextLength;
constexpr int kMaxIdAttempts = 8;

Status InvalidKey() { return UnauthenticatedError("invalid API key"); }

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

crypto::Digest256 HashSecret(std::span<const uint8_t> salt, std::span<const uint8_t> secret) {
  crypto::Sha256Hasher hasher;
  hasher.Update(salt);
  hasher.Update(secret);
  return hasher.Finish();
}

// Wipes a std::string that held decoded secret bytes.
struct StringWiper {
  std::string& s;
  ~StringWiper() { SecureZero(s.data(), s.size()); }
};

const boost::json::string* GetString(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return v != nullptr ? v->if_string() : nullptr;
}

Result<std::vector<uint8_t>> DecodeHex(const boost::json::string* s, size_t bytes) {
  if (s == nullptr || s->size() != bytes * 2 || !IsLowerHex(*s)) {
    return InvalidArgumentError("bad hex");
  }
  ASSIGN_OR_RETURN(std::string raw, crypto::HexDecode(*s));
  return std::vector<uint8_t>(raw.begin(), raw.end());
}

}  // namespace

ApiKeyStore::ApiKeyStore(FileSystem& fs, std::string path, const Clock& clock, Random& random,
                         ApiKeyStoreOptions options)
    : fs_(fs), path_(std::move(path)), clock_(clock), random_(random), options_(options) {}

Result<std::unique_ptr<ApiKeyStore>> ApiKeyStore::Open(FileSystem& fs, std::string path,
                                                       const Clock& clock, Random& random,
                                                       ApiKeyStoreOptions options) {
  std::unique_ptr<ApiKeyStore> store(
      new ApiKeyStore(fs, std::move(path), clock, random, options));
  {
    std::lock_guard<std::shared_mutex> lock(store->mu_);
    RETURN_IF_ERROR(store->LoadLocked());
  }
  return store;
}

Status ApiKeyStore::LoadLocked() {
  loaded_at_ = clock_.Now();
  Result<std::string> text = fs_.ReadFile(path_);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      keys_.clear();
      load_failed_ = false;
      return OkStatus();
    }
    load_failed_ = true;
    return text.status();
  }
  const Status corrupt = DataLossError("API key store '" + path_ + "' is corrupt");
  load_failed_ = true;

  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(*text, ec);
  if (ec || !root.is_object()) return corrupt;
  const boost::json::object& obj = root.get_object();
  const boost::json::value* version = obj.if_contains("version");
  const boost::json::value* keys = obj.if_contains("keys");
  if (version == nullptr || !version->is_int64() || version->get_int64() != kFileVersion ||
      keys == nullptr || !keys->is_array()) {
    return corrupt;
  }
  EntryMap loaded;
  std::set<std::string> names;
  for (const boost::json::value& item : keys->get_array()) {
    const boost::json::object* k = item.if_object();
    if (k == nullptr) return corrupt;
    Entry e;
    const boost::json::string* id = GetString(*k, "id");
    const boost::json::string* name = GetString(*k, "name");
    const boost::json::value* scopes = k->if_contains("scopes");
    const boost::json::value* created = k->if_contains("created_ms");
    if (id == nullptr || id->size() != kIdHexLength || !IsLowerHex(*id) || name == nullptr ||
        !IsValidPrincipalName(*name) || scopes == nullptr || !scopes->is_array() ||
        created == nullptr || !created->is_int64()) {
      return corrupt;
    }
    e.info.id = std::string(*id);
    e.info.name = std::string(*name);
    e.info.created_ms = created->get_int64();
    for (const boost::json::value& scope : scopes->get_array()) {
      const boost::json::string* s = scope.if_string();
      if (s == nullptr || !IsValidScope(*s)) return corrupt;
      e.info.scopes.emplace(*s);
    }
    if (e.info.scopes.empty()) return corrupt;
    Result<std::vector<uint8_t>> salt = DecodeHex(GetString(*k, "salt"), kApiKeySaltBytes);
    Result<std::vector<uint8_t>> hash = DecodeHex(GetString(*k, "hash"), e.hash.size());
    if (!salt.ok() || !hash.ok()) return corrupt;
    std::copy(salt->begin(), salt->end(), e.salt.begin());
    std::copy(hash->begin(), hash->end(), e.hash.begin());
    if (!names.insert(e.info.name).second) return corrupt;
    const std::string key_id = e.info.id;
    if (!loaded.emplace(key_id, std::move(e)).second) return corrupt;
  }
  keys_ = std::move(loaded);
  load_failed_ = false;
  return OkStatus();
}

Status ApiKeyStore::SaveLocked(const EntryMap& keys) {
  boost::json::array array;
  for (const auto& [id, e] : keys) {
    boost::json::object k;
    k["id"] = e.info.id;
    k["name"] = e.info.name;
    boost::json::array scopes;
    for (const auto& s : e.info.scopes) scopes.emplace_back(s);
    k["scopes"] = std::move(scopes);
    k["created_ms"] = e.info.created_ms;
    k["salt"] = crypto::HexEncode(e.salt);
    k["hash"] = crypto::HexEncode(e.hash);
    array.emplace_back(std::move(k));
  }
  boost::json::object root;
  root["version"] = kFileVersion;
  root["keys"] = std::move(array);
  return fs_.WriteFileAtomic(path_, boost::json::serialize(root), 0600);
}

Result<SecretBytes> ApiKeyStore::Create(std::string name, std::set<std::string> scopes) {
  if (!IsValidPrincipalName(name)) {
    return InvalidArgumentError("API key name must match [A-Za-z0-9_.-]{1,64}");
  }
  if (scopes.empty()) return InvalidArgumentError("an API key needs at least one scope");
  for (const auto& scope : scopes) {
    if (!IsValidScope(scope)) {
      // Not echoed: a mistyped argument could be anything, even a key.
      return InvalidArgumentError("invalid scope (expected [a-z]+:[a-z]+, e.g. cards:write)");
    }
  }

  std::lock_guard<std::shared_mutex> lock(mu_);
  RETURN_IF_ERROR(LoadLocked());  // another process may have changed the file
  for (const auto& [id, e] : keys_) {
    if (e.info.name == name) {
      return AlreadyExistsError("an API key named '" + name + "' already exists");
    }
  }
  if (keys_.size() >= options_.max_keys) {
    return ResourceExhaustedError("too many API keys (limit " +
                                  std::to_string(options_.max_keys) + ")");
  }

  std::string id;
  for (int attempt = 0; attempt < kMaxIdAttempts && (id.empty() || keys_.count(id)); ++attempt) {
    std::array<uint8_t, kApiKeyIdBytes> id_bytes{};
    RETURN_IF_ERROR(random_.Fill(id_bytes));
    id = crypto::HexEncode(id_bytes);
  }
  if (keys_.count(id)) return InternalError("cannot draw a unique API key id");

  SecretBytes secret(kApiKeySecretBytes);
  RETURN_IF_ERROR(random_.Fill(secret.mutable_span()));
  Entry e;
  RETURN_IF_ERROR(random_.Fill(e.salt));
  e.hash = HashSecret(e.salt, secret.span());
  e.info.id = id;
  e.info.name = std::move(name);
  e.info.scopes = std::move(scopes);
  e.info.created_ms = clock_.NowUnixMillis();

  EntryMap next = keys_;
  next.emplace(id, std::move(e));
  RETURN_IF_ERROR(SaveLocked(next));
  keys_ = std::move(next);

  std::string encoded = crypto::Base64UrlEncode(secret.span());
  StringWiper wipe_encoded{encoded};
  SecretBytes key(kKeyTextLength);
  std::string_view parts[] = {kApiKeyPrefix, id, "_", encoded};
  size_t pos = 0;
  for (std::string_view part : parts) {
    std::copy(part.begin(), part.end(), key.data() + pos);
    pos += part.size();
  }
  if (pos != kKeyTextLength) return InternalError("unexpected API key length");
  return key;
}

Result<Principal> ApiKeyStore::Authenticate(std::string_view presented_key) {
  if (presented_key.size() != kKeyTextLength ||
      presented_key.substr(0, kApiKeyPrefix.size()) != kApiKeyPrefix) {
    return InvalidKey();
  }
  const std::string_view id = presented_key.substr(kApiKeyPrefix.size(), kIdHexLength);
  if (!IsLowerHex(id) || presented_key[kApiKeyPrefix.size() + kIdHexLength] != '_') {
    return InvalidKey();
  }
  Result<std::string> decoded =
      crypto::Base64UrlDecode(presented_key.substr(kKeyTextLength - kSecretTextLength));
  if (!decoded.ok()) return InvalidKey();
  StringWiper wipe_decoded{decoded.value()};
  if (decoded->size() != kApiKeySecretBytes) return InvalidKey();

  // Look the key up under a shared lock (every request authenticates; only
  // reloads and edits need exclusivity), copying only what the check and
  // the principal need, and hash outside any lock.
  std::array<uint8_t, kApiKeySaltBytes> salt{};
  crypto::Digest256 hash{};
  Principal p;
  auto take = [&](const Entry& e) {
    salt = e.salt;
    hash = e.hash;
    p.name = e.info.name;
    p.scopes = e.info.scopes;
  };
  bool found = false;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (!load_failed_ && clock_.Now() - loaded_at_ < options_.reload_interval) {
      auto it = keys_.find(id);
      if (it == keys_.end()) return InvalidKey();
      take(it->second);
      found = true;
    }
  }
  if (!found) {
    std::lock_guard<std::shared_mutex> lock(mu_);
    if (load_failed_ || clock_.Now() - loaded_at_ >= options_.reload_interval) {
      RETURN_IF_ERROR(LoadLocked());
    }
    auto it = keys_.find(id);
    if (it == keys_.end()) return InvalidKey();
    take(it->second);
  }
  const crypto::Digest256 digest = HashSecret(salt, crypto::AsBytes(*decoded));
  if (!crypto::ConstantTimeEquals(digest, hash)) return InvalidKey();
  p.method = std::string(kMethodApiKey);
  return p;
}

Status ApiKeyStore::Revoke(const std::string& name) {
  if (!IsValidPrincipalName(name)) return NotFoundError("no such API key");
  std::lock_guard<std::shared_mutex> lock(mu_);
  RETURN_IF_ERROR(LoadLocked());
  EntryMap next = keys_;
  auto it = std::find_if(next.begin(), next.end(),
                         [&](const auto& kv) { return kv.second.info.name == name; });
  if (it == next.end()) return NotFoundError("no API key named '" + name + "'");
  next.erase(it);
  RETURN_IF_ERROR(SaveLocked(next));
  keys_ = std::move(next);
  return OkStatus();
}

std::vector<ApiKeyInfo> ApiKeyStore::List() const {
  std::vector<ApiKeyInfo> out;
  {
    std::lock_guard<std::shared_mutex> lock(mu_);
    for (const auto& [id, e] : keys_) out.push_back(e.info);
  }
  std::sort(out.begin(), out.end(),
            [](const ApiKeyInfo& a, const ApiKeyInfo& b) { return a.name < b.name; });
  return out;
}

Status ApiKeyStore::Reload() {
  std::lock_guard<std::shared_mutex> lock(mu_);
  return LoadLocked();
}

}  // namespace kura::auth
