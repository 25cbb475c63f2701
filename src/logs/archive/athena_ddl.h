// The Athena / Trino table over the archive's data objects: `kura logs
// athena-ddl` prints a CREATE EXTERNAL TABLE (JSON SerDe over the zstd JSON
// Lines segments under <location>data/, partitioned by dt with partition
// projection, so no MSCK REPAIR / ADD PARTITION is ever needed).
//
// The location, table and database names are pasted into SQL and are
// therefore validated strictly: location "s3://<bucket>/<prefix>/" (bucket
// per S3 naming rules, prefix of [A-Za-z0-9._-/=+] segments, ending in
// '/'), names of [a-z0-9_] (1-128 characters, not starting with a digit),
// from_date a canonical YYYY-MM-DD. Anything else is kInvalidArgument.
//
// Thread safety: free function.
#ifndef KURA_LOGS_ARCHIVE_ATHENA_DDL_H_
#define KURA_LOGS_ARCHIVE_ATHENA_DDL_H_

#include <string>

#include "core/base/status.h"

namespace kura::logs {

struct AthenaDdlOptions {
  std::string location;  // "s3://bucket/prefix/" (the archive's root)
  std::string database = "kura";
  std::string table = "audit_logs";
  std::string from_date = "2025-01-01";  // first dt of the projection range
};

Result<std::string> AthenaDdl(const AthenaDdlOptions& options);

}  // namespace kura::logs

#endif  // KURA_LOGS_ARCHIVE_ATHENA_DDL_H_
