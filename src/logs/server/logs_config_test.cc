#include "logs/server/logs_config.h"

#include <gtest/gtest.h>

#include "core/fs/memory_file_system.h"

namespace kura::logs {
namespace {

Result<LogsConfig> Load(const std::string& text) {
  MemoryFileSystem fs;
  EXPECT_TRUE(fs.CreateDirs("/etc").ok());
  EXPECT_TRUE(fs.WriteFileAtomic("/etc/logs.toml", text).ok());
  return LoadLogsConfig(fs, "/etc/logs.toml");
}

TEST(LogsConfigTest, FullConfig) {
  auto c = Load(R"(
[logs]
node_id = "logs-1"
data_dir = "/var/lib/kura/logs"
retention_days = 400
[http]
port = 0
tls_cert = "tls/cert.pem"
tls_key = "/etc/tls/key.pem"
[syslog]
port = 0
max_message_bytes = 131072
idle_timeout = "2m"
[wal]
max_file_bytes = 1048576
[seal]
max_bytes = 2097152
max_age = "30s"
idle_priority = false
[audit]
file = "logs-audit.log"
[[tail]]
name = "vault"
path = "/var/lib/kura/vault/audit.log"
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->node_id, "logs-1");
  EXPECT_TRUE(c->http_enabled);
  EXPECT_EQ(c->InDataDir(c->http_tls_cert), "/var/lib/kura/logs/tls/cert.pem");
  EXPECT_EQ(c->InDataDir(c->http_tls_key), "/etc/tls/key.pem");
  EXPECT_TRUE(c->syslog_enabled);
  EXPECT_EQ(c->syslog_max_message_bytes, 131072u);
  EXPECT_EQ(c->syslog_idle_timeout.count(), 120);
  EXPECT_EQ(c->seal_max_age.count(), 30);
  EXPECT_FALSE(c->seal_idle_priority);
  ASSERT_EQ(c->tails.size(), 1u);
  EXPECT_EQ(c->tails[0].name, "vault");
  EXPECT_EQ(c->wal_dir(), "/var/lib/kura/logs/wal");
}

TEST(LogsConfigTest, SealingRunsAtIdlePriorityByDefault) {
  auto c = Load("[logs]\ndata_dir = \"/d\"\n[syslog]\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->seal_idle_priority);
}

TEST(LogsConfigTest, StrictErrors) {
  const std::string base = "[logs]\ndata_dir = \"/d\"\n[syslog]\n";
  struct Case {
    std::string text;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {base + "prot = 6514\n", "unknown key 'syslog.prot'"},
           {base + "max_message_bytes = 99999999\n", "syslog.max_message_bytes"},
           {base + "tls = true\n", "needs tls_cert and tls_key"},
           {"[logs]\ndata_dir = \"relative\"\n[syslog]\n", "absolute"},
           {"[logs]\ndata_dir = \"/d\"\n", "nothing to receive"},
           {base + "[logs.x]\n", "logs"},
           {"[logs]\ndata_dir = \"/d\"\nretention_days = 90\n[syslog]\n", "allow_short_retention"},
           {base + "[[tail]]\nname = \"../x\"\npath = \"/a\"\n", "tail[0].name"},
           {base + "[seal]\nidle_priority = \"yes\"\n", "seal.idle_priority"},
       }) {
    auto r = Load(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.error), std::string::npos) << r.status().message();
  }
  auto ok = Load("[logs]\ndata_dir = \"/d\"\nretention_days = 90\nallow_short_retention = true\n[syslog]\n");
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

}  // namespace
}  // namespace kura::logs
