// ConfigDocument / ConfigTable: strict, typed access to a TOML config file.
//
// Every part loads its config the same way:
//
//   ASSIGN_OR_RETURN(ConfigDocument doc, ConfigDocument::LoadFile(fs, path));
//   ASSIGN_OR_RETURN(ConfigTable vault, doc.Root().Table("vault"));
//   ASSIGN_OR_RETURN(int64_t port, vault.IntOr("port", 1, 65535, 8443));
//   ASSIGN_OR_RETURN(std::string dir, vault.String("data_dir"));
//   ...                                // read every key the part knows
//   RETURN_IF_ERROR(doc.CheckAllKeysUsed());  // then reject typos
//
// Getters record which keys were read; CheckAllKeysUsed() fails on the first
// key (in file order) nobody read, so "prot = 8443" is an error instead of a
// silently ignored setting.
//
// Every error is kInvalidArgument and names the file, the line and the full
// dotted key, e.g.
//   vault.toml:12: key 'vault.port': expected an integer in 1..65535, got string
//   vault.toml:3: missing required key 'vault.data_dir'
//   vault.toml:7: unknown key 'vault.prot' (did you mean 'vault.port'?)
// Elements of arrays of tables are named "zones[0].name". Error messages
// never repeat string values (a config may hold secrets or paths to them);
// integers out of range are repeated.
//
// Keys passed to getters are single TOML keys (no dots); use Table() to go
// down a level.
//
// Thread safety: a ConfigDocument and the ConfigTables taken from it share
// state without locking; load config from one thread. ConfigTables keep the
// document's data alive (they may outlive the ConfigDocument).
#ifndef KURA_CORE_CONFIG_CONFIG_H_
#define KURA_CORE_CONFIG_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/fs/file_system.h"

namespace kura {

// Config files are small; anything larger is a mistake or an attack.
inline constexpr size_t kMaxConfigFileBytes = 1 << 20;

namespace internal {
struct ConfigState;
}  // namespace internal

// A view of one TOML table (the root, a [section], an inline table or one
// element of an [[array]]). Cheap to copy.
class ConfigTable {
 public:
  // Dotted name of this table: "" for the root, "vault", "zones[0]".
  const std::string& path() const { return path_; }

  // True iff `key` is present (any type). Does not count as reading it.
  bool Has(std::string_view key) const;

  // The table's keys, sorted. Does not count as reading them; for tables
  // whose keys are names chosen by the operator (e.g. [zones.<name>]).
  std::vector<std::string> Keys() const;

  // Required string. Missing -> "missing required key"; wrong type ->
  // "expected a string, got <type>".
  Result<std::string> String(std::string_view key) const;
  // Optional string: `fallback` if missing; wrong type is still an error.
  Result<std::string> StringOr(std::string_view key, std::string fallback) const;

  // Required integer in [min, max].
  Result<int64_t> Int(std::string_view key, int64_t min, int64_t max) const;
  // Optional integer in [min, max]; `fallback` (not range-checked) if missing.
  Result<int64_t> IntOr(std::string_view key, int64_t min, int64_t max, int64_t fallback) const;

  Result<bool> Bool(std::string_view key) const;
  Result<bool> BoolOr(std::string_view key, bool fallback) const;

  // An array whose elements are all strings (may be empty).
  Result<std::vector<std::string>> StringArray(std::string_view key) const;
  Result<std::vector<std::string>> StringArrayOr(std::string_view key,
                                                 std::vector<std::string> fallback) const;

  // A duration written as a string: a non-negative integer and a unit,
  // s(econds), m(inutes), h(ours) or d(ays): "30s", "5m", "2h", "90d".
  Result<std::chrono::seconds> Duration(std::string_view key) const;
  Result<std::chrono::seconds> DurationOr(std::string_view key,
                                          std::chrono::seconds fallback) const;

  // A required sub-table ([vault] or vault = { ... }).
  Result<ConfigTable> Table(std::string_view key) const;
  // std::nullopt if missing; an error if present but not a table.
  Result<std::optional<ConfigTable>> OptionalTable(std::string_view key) const;
  // The elements of an array of tables ([[zones]]); empty if missing (an
  // absent list is an empty list). Errors if any element is not a table.
  Result<std::vector<ConfigTable>> TableArray(std::string_view key) const;

  // For a loader's own semantic checks: kInvalidArgument
  // "<file>:<line>: key '<path.key>': <message>" (line of the value if
  // present, else of this table if known).
  Status Error(std::string_view key, std::string_view message) const;

 private:
  friend class ConfigDocument;
  ConfigTable(std::shared_ptr<internal::ConfigState> state, const void* table, std::string path)
      : state_(std::move(state)), table_(table), path_(std::move(path)) {}

  std::string FullKey(std::string_view key) const;
  // Marks `key` read; returns its node (opaque toml::node*) or nullptr.
  const void* Lookup(std::string_view key) const;
  Status Missing(std::string_view key) const;
  Status WrongValue(std::string_view key, const void* node, std::string_view message) const;

  std::shared_ptr<internal::ConfigState> state_;
  const void* table_;  // const toml::table*, owned by state_
  std::string path_;
};

// A parsed TOML document plus the record of which keys were read.
class ConfigDocument {
 public:
  // Reads and parses `path` through `fs`. Errors: those of
  // FileSystem::ReadFile (kNotFound, ...); kInvalidArgument if the file is
  // larger than `max_bytes` or is not valid TOML ("path:line:col: what").
  static Result<ConfigDocument> LoadFile(FileSystem& fs, const std::string& path,
                                         size_t max_bytes = kMaxConfigFileBytes);

  // Parses `text`; `source_name` (usually the file name) prefixes errors.
  // kInvalidArgument "source:line:col: what" on a syntax error.
  static Result<ConfigDocument> Parse(std::string_view text, std::string source_name);

  // The top-level table.
  ConfigTable Root() const;

  const std::string& source_name() const;

  // OK iff every key in the document was read through a getter (tables via
  // Table/OptionalTable/TableArray, then their keys in turn). Otherwise
  // kInvalidArgument naming the first unread key in file order, e.g.
  // "vault.toml:7: unknown key 'vault.prot' (did you mean 'vault.port'?)".
  Status CheckAllKeysUsed() const;

 private:
  explicit ConfigDocument(std::shared_ptr<internal::ConfigState> state)
      : state_(std::move(state)) {}

  std::shared_ptr<internal::ConfigState> state_;
};

// Parses a duration string as accepted by ConfigTable::Duration. Exposed for
// command-line flags. kInvalidArgument (message without the input) if bad.
Result<std::chrono::seconds> ParseDuration(std::string_view text);

}  // namespace kura

#endif  // KURA_CORE_CONFIG_CONFIG_H_
