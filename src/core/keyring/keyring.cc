#include "core/keyring/keyring.h"

#include <algorithm>
#include <boost/json.hpp>
#include <exception>
#include <limits>
#include <optional>
#include <set>

#include "core/crypto/constant_time.h"
#include "core/crypto/encoding.h"
#include "core/crypto/kdf.h"
#include "core/crypto/key_wrap.h"
#include "core/keyring/key_component.h"

namespace kura::keyring {
namespace {

namespace json = boost::json;

constexpr int64_t kFileVersion = 1;

Status Malformed(const std::string& path, std::string_view what) {
  return DataLossError("keyring " + path + ": malformed (" + std::string(what) + ")");
}

std::optional<std::string_view> GetString(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  const json::string& s = v->get_string();
  return std::string_view(s.data(), s.size());
}

std::optional<int64_t> GetInt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() &&
      v->get_uint64() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return static_cast<int64_t>(v->get_uint64());
  }
  return std::nullopt;
}

std::optional<DekState> ParseState(std::string_view s) {
  for (DekState st : {DekState::kActive, DekState::kDecryptOnly, DekState::kRetired}) {
    if (DekStateName(st) == s) return st;
  }
  return std::nullopt;
}

Status CheckOptions(const KeyringOptions& options) {
  if (options.cryptoperiod.count() <= 0) {
    return InvalidArgumentError("keyring: cryptoperiod must be positive");
  }
  return OkStatus();
}

// Unwraps a key and, when a check value is recorded, verifies it.
Result<SecretBytes> UnwrapChecked(const SecretBytes& kek, std::string_view wrapped,
                                  std::string_view kcv, const std::string& what) {
  Result<SecretBytes> key = crypto::UnwrapKey(kek, wrapped);
  if (!key.ok()) return DataLossError("keyring: " + what + " is corrupted");
  if (key->size() != kDataKeySize) return DataLossError("keyring: " + what + " has a bad size");
  if (!kcv.empty()) {
    ASSIGN_OR_RETURN(const std::string actual, crypto::KeyCheckValue(*key));
    if (!crypto::ConstantTimeEquals(std::string_view(actual), kcv)) {
      return DataLossError("keyring: " + what + " does not match its check value");
    }
  }
  return key;
}

}  // namespace

std::string_view DekStateName(DekState state) {
  switch (state) {
    case DekState::kActive:
      return "active";
    case DekState::kDecryptOnly:
      return "decrypt_only";
    case DekState::kRetired:
      return "retired";
  }
  return "unknown";
}

Keyring::Keyring(FileSystem& fs, std::string path, const Clock& clock, Random& random,
                 KeyringOptions options, std::string key_id, std::string kek_kcv, SecretBytes kek,
                 std::string fp_wrapped, SecretBytes fp_key)
    : fs_(fs),
      path_(std::move(path)),
      clock_(clock),
      random_(random),
      options_(options),
      key_id_(std::move(key_id)),
      kek_kcv_(std::move(kek_kcv)),
      kek_(std::move(kek)),
      fp_wrapped_(std::move(fp_wrapped)),
      fp_key_(std::move(fp_key)),
      fp_prototype_(std::make_unique<crypto::HmacSha256Keyed>(fp_key_)) {}

Keyring::~Keyring() = default;

Result<std::pair<Keyring::Record, SecretBytes>> Keyring::NewDek(const SecretBytes& kek,
                                                                Random& random, int version,
                                                                int64_t created_ms) {
  SecretBytes key(kDataKeySize);
  RETURN_IF_ERROR(random.Fill(key.mutable_span()));
  Record r;
  r.version = version;
  r.state = DekState::kActive;
  r.created_ms = created_ms;
  ASSIGN_OR_RETURN(r.wrapped, crypto::WrapKey(kek, key));
  ASSIGN_OR_RETURN(r.kcv, crypto::KeyCheckValue(key));
  return std::pair<Record, SecretBytes>(std::move(r), std::move(key));
}

Result<std::string> Keyring::Serialize(const std::vector<Record>& records) const {
  // Boost.JSON throws only on allocation failure; keep that inside.
  try {
    json::object o;
    o["version"] = kFileVersion;
    o["key_id"] = key_id_;
    o["kek_kcv"] = kek_kcv_;
    json::object fp;
    fp["wrapped"] = crypto::Base64Encode(crypto::AsBytes(fp_wrapped_));
    o["fingerprint_key"] = std::move(fp);
    json::array deks;
    for (const Record& r : records) {
      json::object d;
      d["version"] = r.version;
      d["created_ms"] = r.created_ms;
      d["state"] = DekStateName(r.state);
      if (r.state != DekState::kRetired) {
        d["wrapped"] = crypto::Base64Encode(crypto::AsBytes(r.wrapped));
      }
      d["kcv"] = r.kcv;
      deks.push_back(std::move(d));
    }
    o["deks"] = std::move(deks);
    return json::serialize(o) + "\n";
  } catch (const std::exception&) {
    return InternalError("keyring: serialization failed");
  }
}

Result<std::unique_ptr<Keyring>> Keyring::Create(FileSystem& fs, std::string path, SecretBytes kek,
                                                 std::string key_id, const Clock& clock,
                                                 Random& random, KeyringOptions options) {
  if (kek.size() != kKekSize) return InvalidArgumentError("keyring: master key must be 32 bytes");
  if (!IsValidKeyId(key_id)) return InvalidArgumentError("keyring: invalid key id");
  RETURN_IF_ERROR(CheckOptions(options));
  ASSIGN_OR_RETURN(std::string kek_kcv, crypto::KeyCheckValue(kek));

  SecretBytes fp_key(kDataKeySize);
  RETURN_IF_ERROR(random.Fill(fp_key.mutable_span()));
  ASSIGN_OR_RETURN(std::string fp_wrapped, crypto::WrapKey(kek, fp_key));
  ASSIGN_OR_RETURN(auto dek, NewDek(kek, random, 1, clock.NowUnixMillis()));

  std::unique_ptr<Keyring> ring(new Keyring(fs, std::move(path), clock, random, options,
                                            std::move(key_id), std::move(kek_kcv), std::move(kek),
                                            std::move(fp_wrapped), std::move(fp_key)));
  // Not yet shared with any other thread, but the annotations expect mu_.
  std::lock_guard<std::mutex> lock(ring->mu_);
  ring->records_.push_back(std::move(dek.first));
  ring->keys_.emplace(1, std::move(dek.second));
  ring->active_version_ = 1;
  ASSIGN_OR_RETURN(const std::string text, ring->Serialize(ring->records_));
  RETURN_IF_ERROR(fs.CreateFileExclusive(ring->path_, text, 0600));
  return ring;
}

Result<std::unique_ptr<Keyring>> Keyring::Open(FileSystem& fs, std::string path,
                                               KeyProvider& provider, const Clock& clock,
                                               Random& random, KeyringOptions options) {
  RETURN_IF_ERROR(CheckOptions(options));
  ASSIGN_OR_RETURN(const std::string text, fs.ReadFile(path));
  if (text.size() > options.max_file_size) {
    return DataLossError("keyring " + path + ": file is too large");
  }
  boost::system::error_code ec;
  const json::value root = json::parse(text, ec);
  if (ec) return Malformed(path, "not JSON");
  const json::object* o = root.if_object();
  if (o == nullptr) return Malformed(path, "not an object");
  const std::optional<int64_t> file_version = GetInt(*o, "version");
  if (!file_version) return Malformed(path, "version");
  if (*file_version != kFileVersion) {
    return FailedPreconditionError("keyring " + path + ": unsupported version " +
                                   std::to_string(*file_version));
  }
  const std::optional<std::string_view> key_id = GetString(*o, "key_id");
  if (!key_id || !IsValidKeyId(*key_id)) return Malformed(path, "key_id");
  const std::optional<std::string_view> kek_kcv = GetString(*o, "kek_kcv");
  if (!kek_kcv || kek_kcv->size() != 6) return Malformed(path, "kek_kcv");

  const json::value* fp = o->if_contains("fingerprint_key");
  if (fp == nullptr || !fp->is_object()) return Malformed(path, "fingerprint_key");
  const std::optional<std::string_view> fp_b64 = GetString(fp->get_object(), "wrapped");
  if (!fp_b64) return Malformed(path, "fingerprint_key.wrapped");
  Result<std::string> fp_wrapped = crypto::Base64Decode(*fp_b64);
  if (!fp_wrapped.ok()) return Malformed(path, "fingerprint_key.wrapped");

  const json::value* deks = o->if_contains("deks");
  if (deks == nullptr || !deks->is_array()) return Malformed(path, "deks");
  std::vector<Record> records;
  std::set<int> versions;
  int active = 0;
  for (const json::value& v : deks->get_array()) {
    const json::object* d = v.if_object();
    if (d == nullptr) return Malformed(path, "deks entry");
    Record r;
    const std::optional<int64_t> version = GetInt(*d, "version");
    if (!version || *version < 1 || *version > std::numeric_limits<int>::max() ||
        !versions.insert(static_cast<int>(*version)).second) {
      return Malformed(path, "deks.version");
    }
    r.version = static_cast<int>(*version);
    const std::optional<int64_t> created = GetInt(*d, "created_ms");
    if (!created) return Malformed(path, "deks.created_ms");
    r.created_ms = *created;
    const std::optional<std::string_view> state = GetString(*d, "state");
    const std::optional<DekState> st = state ? ParseState(*state) : std::nullopt;
    if (!st) return Malformed(path, "deks.state");
    r.state = *st;
    const std::optional<std::string_view> kcv = GetString(*d, "kcv");
    if (!kcv || kcv->size() != 6) return Malformed(path, "deks.kcv");
    r.kcv = std::string(*kcv);
    if (r.state != DekState::kRetired) {
      const std::optional<std::string_view> b64 = GetString(*d, "wrapped");
      if (!b64) return Malformed(path, "deks.wrapped");
      Result<std::string> wrapped = crypto::Base64Decode(*b64);
      if (!wrapped.ok()) return Malformed(path, "deks.wrapped");
      r.wrapped = std::move(*wrapped);
    }
    if (r.state == DekState::kActive) {
      if (active != 0) return Malformed(path, "more than one active DEK");
      active = r.version;
    }
    records.push_back(std::move(r));
  }
  if (active == 0) return Malformed(path, "no active DEK");
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) { return a.version < b.version; });

  ASSIGN_OR_RETURN(SecretBytes kek, provider.LoadKek());
  if (kek.size() != kKekSize) return InvalidArgumentError("keyring: master key must be 32 bytes");
  ASSIGN_OR_RETURN(const std::string actual_kcv, crypto::KeyCheckValue(kek));
  if (!crypto::ConstantTimeEquals(std::string_view(actual_kcv), *kek_kcv)) {
    return DataLossError("master key does not match keyring (wrong components?)");
  }
  ASSIGN_OR_RETURN(SecretBytes fp_key, UnwrapChecked(kek, *fp_wrapped, "", "fingerprint key"));
  std::map<int, SecretBytes> keys;
  for (const Record& r : records) {
    if (r.state == DekState::kRetired) continue;
    ASSIGN_OR_RETURN(SecretBytes key, UnwrapChecked(kek, r.wrapped, r.kcv,
                                                    "DEK version " + std::to_string(r.version)));
    keys.emplace(r.version, std::move(key));
  }

  std::unique_ptr<Keyring> ring(new Keyring(
      fs, std::move(path), clock, random, options, std::string(*key_id), std::string(*kek_kcv),
      std::move(kek), std::move(*fp_wrapped), std::move(fp_key)));
  std::lock_guard<std::mutex> lock(ring->mu_);
  ring->records_ = std::move(records);
  ring->keys_ = std::move(keys);
  ring->active_version_ = active;
  return ring;
}

int Keyring::active_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_version_;
}

Result<SecretBytes> Keyring::DataKey(int version) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = keys_.find(version);
  if (it != keys_.end()) return it->second.Clone();
  for (const Record& r : records_) {
    if (r.version == version) {
      return FailedPreconditionError("DEK version " + std::to_string(version) + " is retired");
    }
  }
  return NotFoundError("no DEK version " + std::to_string(version));
}

bool Keyring::HasDataKey(int version) const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_.find(version) != keys_.end();
}

Result<std::pair<int, SecretBytes>> Keyring::ActiveDataKey() const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = keys_.find(active_version_);
  if (it == keys_.end()) return InternalError("keyring: active DEK missing");
  return std::pair<int, SecretBytes>(active_version_, it->second.Clone());
}

crypto::Digest256 Keyring::Fingerprint(std::string_view data) const {
  return crypto::HmacSha256(fp_key_, data);
}

std::unique_ptr<crypto::HmacSha256Keyed> Keyring::NewFingerprinter() const {
  std::lock_guard<std::mutex> lock(fp_mu_);
  return fp_prototype_->Clone();
}

Result<SecretBytes> Keyring::LookupKey(std::string_view purpose) const {
  if (purpose.empty()) return InvalidArgumentError("keyring: look-up key purpose is empty");
  std::string info(kLookupKeyInfoPrefix);
  info.append(purpose);
  return crypto::HkdfSha256(fp_key_, "", info, kDataKeySize);
}

Result<int> Keyring::Rotate() {
  std::lock_guard<std::mutex> lock(mu_);
  return RotateLocked();
}

Result<int> Keyring::RotateLocked() {
  if (records_.back().version == std::numeric_limits<int>::max()) {
    return OutOfRangeError("keyring: DEK versions exhausted");
  }
  const int version = records_.back().version + 1;
  ASSIGN_OR_RETURN(auto dek, NewDek(kek_, random_, version, clock_.NowUnixMillis()));
  // Stage the change, persist it, and only then apply it in memory, so a
  // failed write leaves both views as they were.
  std::vector<Record> next = records_;
  for (Record& r : next) {
    if (r.state == DekState::kActive) r.state = DekState::kDecryptOnly;
  }
  next.push_back(std::move(dek.first));
  ASSIGN_OR_RETURN(const std::string text, Serialize(next));
  RETURN_IF_ERROR(fs_.WriteFileAtomic(path_, text, 0600));
  records_ = std::move(next);
  keys_.emplace(version, std::move(dek.second));
  active_version_ = version;
  return version;
}

Result<bool> Keyring::RotateIfDue() {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t created_ms = 0;
  for (const Record& r : records_) {
    if (r.version == active_version_) created_ms = r.created_ms;
  }
  if (clock_.NowUnixMillis() - created_ms < options_.cryptoperiod.count()) return false;
  RETURN_IF_ERROR(RotateLocked());
  return true;
}

Status Keyring::Retire(int version) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Record> next = records_;
  Record* target = nullptr;
  for (Record& r : next) {
    if (r.version == version) target = &r;
  }
  if (target == nullptr) return NotFoundError("no DEK version " + std::to_string(version));
  if (target->state == DekState::kActive) {
    return FailedPreconditionError("DEK version " + std::to_string(version) +
                                   " is active; rotate first");
  }
  if (target->state == DekState::kRetired) return OkStatus();
  target->state = DekState::kRetired;
  target->wrapped.clear();
  ASSIGN_OR_RETURN(const std::string text, Serialize(next));
  RETURN_IF_ERROR(fs_.WriteFileAtomic(path_, text, 0600));
  records_ = std::move(next);
  keys_.erase(version);  // ~SecretBytes wipes it.
  retirements_.fetch_add(1);
  return OkStatus();
}

std::vector<DekInfo> Keyring::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DekInfo> out;
  out.reserve(records_.size());
  for (const Record& r : records_) {
    out.push_back(
        DekInfo{r.version, r.state, TimePoint(std::chrono::milliseconds(r.created_ms)), r.kcv});
  }
  return out;
}

}  // namespace kura::keyring
