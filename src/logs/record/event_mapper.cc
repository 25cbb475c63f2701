#include "logs/record/event_mapper.h"

#include <cstdint>
#include <cstring>

#include <boost/json.hpp>

#include "core/pan/luhn.h"
#include "core/pan/pan_scanner.h"
#include "logs/record/timestamp.h"

namespace kura::logs {
namespace {

Status Bad(std::string what) { return InvalidArgumentError("event: " + std::move(what)); }

// Integers of 13-19 digits passing Luhn are treated as PANs.
bool LooksLikePanNumber(const std::string& digits) {
  return digits.size() >= 13 && digits.size() <= 19 && pan::LuhnValid(digits);
}

// Masks every string and PAN-like integer in `v`, in place.
void GuardValue(boost::json::value& v, uint32_t* redacted) {
  switch (v.kind()) {
    case boost::json::kind::string: {
      auto& s = v.get_string();
      if (pan::ContainsPan(s)) s = GuardString(s, redacted);
      break;
    }
    case boost::json::kind::int64:
    case boost::json::kind::uint64: {
      const std::string digits = v.is_int64() ? std::to_string(v.get_int64() < 0 ? -v.get_int64() : v.get_int64())
                                              : std::to_string(v.get_uint64());
      if (LooksLikePanNumber(digits)) {
        v = boost::json::string(pan::MaskPan(digits));
        ++*redacted;
      }
      break;
    }
    case boost::json::kind::array:
      for (auto& e : v.get_array()) GuardValue(e, redacted);
      break;
    case boost::json::kind::object: {
      boost::json::object& o = v.get_object();
      boost::json::object guarded(o.storage());
      guarded.reserve(o.size());
      for (auto& kv : o) {
        GuardValue(kv.value(), redacted);
        std::string_view key = kv.key();
        if (pan::ContainsPan(key)) {
          guarded[GuardString(key, redacted)] = std::move(kv.value());
        } else {
          guarded[key] = std::move(kv.value());
        }
      }
      o = std::move(guarded);
      break;
    }
    default:
      break;
  }
}

}  // namespace

std::string GuardString(std::string_view text, uint32_t* redacted) {
  size_t n = 0;
  std::string out = pan::MaskPans(text, &n);
  *redacted += static_cast<uint32_t>(n);
  return out;
}

bool IsValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // ASCII (most log text) 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= n) break;
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

Result<LogRecord> RecordFromJsonEvent(std::string_view json, const EventContext& context) {
  if (json.empty()) return Bad("empty line");
  if (json.size() > kMaxEventBytes) {
    return Bad("larger than " + std::to_string(kMaxEventBytes) + " bytes");
  }
  // Boost.JSON rejects invalid UTF-8 in strings; check first for a clearer error.
  if (!IsValidUtf8(json)) return Bad("not valid UTF-8");
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  if (ec) return Bad("invalid JSON (" + ec.message() + ")");
  if (!v.is_object()) return Bad("not a JSON object");

  LogRecord r;
  r.received_ms = context.received_ms;
  r.ts_ms = context.received_ms;
  r.node = std::string(context.node);
  r.source = std::string(context.source);
  GuardValue(v, &r.pan_redacted);

  boost::json::object rest;
  bool have_ts = false;
  for (auto& kv : v.get_object()) {
    const std::string_view key = kv.key();
    boost::json::value& value = kv.value();
    if (value.is_string() && !have_ts && (key == "ts" || key == "time" || key == "timestamp")) {
      auto t = ParseTimestamp(value.get_string());
      if (!t.ok()) return Bad("field '" + std::string(key) + "': " + t.status().message());
      r.ts_ms = *t;
      have_ts = true;
      continue;
    }
    if (value.is_string()) {
      std::string_view name = key == "type" && r.event.empty() ? "event" : key;
      bool mapped = false;
      for (size_t i = 0; i < kStringFields.size(); ++i) {
        if (kStringFields[i] != name) continue;
        std::string& dst = r.*StringFieldMember(i);
        if (dst.empty()) {
          dst.assign(value.get_string().data(), value.get_string().size());
          mapped = true;
        }
        break;
      }
      if (mapped) continue;
    }
    rest[key] = std::move(value);
  }
  if (!rest.empty()) r.fields_json = boost::json::serialize(rest);
  return r;
}

}  // namespace kura::logs
