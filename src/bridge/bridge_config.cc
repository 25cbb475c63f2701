#include "bridge/bridge_config.h"

#include "bridge/request.h"
#include "core/config/config.h"

namespace kura::bridge {

std::string BridgeRunnerConfig::InDataDir(const std::string& p) const {
  if (p.empty() || p.front() == '/') return p;
  return JoinPath(data_dir, p);
}

Result<BridgeRunnerConfig> LoadBridgeRunnerConfig(FileSystem& fs, const std::string& path) {
  ASSIGN_OR_RETURN(ConfigDocument doc, ConfigDocument::LoadFile(fs, path));
  BridgeRunnerConfig c;
  c.source = path;
  ASSIGN_OR_RETURN(ConfigTable b, doc.Root().Table("bridge"));
  ASSIGN_OR_RETURN(c.drop_zone, b.String("drop_zone"));
  ASSIGN_OR_RETURN(c.data_dir, b.String("data_dir"));
  if (c.data_dir.empty() || c.data_dir.front() != '/') {
    return b.Error("data_dir", "must be an absolute path");
  }
  ASSIGN_OR_RETURN(c.runner_id, b.StringOr("runner_id", c.runner_id));
  if (!IsValidIdentifier(c.runner_id)) return b.Error("runner_id", "must be [A-Za-z0-9._:-]+");
  ASSIGN_OR_RETURN(c.signing_key_file, b.String("signing_key_file"));
  ASSIGN_OR_RETURN(c.database_file, b.StringOr("database_file", c.database_file));
  ASSIGN_OR_RETURN(c.work_dir, b.StringOr("work_dir", c.work_dir));
  ASSIGN_OR_RETURN(c.audit_file, b.StringOr("audit_file", c.audit_file));
  ASSIGN_OR_RETURN(c.audit_stdout, b.BoolOr("audit_stdout", false));
  ASSIGN_OR_RETURN(int64_t poll, b.IntOr("poll_interval_ms", 10, 60'000, 250));
  c.poll_interval = std::chrono::milliseconds(poll);
  ASSIGN_OR_RETURN(int64_t max_jobs, b.IntOr("max_concurrent_jobs", 1, kMaxConcurrentJobs, 1));
  c.max_concurrent_jobs = static_cast<size_t>(max_jobs);
  // At least 3 s: renewals come every lease/3, and a lease shorter than a
  // busy database's lock wait would be taken over from a live runner.
  ASSIGN_OR_RETURN(int64_t lease, b.IntOr("lease_ms", 0, 86'400'000, 60'000));
  if (lease != 0 && lease < 3'000) {
    return b.Error("lease_ms", "must be 0 (no leases) or at least 3000");
  }
  c.lease = std::chrono::milliseconds(lease);
  ASSIGN_OR_RETURN(c.vault_config, b.StringOr("vault_config", ""));
  ASSIGN_OR_RETURN(c.tokenize_input_dir, b.StringOr("tokenize_input_dir", ""));
  c.signing_key_file = c.InDataDir(c.signing_key_file);
  c.database_file = c.InDataDir(c.database_file);
  c.work_dir = c.InDataDir(c.work_dir);
  c.audit_file = c.InDataDir(c.audit_file);
  ASSIGN_OR_RETURN(std::vector<ConfigTable> subs, doc.Root().TableArray("submitters"));
  for (const ConfigTable& t : subs) {
    SubmitterConfig s;
    ASSIGN_OR_RETURN(s.id, t.String("id"));
    if (!IsValidIdentifier(s.id)) return t.Error("id", "must be [A-Za-z0-9._:-]+");
    ASSIGN_OR_RETURN(s.public_key_file, t.String("public_key_file"));
    s.public_key_file = c.InDataDir(s.public_key_file);
    for (const SubmitterConfig& other : c.submitters) {
      if (other.id == s.id) return t.Error("id", "duplicate submitter");
    }
    c.submitters.push_back(std::move(s));
  }
  ASSIGN_OR_RETURN(c.catalog, JobCatalog::Load(doc.Root()));
  RETURN_IF_ERROR(doc.CheckAllKeysUsed());
  return c;
}

Result<BridgeClientConfig> LoadBridgeClientConfig(FileSystem& fs, const std::string& path) {
  ASSIGN_OR_RETURN(ConfigDocument doc, ConfigDocument::LoadFile(fs, path));
  BridgeClientConfig c;
  c.source = path;
  ASSIGN_OR_RETURN(ConfigTable t, doc.Root().Table("client"));
  ASSIGN_OR_RETURN(c.drop_zone, t.String("drop_zone"));
  ASSIGN_OR_RETURN(c.submitter, t.String("submitter"));
  if (!IsValidIdentifier(c.submitter)) return t.Error("submitter", "must be [A-Za-z0-9._:-]+");
  ASSIGN_OR_RETURN(c.private_key_file, t.String("private_key_file"));
  ASSIGN_OR_RETURN(c.cde_public_key_file, t.String("cde_public_key_file"));
  ASSIGN_OR_RETURN(c.request_ttl, t.DurationOr("request_ttl", kDefaultRequestTtl));
  if (c.request_ttl.count() == 0) return t.Error("request_ttl", "must be positive");
  RETURN_IF_ERROR(doc.CheckAllKeysUsed());
  return c;
}

}  // namespace kura::bridge
