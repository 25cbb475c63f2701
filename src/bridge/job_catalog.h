// JobCatalog: the CDE-side list of jobs the bridge may run, with the exact
// params each accepts (docs/bridge.md, "Job catalog"). Anything not in the
// catalog is rejected; the submitter cannot name executables or arguments.
//
//   [[jobs]]
//   name = "nightly-export"
//   kind = "exec"                     # or "builtin"
//   executable = "/opt/kura/bin/export"   # absolute; exec only
//   args = ["--date", "{date}"]       # "{param}" elements are replaced whole
//   builtin = "tokenize-file"         # builtin only
//   idempotent = false                # may a killed run be re-run?
//   timeout = "30m"
//   max_output_bytes = 65536          # exec only: captured stdout+stderr
//   [[jobs.params]]
//   name = "date"
//   type = "string"                   # string | int | enum
//   pattern = "[0-9]{4}-[0-9]{2}-[0-9]{2}"   # whole-value ECMAScript regex
//   max_length = 10
//   values = ["a", "b"]               # enum only
//   min = 0, max = 100                # int only
//   required = true
//
// Thread safety: immutable after loading; ValidateParams is const.
#ifndef KURA_BRIDGE_JOB_CATALOG_H_
#define KURA_BRIDGE_JOB_CATALOG_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/config/config.h"

namespace kura::bridge {

inline constexpr std::chrono::seconds kDefaultJobTimeout{3600};
inline constexpr size_t kDefaultMaxOutputBytes = 64 * 1024;
inline constexpr size_t kDefaultParamMaxLength = 256;

enum class JobKind { kBuiltin, kExec };
enum class ParamType { kString, kInt, kEnum };

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kString;
  std::string pattern;  // "" = no pattern (strings still checked for bytes)
  std::shared_ptr<const std::regex> regex;
  size_t max_length = kDefaultParamMaxLength;
  std::vector<std::string> values;  // enum
  int64_t min = INT64_MIN;          // int
  int64_t max = INT64_MAX;          // int
  bool required = true;
};

struct JobSpec {
  std::string name;
  JobKind kind = JobKind::kBuiltin;
  std::string builtin;            // builtin name
  std::string executable;         // absolute path
  std::vector<std::string> args;  // templates
  bool idempotent = false;
  std::chrono::seconds timeout = kDefaultJobTimeout;
  size_t max_output_bytes = kDefaultMaxOutputBytes;
  std::vector<ParamSpec> params;
};

class JobCatalog {
 public:
  JobCatalog() = default;
  explicit JobCatalog(std::vector<JobSpec> jobs);

  // Reads the [[jobs]] array of `root` (every key is read, so the caller's
  // CheckAllKeysUsed catches typos). kInvalidArgument with file:line for a
  // bad entry (bad regex, relative executable, "{x}" naming no param, ...).
  static Result<JobCatalog> Load(const ConfigTable& root);

  // nullptr if `name` is not catalogued.
  const JobSpec* Find(const std::string& name) const;

  // OK iff `params` has exactly the declared params (required ones present,
  // no extras) and each value matches its type, length, pattern / values /
  // range. Every value is also refused if it contains a NUL or other control
  // byte. kInvalidArgument naming the param (never its value).
  static Status ValidateParams(const JobSpec& job,
                               const std::map<std::string, std::string>& params);

  // The argv for an exec job: executable, then args with each "{p}" element
  // replaced by the param's value ("" if an optional param is absent).
  static std::vector<std::string> BuildArgv(const JobSpec& job,
                                            const std::map<std::string, std::string>& params);

 private:
  std::map<std::string, JobSpec> jobs_;
};

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_JOB_CATALOG_H_
