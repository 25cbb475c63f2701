#include "bridge/job_catalog.h"

#include <charconv>

#include "bridge/request.h"

namespace kura::bridge {

JobCatalog::JobCatalog(std::vector<JobSpec> jobs) {
  for (JobSpec& j : jobs) jobs_.emplace(j.name, std::move(j));
}

const JobSpec* JobCatalog::Find(const std::string& name) const {
  auto it = jobs_.find(name);
  return it == jobs_.end() ? nullptr : &it->second;
}

namespace {

bool IsTemplate(const std::string& arg) {
  return arg.size() > 2 && arg.front() == '{' && arg.back() == '}';
}

Result<ParamSpec> LoadParam(const ConfigTable& t) {
  ParamSpec p;
  ASSIGN_OR_RETURN(p.name, t.String("name"));
  if (!IsValidIdentifier(p.name) || p.name.size() > kMaxParamNameBytes) {
    return t.Error("name", "must be 1-64 characters of [A-Za-z0-9._:-]");
  }
  ASSIGN_OR_RETURN(std::string type, t.StringOr("type", "string"));
  if (type == "string") {
    p.type = ParamType::kString;
  } else if (type == "int") {
    p.type = ParamType::kInt;
  } else if (type == "enum") {
    p.type = ParamType::kEnum;
  } else {
    return t.Error("type", "must be one of string, int, enum");
  }
  ASSIGN_OR_RETURN(p.pattern, t.StringOr("pattern", ""));
  if (!p.pattern.empty()) {
    try {
      p.regex = std::make_shared<const std::regex>(p.pattern, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return t.Error("pattern", "is not a valid regular expression");
    }
  }
  ASSIGN_OR_RETURN(int64_t max_len, t.IntOr("max_length", 1, kMaxParamValueBytes,
                                            static_cast<int64_t>(kDefaultParamMaxLength)));
  p.max_length = static_cast<size_t>(max_len);
  ASSIGN_OR_RETURN(p.values, t.StringArrayOr("values", {}));
  if (p.type == ParamType::kEnum && p.values.empty()) return t.Error("values", "enum needs values");
  ASSIGN_OR_RETURN(p.min, t.IntOr("min", INT64_MIN, INT64_MAX, INT64_MIN));
  ASSIGN_OR_RETURN(p.max, t.IntOr("max", INT64_MIN, INT64_MAX, INT64_MAX));
  ASSIGN_OR_RETURN(p.required, t.BoolOr("required", true));
  return p;
}

Result<JobSpec> LoadJob(const ConfigTable& t) {
  JobSpec j;
  ASSIGN_OR_RETURN(j.name, t.String("name"));
  if (!IsValidIdentifier(j.name)) return t.Error("name", "must be 1-128 of [A-Za-z0-9._:-]");
  ASSIGN_OR_RETURN(std::string kind, t.String("kind"));
  ASSIGN_OR_RETURN(j.builtin, t.StringOr("builtin", ""));
  ASSIGN_OR_RETURN(j.executable, t.StringOr("executable", ""));
  ASSIGN_OR_RETURN(j.args, t.StringArrayOr("args", {}));
  if (kind == "builtin") {
    j.kind = JobKind::kBuiltin;
    if (j.builtin.empty()) return t.Error("builtin", "required for kind = \"builtin\"");
    if (!j.executable.empty() || !j.args.empty()) {
      return t.Error("executable", "only for kind = \"exec\"");
    }
  } else if (kind == "exec") {
    j.kind = JobKind::kExec;
    if (j.executable.empty() || j.executable.front() != '/') {
      return t.Error("executable", "must be an absolute path");
    }
    if (!j.builtin.empty()) return t.Error("builtin", "only for kind = \"builtin\"");
  } else {
    return t.Error("kind", "must be \"builtin\" or \"exec\"");
  }
  ASSIGN_OR_RETURN(j.idempotent, t.BoolOr("idempotent", false));
  ASSIGN_OR_RETURN(j.timeout, t.DurationOr("timeout", kDefaultJobTimeout));
  if (j.timeout.count() == 0) return t.Error("timeout", "must be positive");
  ASSIGN_OR_RETURN(int64_t max_out, t.IntOr("max_output_bytes", 0, 64 << 20,
                                            static_cast<int64_t>(kDefaultMaxOutputBytes)));
  j.max_output_bytes = static_cast<size_t>(max_out);
  ASSIGN_OR_RETURN(std::vector<ConfigTable> params, t.TableArray("params"));
  for (const ConfigTable& pt : params) {
    ASSIGN_OR_RETURN(ParamSpec p, LoadParam(pt));
    for (const ParamSpec& other : j.params) {
      if (other.name == p.name) return pt.Error("name", "duplicate param");
    }
    j.params.push_back(std::move(p));
  }
  for (const std::string& arg : j.args) {
    if (!IsTemplate(arg)) continue;
    const std::string name = arg.substr(1, arg.size() - 2);
    bool found = false;
    for (const ParamSpec& p : j.params) found = found || p.name == name;
    if (!found) return t.Error("args", "names a param that is not declared");
  }
  return j;
}

}  // namespace

Result<JobCatalog> JobCatalog::Load(const ConfigTable& root) {
  ASSIGN_OR_RETURN(std::vector<ConfigTable> tables, root.TableArray("jobs"));
  std::vector<JobSpec> jobs;
  for (const ConfigTable& t : tables) {
    ASSIGN_OR_RETURN(JobSpec j, LoadJob(t));
    for (const JobSpec& other : jobs) {
      if (other.name == j.name) return t.Error("name", "duplicate job name");
    }
    jobs.push_back(std::move(j));
  }
  return JobCatalog(std::move(jobs));
}

Status JobCatalog::ValidateParams(const JobSpec& job,
                                  const std::map<std::string, std::string>& params) {
  for (const auto& [name, value] : params) {
    const ParamSpec* spec = nullptr;
    for (const ParamSpec& p : job.params) {
      if (p.name == name) spec = &p;
    }
    // The name is safe to repeat: the request parser allows only
    // [A-Za-z0-9._:-] in names.
    if (spec == nullptr) return InvalidArgumentError("param '" + name + "' is not declared");
    const std::string where = "param '" + name + "': ";
    if (value.size() > spec->max_length) return InvalidArgumentError(where + "too long");
    for (unsigned char c : value) {
      if (c < 0x20 || c == 0x7f) return InvalidArgumentError(where + "contains a control byte");
    }
    switch (spec->type) {
      case ParamType::kString:
        break;
      case ParamType::kInt: {
        int64_t n = 0;
        const char* end = value.data() + value.size();
        auto [ptr, ec] = std::from_chars(value.data(), end, n);
        if (value.empty() || ec != std::errc() || ptr != end) {
          return InvalidArgumentError(where + "not an integer");
        }
        if (n < spec->min || n > spec->max) return InvalidArgumentError(where + "out of range");
        break;
      }
      case ParamType::kEnum: {
        bool found = false;
        for (const std::string& v : spec->values) found = found || v == value;
        if (!found) return InvalidArgumentError(where + "not one of the allowed values");
        break;
      }
    }
    if (spec->regex != nullptr && !std::regex_match(value, *spec->regex)) {
      return InvalidArgumentError(where + "does not match the declared pattern");
    }
  }
  for (const ParamSpec& p : job.params) {
    if (p.required && params.find(p.name) == params.end()) {
      return InvalidArgumentError("param '" + p.name + "' is required");
    }
  }
  return OkStatus();
}

std::vector<std::string> JobCatalog::BuildArgv(const JobSpec& job,
                                               const std::map<std::string, std::string>& params) {
  std::vector<std::string> argv{job.executable};
  for (const std::string& arg : job.args) {
    if (IsTemplate(arg)) {
      auto it = params.find(arg.substr(1, arg.size() - 2));
      argv.push_back(it == params.end() ? std::string() : it->second);
    } else {
      argv.push_back(arg);
    }
  }
  return argv;
}

}  // namespace kura::bridge
