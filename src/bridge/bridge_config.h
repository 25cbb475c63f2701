// Config files of the two sides of the bridge (docs/bridge.md has examples).
//
// CDE side, `kura bridge run --config bridge.toml`:
//   [bridge]
//   drop_zone = "/srv/kura/dropzone"     # local directory (S3 later)
//   data_dir = "/var/lib/kura-bridge"    # relative paths below resolve here
//   runner_id = "cde-runner-1"
//   signing_key_file = "runner.key"      # Ed25519 PKCS#8 PEM (results)
//   database_file = "bridge.db"
//   work_dir = "work"
//   audit_file = "bridge-audit.jsonl"    # "" = no audit file (stdout only if audit_stdout)
//   audit_stdout = false
//   poll_interval_ms = 250
//   max_concurrent_jobs = 1               # jobs this runner runs at once
//   lease_ms = 60000                      # claim lease, renewed every lease/3; 0 = none
//   vault_config = "/etc/kura/vault.toml"  # optional: enables the vault built-ins
//   tokenize_input_dir = "/srv/cde/inbox"
//   [[submitters]]
//   id = "airflow"
//   public_key_file = "airflow.pub"
//   [[jobs]] ...                          # bridge/job_catalog.h
//
// Out-of-scope side, `kura bridge submit --config client.toml`:
//   [client]
//   drop_zone = "/mnt/kura-dropzone"
//   submitter = "airflow"
//   private_key_file = "/etc/kura/airflow.key"
//   cde_public_key_file = "/etc/kura/cde-runner.pub"
//   request_ttl = "1h"
//
// Loading is strict (core/config): unknown keys are errors naming
// file:line.
#ifndef KURA_BRIDGE_BRIDGE_CONFIG_H_
#define KURA_BRIDGE_BRIDGE_CONFIG_H_

#include <chrono>
#include <string>
#include <vector>

#include "bridge/job_catalog.h"
#include "core/base/status.h"
#include "core/fs/file_system.h"

namespace kura::bridge {

inline constexpr std::chrono::seconds kDefaultRequestTtl{3600};
inline constexpr int64_t kMaxConcurrentJobs = 64;

struct SubmitterConfig {
  std::string id;
  std::string public_key_file;
};

struct BridgeRunnerConfig {
  std::string source;
  std::string drop_zone;
  std::string data_dir;
  std::string runner_id = "cde-runner";
  std::string signing_key_file;
  std::string database_file = "bridge.db";
  std::string work_dir = "work";
  std::string audit_file = "bridge-audit.jsonl";
  bool audit_stdout = false;
  std::chrono::milliseconds poll_interval{250};
  size_t max_concurrent_jobs = 1;
  std::chrono::milliseconds lease{60'000};  // RunnerOptions::lease
  std::string vault_config;
  std::string tokenize_input_dir;
  std::vector<SubmitterConfig> submitters;
  JobCatalog catalog;

  std::string InDataDir(const std::string& p) const;
};

struct BridgeClientConfig {
  std::string source;
  std::string drop_zone;
  std::string submitter;
  std::string private_key_file;
  std::string cde_public_key_file;
  std::chrono::seconds request_ttl = kDefaultRequestTtl;
};

// Errors: kNotFound if missing; kInvalidArgument naming file:line and key.
Result<BridgeRunnerConfig> LoadBridgeRunnerConfig(FileSystem& fs, const std::string& path);
Result<BridgeClientConfig> LoadBridgeClientConfig(FileSystem& fs, const std::string& path);

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_BRIDGE_CONFIG_H_
