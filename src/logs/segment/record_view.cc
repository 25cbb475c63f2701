#include "logs/segment/record_view.h"

#include <charconv>
#include <cstring>

namespace kura::logs {
namespace {

Status Bad(std::string_view what) { return DataLossError("record: " + std::string(what)); }

bool IsWs(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Finds the closing quote of a string whose contents start at `pos`; sets
// *had_escape. npos if unterminated.
size_t StringEnd(std::string_view s, size_t pos, bool* had_escape) {
  *had_escape = false;
  while (true) {
    const void* q = std::memchr(s.data() + pos, '"', s.size() - pos);
    if (q == nullptr) return std::string_view::npos;
    size_t end = static_cast<size_t>(static_cast<const char*>(q) - s.data());
    // Count the backslashes right before the quote: odd = escaped quote.
    size_t b = end;
    while (b > pos && s[b - 1] == '\\') --b;
    if (std::memchr(s.data() + pos, '\\', end - pos) != nullptr) *had_escape = true;
    if ((end - b) % 2 == 0) return end;
    pos = end + 1;
  }
}

// Skips a nested object/array starting at `pos` (at '{' or '['); returns the
// index after its closing bracket, npos if unbalanced.
size_t SkipNested(std::string_view s, size_t pos) {
  int depth = 0;
  bool esc = false;
  for (size_t i = pos; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      size_t end = StringEnd(s, i + 1, &esc);
      if (end == std::string_view::npos) return end;
      i = end;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool ParseHex4(std::string_view s, size_t pos, uint32_t* v) {
  if (pos + 4 > s.size()) return false;
  uint32_t r = 0;
  for (size_t i = pos; i < pos + 4; ++i) {
    char c = s[i];
    r <<= 4;
    if (c >= '0' && c <= '9') r |= static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') r |= static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') r |= static_cast<uint32_t>(c - 'A' + 10);
    else return false;
  }
  *v = r;
  return true;
}

}  // namespace

std::string_view TextFieldName(size_t id) {
  if (id < kStringFields.size()) return kStringFields[id];
  return id == kNodeFieldId ? "node" : "source";
}

std::optional<size_t> TextFieldId(std::string_view name) {
  for (size_t i = 0; i < kTextFieldCount; ++i) {
    if (TextFieldName(i) == name) return i;
  }
  return std::nullopt;
}

void UnescapeJsonString(std::string_view s, std::string* out) {
  out->clear();
  out->reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' || i + 1 >= s.size()) {
      out->push_back(c);
      continue;
    }
    char e = s[++i];
    switch (e) {
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'u': {
        uint32_t cp = 0;
        if (!ParseHex4(s, i + 1, &cp)) {
          out->append("\\u");
          break;
        }
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 2 < s.size() && s[i + 1] == '\\' &&
            s[i + 2] == 'u') {
          uint32_t lo = 0;
          if (ParseHex4(s, i + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        AppendUtf8(cp, out);
        break;
      }
      default: out->push_back(e);  // '"', '\\', '/'
    }
  }
}

std::string_view RecordView::Text(size_t id, std::string* scratch) const {
  if (!escaped[id]) return raw[id];
  UnescapeJsonString(raw[id], scratch);
  return *scratch;
}

Result<RecordView> ScanRecord(std::string_view s) {
  RecordView v;
  bool have_seq = false;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < s.size() && IsWs(s[i])) ++i;
  };
  skip_ws();
  if (i >= s.size() || s[i] != '{') return Bad("not a JSON object");
  ++i;
  skip_ws();
  if (i < s.size() && s[i] == '}') return Bad("missing seq");
  while (true) {
    skip_ws();
    if (i >= s.size() || s[i] != '"') return Bad("expected a key");
    bool esc = false;
    size_t kend = StringEnd(s, i + 1, &esc);
    if (kend == std::string_view::npos) return Bad("unterminated key");
    std::string_view key = s.substr(i + 1, kend - i - 1);
    i = kend + 1;
    skip_ws();
    if (i >= s.size() || s[i] != ':') return Bad("expected ':'");
    ++i;
    skip_ws();
    if (i >= s.size()) return Bad("truncated");
    const char c = s[i];
    if (c == '"') {
      size_t vend = StringEnd(s, i + 1, &esc);
      if (vend == std::string_view::npos) return Bad("unterminated string");
      std::string_view val = s.substr(i + 1, vend - i - 1);
      i = vend + 1;
      if (key == "received") {
        if (esc) return Bad("bad received");
        v.received = val;
      } else if (auto id = TextFieldId(key)) {
        v.raw[*id] = val;
        v.escaped[*id] = esc;
      }
    } else if (c == '{' || c == '[') {
      size_t end = SkipNested(s, i);
      if (end == std::string_view::npos) return Bad("unbalanced brackets");
      if (key == "fields" && c == '{') v.fields_json = s.substr(i, end - i);
      i = end;
    } else {
      size_t start = i;
      while (i < s.size() && s[i] != ',' && s[i] != '}' && !IsWs(s[i])) ++i;
      std::string_view tok = s.substr(start, i - start);
      if (tok.empty()) return Bad("missing value");
      if (key == "seq") {
        auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v.seq);
        if (ec != std::errc() || p != tok.data() + tok.size()) return Bad("bad seq");
        have_seq = true;
      }
    }
    skip_ws();
    if (i >= s.size()) return Bad("truncated");
    if (s[i] == ',') {
      ++i;
      continue;
    }
    if (s[i] != '}') return Bad("expected ',' or '}'");
    ++i;
    break;
  }
  skip_ws();
  if (i != s.size()) return Bad("trailing bytes");
  if (!have_seq) return Bad("missing seq");
  if (v.received.empty()) return Bad("missing received");
  return v;
}

}  // namespace kura::logs
