#include "core/config/config.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <set>
#include <toml++/toml.h>
#include <tuple>
#include <utility>

namespace kura {
namespace internal {

struct ConfigState {
  std::string source_name;
  toml::table root;
  // Full dotted keys that a getter found and read.
  std::set<std::string, std::less<>> used;
  // Full dotted keys that a getter asked for, present or not; the
  // vocabulary for "did you mean" hints.
  std::set<std::string, std::less<>> requested;
};

}  // namespace internal

namespace {

using internal::ConfigState;

const toml::table* AsTable(const void* p) { return static_cast<const toml::table*>(p); }
const toml::node* AsNode(const void* p) { return static_cast<const toml::node*>(p); }

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// "file:line" or just "file" when the line is unknown.
std::string Where(const std::string& source, const toml::source_region& region) {
  if (region.begin.line == 0) return source;
  return source + ":" + std::to_string(region.begin.line);
}

std::string JoinKey(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1);
  std::vector<size_t> cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

constexpr std::string_view kDurationHint =
    "a duration such as \"30s\", \"5m\", \"2h\" or \"90d\"";

}  // namespace

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  // At most 9 digits: 999999999d still fits in int64 seconds.
  constexpr size_t kMaxDigits = 9;
  const auto bad = [] { return InvalidArgumentError("expected " + std::string(kDurationHint)); };
  if (text.size() < 2 || text.size() > kMaxDigits + 1) return bad();
  int64_t n = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9') return bad();
    n = n * 10 + (c - '0');
  }
  switch (text.back()) {
    case 's':
      return std::chrono::seconds(n);
    case 'm':
      return std::chrono::seconds(n * 60);
    case 'h':
      return std::chrono::seconds(n * 3600);
    case 'd':
      return std::chrono::seconds(n * 86400);
    default:
      return bad();
  }
}

// --- ConfigTable ---

std::string ConfigTable::FullKey(std::string_view key) const { return JoinKey(path_, key); }

const void* ConfigTable::Lookup(std::string_view key) const {
  std::string full = FullKey(key);
  const toml::node* node = AsTable(table_)->get(key);
  if (node != nullptr) state_->used.insert(full);
  state_->requested.insert(std::move(full));
  return node;
}

bool ConfigTable::Has(std::string_view key) const { return AsTable(table_)->contains(key); }

std::vector<std::string> ConfigTable::Keys() const {
  std::vector<std::string> keys;
  for (const auto& [k, v] : *AsTable(table_)) keys.emplace_back(k.str());
  std::sort(keys.begin(), keys.end());
  return keys;
}

Status ConfigTable::Missing(std::string_view key) const {
  const std::string where =
      path_.empty() ? state_->source_name : Where(state_->source_name, AsTable(table_)->source());
  return InvalidArgumentError(where + ": missing required key '" + FullKey(key) + "'");
}

Status ConfigTable::WrongValue(std::string_view key, const void* node,
                               std::string_view message) const {
  const toml::source_region& region =
      node != nullptr ? AsNode(node)->source() : AsTable(table_)->source();
  return InvalidArgumentError(Where(state_->source_name, region) + ": key '" + FullKey(key) +
                              "': " + std::string(message));
}

Status ConfigTable::Error(std::string_view key, std::string_view message) const {
  return WrongValue(key, AsTable(table_)->get(key), message);
}

Result<std::string> ConfigTable::String(std::string_view key) const {
  const auto* node = AsNode(Lookup(key));
  if (node == nullptr) return Missing(key);
  if (!node->is_string()) {
    return WrongValue(key, node, "expected a string, got " + std::string(TypeName(*node)));
  }
  return node->as_string()->get();
}

Result<std::string> ConfigTable::StringOr(std::string_view key, std::string fallback) const {
  if (!Has(key)) {
    Lookup(key);
    return fallback;
  }
  return String(key);
}

Result<int64_t> ConfigTable::Int(std::string_view key, int64_t min, int64_t max) const {
  const auto* node = AsNode(Lookup(key));
  if (node == nullptr) return Missing(key);
  const std::string expected =
      "expected an integer in " + std::to_string(min) + ".." + std::to_string(max) + ", got ";
  if (!node->is_integer()) return WrongValue(key, node, expected + std::string(TypeName(*node)));
  const int64_t v = node->as_integer()->get();
  if (v < min || v > max) return WrongValue(key, node, expected + std::to_string(v));
  return v;
}

Result<int64_t> ConfigTable::IntOr(std::string_view key, int64_t min, int64_t max,
                                   int64_t fallback) const {
  if (!Has(key)) {
    Lookup(key);
    return fallback;
  }
  return Int(key, min, max);
}

Result<bool> ConfigTable::Bool(std::string_view key) const {
  const auto* node = AsNode(Lookup(key));
  if (node == nullptr) return Missing(key);
  if (!node->is_boolean()) {
    return WrongValue(key, node, "expected a boolean, got " + std::string(TypeName(*node)));
  }
  return node->as_boolean()->get();
}

Result<bool> ConfigTable::BoolOr(std::string_view key, bool fallback) const {
  if (!Has(key)) {
    Lookup(key);
    return fallback;
  }
  return Bool(key);
}

Result<std::vector<std::string>> ConfigTable::StringArray(std::string_view key) const {
  const auto* node = AsNode(Lookup(key));
  if (node == nullptr) return Missing(key);
  const toml::array* arr = node->as_array();
  if (arr == nullptr) {
    return WrongValue(key, node,
                      "expected an array of strings, got " + std::string(TypeName(*node)));
  }
  std::vector<std::string> out;
  out.reserve(arr->size());
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& elem = *arr->get(i);
    if (!elem.is_string()) {
      return WrongValue(key, &elem,
                        "expected an array of strings, element " + std::to_string(i) + " is " +
                            std::string(TypeName(elem)));
    }
    out.push_back(elem.as_string()->get());
  }
  return out;
}

Result<std::vector<std::string>> ConfigTable::StringArrayOr(
    std::string_view key, std::vector<std::string> fallback) const {
  if (!Has(key)) {
    Lookup(key);
    return fallback;
  }
  return StringArray(key);
}

Result<std::chrono::seconds> ConfigTable::Duration(std::string_view key) const {
  const auto* node = AsNode(Lookup(key));
  if (node == nullptr) return Missing(key);
  if (!node->is_string()) {
    return WrongValue(key, node,
                      "expected " + std::string(kDurationHint) + ", got " +
                          std::string(TypeName(*node)));
  }
  Result<std::chrono::seconds> d = ParseDuration(node->as_string()->get());
  if (!d.ok()) return WrongValue(key, node, d.status().message());
  return d;
}

Result<std::chrono::seconds> ConfigTable::DurationOr(std::string_view key,
                                                     std::chrono::seconds fallback) const {
  if (!Has(key)) {
    Lookup(key);
    return fallback;
  }
  return Duration(key);
}

Result<ConfigTable> ConfigTable::Table(std::string_view key) const {
  const auto* node = AsNode(Lookup(key));
  if (node == nullptr) return Missing(key);
  const toml::table* t = node->as_table();
  if (t == nullptr) {
    return WrongValue(key, node, "expected a table, got " + std::string(TypeName(*node)));
  }
  return ConfigTable(state_, t, FullKey(key));
}

Result<std::optional<ConfigTable>> ConfigTable::OptionalTable(std::string_view key) const {
  if (!Has(key)) {
    Lookup(key);
    return std::optional<ConfigTable>();
  }
  ASSIGN_OR_RETURN(ConfigTable t, Table(key));
  return std::optional<ConfigTable>(std::move(t));
}

Result<std::vector<ConfigTable>> ConfigTable::TableArray(std::string_view key) const {
  const auto* node = AsNode(Lookup(key));
  if (node == nullptr) return std::vector<ConfigTable>();
  const toml::array* arr = node->as_array();
  if (arr == nullptr) {
    return WrongValue(key, node,
                      "expected an array of tables, got " + std::string(TypeName(*node)));
  }
  std::vector<ConfigTable> out;
  out.reserve(arr->size());
  const std::string full = FullKey(key);
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& elem = *arr->get(i);
    const toml::table* t = elem.as_table();
    if (t == nullptr) {
      return WrongValue(key, &elem,
                        "expected an array of tables, element " + std::to_string(i) + " is " +
                            std::string(TypeName(elem)));
    }
    out.push_back(ConfigTable(state_, t, full + "[" + std::to_string(i) + "]"));
  }
  return out;
}

// --- ConfigDocument ---

Result<ConfigDocument> ConfigDocument::LoadFile(FileSystem& fs, const std::string& path,
                                                size_t max_bytes) {
  ASSIGN_OR_RETURN(std::string text, fs.ReadFile(path));
  if (text.size() > max_bytes) {
    return InvalidArgumentError(path + ": config file is larger than " +
                                std::to_string(max_bytes) + " bytes");
  }
  return Parse(text, path);
}

Result<ConfigDocument> ConfigDocument::Parse(std::string_view text, std::string source_name) {
  auto state = std::make_shared<ConfigState>();
  state->source_name = std::move(source_name);
  // toml++ reports syntax errors by exception (TOML_EXCEPTIONS) or through
  // parse_result; both end up as the same Status.
  const auto syntax_error = [&state](const toml::parse_error& e) {
    const toml::source_position& pos = e.source().begin;
    return InvalidArgumentError(state->source_name + ":" + std::to_string(pos.line) + ":" +
                                std::to_string(pos.column) + ": " +
                                std::string(e.description()));
  };
#if TOML_EXCEPTIONS
  try {
    state->root = toml::parse(text, state->source_name);
  } catch (const toml::parse_error& e) {
    return syntax_error(e);
  } catch (const std::exception&) {
    return InternalError(state->source_name + ": cannot parse config");
  }
#else
  toml::parse_result result = toml::parse(text, state->source_name);
  if (!result) return syntax_error(result.error());
  state->root = std::move(result).table();
#endif
  return ConfigDocument(std::move(state));
}

ConfigTable ConfigDocument::Root() const { return ConfigTable(state_, &state_->root, ""); }

const std::string& ConfigDocument::source_name() const { return state_->source_name; }

namespace {

struct UnknownKey {
  toml::source_position pos;
  std::string key;
};

// Collects unread keys below `table` (named `path`).
void CollectUnknown(const ConfigState& state, const toml::table& table, const std::string& path,
                    std::vector<UnknownKey>& out) {
  for (const auto& [k, node] : table) {
    const std::string full = JoinKey(path, k.str());
    if (state.used.count(full) == 0) {
      out.push_back(UnknownKey{k.source().begin, full});
      continue;
    }
    if (const toml::table* t = node.as_table()) {
      CollectUnknown(state, *t, full, out);
    } else if (const toml::array* arr = node.as_array()) {
      for (size_t i = 0; i < arr->size(); ++i) {
        if (const toml::table* elem = arr->get(i)->as_table()) {
          CollectUnknown(state, *elem, full + "[" + std::to_string(i) + "]", out);
        }
      }
    }
  }
}

// A requested key in the same table within edit distance 2, if any.
std::string Suggest(const ConfigState& state, const std::string& unknown) {
  const size_t dot = unknown.rfind('.');
  const std::string parent = dot == std::string::npos ? "" : unknown.substr(0, dot + 1);
  const std::string_view leaf = std::string_view(unknown).substr(parent.size());
  std::string best;
  size_t best_distance = 3;
  for (const std::string& r : state.requested) {
    if (!r.starts_with(parent) || r.find('.', parent.size()) != std::string::npos) continue;
    if (state.used.count(r) != 0) continue;  // set in the file already
    const size_t d = EditDistance(leaf, std::string_view(r).substr(parent.size()));
    if (d < best_distance) {
      best_distance = d;
      best = r;
    }
  }
  return best;
}

}  // namespace

Status ConfigDocument::CheckAllKeysUsed() const {
  std::vector<UnknownKey> unknown;
  CollectUnknown(*state_, state_->root, "", unknown);
  if (unknown.empty()) return OkStatus();
  const auto first = std::min_element(
      unknown.begin(), unknown.end(), [](const UnknownKey& a, const UnknownKey& b) {
        return std::tie(a.pos.line, a.pos.column) < std::tie(b.pos.line, b.pos.column);
      });
  std::string msg = state_->source_name;
  if (first->pos.line != 0) msg += ":" + std::to_string(first->pos.line);
  msg += ": unknown key '" + first->key + "'";
  const std::string hint = Suggest(*state_, first->key);
  if (!hint.empty()) msg += " (did you mean '" + hint + "'?)";
  if (unknown.size() > 1) {
    msg += " (and " + std::to_string(unknown.size() - 1) + " more unknown key" +
           (unknown.size() > 2 ? "s" : "") + ")";
  }
  return InvalidArgumentError(std::move(msg));
}

}  // namespace kura
