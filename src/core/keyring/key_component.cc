#include "core/keyring/key_component.h"

#include <array>
#include <charconv>
#include <optional>

#include "core/crypto/constant_time.h"
#include "core/crypto/encoding.h"
#include "core/crypto/key_wrap.h"

namespace kura::keyring {
namespace {

constexpr size_t kKcvLength = 6;

bool IsHex(std::string_view s) {
  for (char c : s) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsKcv(std::string_view s) { return s.size() == kKcvLength && IsHex(s); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<int> ParseInt(std::string_view s) {
  int v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

Status CheckCounts(int index, int threshold, int custodians) {
  if (custodians < kMinThreshold || custodians > kMaxShares) {
    return InvalidArgumentError("component: field 'custodians' must be 2.." +
                                std::to_string(kMaxShares));
  }
  if (threshold < kMinThreshold || threshold > custodians) {
    return InvalidArgumentError("component: field 'threshold' must be 2..custodians");
  }
  if (index < 1 || index > custodians) {
    return InvalidArgumentError("component: field 'index' must be 1..custodians");
  }
  return OkStatus();
}

enum Field { kMagic, kKeyId, kIndex, kThreshold, kCustodians, kShare, kShareKcv, kKekKcv, kCount };
constexpr std::array<std::string_view, kCount> kFieldNames = {
    "kura-key-component", "key-id", "index",     "threshold",
    "custodians",         "share",  "share-kcv", "kek-kcv"};

Status MissingField(Field f) {
  return InvalidArgumentError("component: missing field '" + std::string(kFieldNames[f]) + "'");
}
Status BadField(Field f, std::string_view why) {
  return InvalidArgumentError("component: field '" + std::string(kFieldNames[f]) + "' " +
                              std::string(why));
}

}  // namespace

bool IsValidKeyId(std::string_view key_id) {
  if (key_id.empty() || key_id.size() > kMaxKeyIdLength) return false;
  for (char c : key_id) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<KeyComponent> MakeComponent(std::string_view key_id, const Share& share, int threshold,
                                   int custodians, std::string_view kek_kcv) {
  if (!IsValidKeyId(key_id)) return BadField(kKeyId, "is not a valid key id");
  if (share.y.size() != kKekSize) return BadField(kShare, "must be 32 bytes");
  if (!IsKcv(kek_kcv)) return BadField(kKekKcv, "must be 6 hex characters");
  RETURN_IF_ERROR(CheckCounts(share.x, threshold, custodians));
  KeyComponent c;
  c.key_id = std::string(key_id);
  c.index = share.x;
  c.threshold = threshold;
  c.custodians = custodians;
  c.share = share.y.Clone();
  ASSIGN_OR_RETURN(c.share_kcv, crypto::KeyCheckValue(c.share));
  c.kek_kcv = ToLower(kek_kcv);
  return c;
}

SecretBytes FormatComponent(const KeyComponent& c) {
  std::string hex = crypto::HexEncode(c.share.span());
  // Reserve up front so appending never reallocates and leaves a stray copy
  // of the share in freed memory.
  std::string text;
  text.reserve(512 + c.key_id.size() + hex.size());
  text += "# Kura key component \xE2\x80\x94 custodian " + std::to_string(c.index) + " of " +
          std::to_string(c.custodians) + " (threshold " + std::to_string(c.threshold) +
          "). Keep offline; never share.\n";
  text += "kura-key-component: ";
  text += kComponentMagic;
  text += "\nkey-id: " + c.key_id;
  text += "\nindex: " + std::to_string(c.index);
  text += "\nthreshold: " + std::to_string(c.threshold);
  text += "\ncustodians: " + std::to_string(c.custodians);
  text += "\nshare: ";
  text += hex;
  text += "\nshare-kcv: " + c.share_kcv;
  text += "\nkek-kcv: " + c.kek_kcv;
  text += "\n";
  SecretBytes out = SecretBytes::FromString(text);
  SecureZero(text.data(), text.size());
  SecureZero(hex.data(), hex.size());
  return out;
}

Result<KeyComponent> ParseComponent(std::string_view text) {
  if (text.size() > kMaxComponentTextSize) {
    return InvalidArgumentError("component: text is too large");
  }
  std::array<std::optional<std::string_view>, kCount> values;
  int line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return InvalidArgumentError("component: line " + std::to_string(line_no) +
                                  " is not 'field: value'");
    }
    const std::string_view name = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    bool known = false;
    for (int f = 0; f < kCount; ++f) {
      if (name != kFieldNames[f]) continue;
      known = true;
      if (values[f]) {
        return InvalidArgumentError("component: field '" + std::string(kFieldNames[f]) +
                                    "' appears twice");
      }
      values[f] = value;
    }
    // The unknown name is not echoed: a custodian may have pasted key
    // material into the wrong place.
    if (!known) {
      return InvalidArgumentError("component: unknown field on line " + std::to_string(line_no));
    }
  }
  for (int f = 0; f < kCount; ++f) {
    if (!values[f]) return MissingField(static_cast<Field>(f));
  }
  if (*values[kMagic] != kComponentMagic) {
    return BadField(kMagic, "has an unsupported version (want v1)");
  }

  KeyComponent c;
  if (!IsValidKeyId(*values[kKeyId])) return BadField(kKeyId, "is not a valid key id");
  c.key_id = std::string(*values[kKeyId]);
  const std::optional<int> index = ParseInt(*values[kIndex]);
  if (!index) return BadField(kIndex, "is not a number");
  const std::optional<int> threshold = ParseInt(*values[kThreshold]);
  if (!threshold) return BadField(kThreshold, "is not a number");
  const std::optional<int> custodians = ParseInt(*values[kCustodians]);
  if (!custodians) return BadField(kCustodians, "is not a number");
  RETURN_IF_ERROR(CheckCounts(*index, *threshold, *custodians));
  c.index = *index;
  c.threshold = *threshold;
  c.custodians = *custodians;

  const std::string_view share_hex = *values[kShare];
  if (share_hex.size() != 2 * kKekSize || !IsHex(share_hex)) {
    return BadField(kShare, "must be 64 hex characters");
  }
  Result<std::string> decoded = crypto::HexDecode(share_hex);
  if (!decoded.ok()) return BadField(kShare, "must be 64 hex characters");
  c.share = SecretBytes::FromString(*decoded);
  SecureZero(decoded->data(), decoded->size());

  if (!IsKcv(*values[kShareKcv])) return BadField(kShareKcv, "must be 6 hex characters");
  if (!IsKcv(*values[kKekKcv])) return BadField(kKekKcv, "must be 6 hex characters");
  c.share_kcv = ToLower(*values[kShareKcv]);
  c.kek_kcv = ToLower(*values[kKekKcv]);

  ASSIGN_OR_RETURN(const std::string actual_kcv, crypto::KeyCheckValue(c.share));
  if (!crypto::ConstantTimeEquals(std::string_view(actual_kcv), std::string_view(c.share_kcv))) {
    return DataLossError("component " + std::to_string(c.index) +
                         ": check value mismatch (mistyped or corrupted)");
  }
  return c;
}

}  // namespace kura::keyring
