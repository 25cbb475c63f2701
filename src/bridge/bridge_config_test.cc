#include "bridge/bridge_config.h"

#include <gtest/gtest.h>

#include "core/fs/memory_file_system.h"

namespace kura::bridge {
namespace {

TEST(BridgeConfigTest, LoadsRunnerConfigWithCatalog) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/etc").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/etc/bridge.toml", R"(
[bridge]
drop_zone = "/srv/zone"
data_dir = "/var/lib/bridge"
runner_id = "cde-1"
signing_key_file = "runner.key"
max_concurrent_jobs = 4
lease_ms = 30000
[[submitters]]
id = "airflow"
public_key_file = "/etc/airflow.pub"
[[jobs]]
name = "purge"
kind = "builtin"
builtin = "purge-expired"
)").ok());
  auto c = LoadBridgeRunnerConfig(fs, "/etc/bridge.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->signing_key_file, "/var/lib/bridge/runner.key");
  EXPECT_EQ(c->database_file, "/var/lib/bridge/bridge.db");
  EXPECT_EQ(c->max_concurrent_jobs, 4u);
  EXPECT_EQ(c->lease, std::chrono::milliseconds(30'000));
  ASSERT_EQ(c->submitters.size(), 1u);
  EXPECT_EQ(c->submitters[0].public_key_file, "/etc/airflow.pub");
  EXPECT_NE(c->catalog.Find("purge"), nullptr);
}

TEST(BridgeConfigTest, UnknownKeysAndBadValuesNameFileAndLine) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/etc").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/etc/client.toml",
                                 "[client]\ndrop_zone = \"/z\"\nsubmitter = \"airflow\"\n"
                                 "private_key_file = \"/k\"\ncde_public_key_file = \"/p\"\n"
                                 "request_tll = \"1h\"\n")
                  .ok());
  auto c = LoadBridgeClientConfig(fs, "/etc/client.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find(":6:"), std::string::npos) << c.status().message();
  ASSERT_TRUE(fs.WriteFileAtomic("/etc/bridge.toml",
                                 "[bridge]\ndrop_zone = \"/z\"\ndata_dir = \"relative\"\n"
                                 "signing_key_file = \"k\"\n")
                  .ok());
  EXPECT_EQ(LoadBridgeRunnerConfig(fs, "/etc/bridge.toml").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadBridgeRunnerConfig(fs, "/etc/missing.toml").status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace kura::bridge
