#include "logs/archive/athena_ddl.h"

#include <string_view>

#include "logs/archive/archive_layout.h"
#include "logs/record/log_record.h"

namespace kura::logs {
namespace {

constexpr size_t kMaxNameBytes = 128;
constexpr size_t kMaxLocationBytes = 1024;

bool IsLowerDigit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameBytes || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    if (!IsLowerDigit(c) && c != '_') return false;
  }
  return true;
}

// S3 bucket naming: 3-63 of [a-z0-9.-], starting and ending with a letter
// or digit.
bool ValidBucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63 || !IsLowerDigit(b.front()) || !IsLowerDigit(b.back())) {
    return false;
  }
  for (char c : b) {
    if (!IsLowerDigit(c) && c != '.' && c != '-') return false;
  }
  return true;
}

bool ValidPrefixChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-' || c == '/' || c == '=' || c == '+';
}

Status ValidateLocation(std::string_view loc) {
  constexpr std::string_view kScheme = "s3://";
  if (loc.size() > kMaxLocationBytes || !loc.starts_with(kScheme)) {
    return InvalidArgumentError("--location must be an s3:// URL (s3://bucket/prefix/)");
  }
  if (!loc.ends_with('/')) return InvalidArgumentError("--location must end with '/'");
  std::string_view rest = loc.substr(kScheme.size());
  const size_t slash = rest.find('/');
  if (!ValidBucket(rest.substr(0, slash))) {
    return InvalidArgumentError("--location: invalid S3 bucket name");
  }
  std::string_view prefix = rest.substr(slash + 1);
  for (char c : prefix) {
    if (!ValidPrefixChar(c)) {
      return InvalidArgumentError(
          "--location: the prefix may only contain letters, digits and . _ - / = +");
    }
  }
  if (prefix.find("//") != std::string_view::npos || prefix.starts_with('/')) {
    return InvalidArgumentError("--location: empty path segment");
  }
  return OkStatus();
}

}  // namespace

Result<std::string> AthenaDdl(const AthenaDdlOptions& o) {
  RETURN_IF_ERROR(ValidateLocation(o.location));
  if (!ValidName(o.database)) {
    return InvalidArgumentError("--database must be 1-128 of [a-z0-9_], not starting with a digit");
  }
  if (!ValidName(o.table)) {
    return InvalidArgumentError("--table must be 1-128 of [a-z0-9_], not starting with a digit");
  }
  if (!IsValidDt(o.from_date)) return InvalidArgumentError("--from-date must be YYYY-MM-DD");
  const std::string data = o.location + std::string(kDataPrefix);
  std::string s;
  s += "-- Kura audit log archive (docs/logs.md \"Athena / Trino\"): zstd JSON Lines,\n";
  s += "-- one object per line; time columns are RFC 3339 UTC strings\n";
  s += "-- (from_iso8601_timestamp(received)); `fields` holds the JSON text of the\n";
  s += "-- event's other fields (json_extract_scalar(fields, '$.details.grant')).\n";
  s += "CREATE EXTERNAL TABLE IF NOT EXISTS `" + o.database + "`.`" + o.table + "` (\n";
  s += "  `seq` bigint,\n  `received` string,\n  `node` string,\n  `source` string,\n";
  s += "  `ts` string,\n";
  for (std::string_view f : kStringFields) s += "  `" + std::string(f) + "` string,\n";
  s += "  `pan_redacted` int,\n  `fields` string\n)\n";
  s += "PARTITIONED BY (`dt` string)\n";
  s += "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n";
  s += "STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'\n";
  s += "  OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n";
  s += "LOCATION '" + data + "'\n";
  s += "TBLPROPERTIES (\n";
  s += "  'projection.enabled' = 'true',\n";
  s += "  'projection.dt.type' = 'date',\n";
  s += "  'projection.dt.format' = 'yyyy-MM-dd',\n";
  s += "  'projection.dt.range' = '" + o.from_date + ",NOW',\n";
  s += "  'projection.dt.interval' = '1',\n";
  s += "  'projection.dt.interval.unit' = 'DAYS',\n";
  s += "  'storage.location.template' = '" + data + "dt=${dt}/'\n";
  s += ");\n";
  return s;
}

}  // namespace kura::logs
