#include "vault/vault_config.h"

#include <gtest/gtest.h>

#include "core/fs/memory_file_system.h"

namespace kura::vault {
namespace {

constexpr char kMinimal[] = R"(
[vault]
data_dir = "/var/lib/kura"

[vault.tls]
cert = "server.pem"
key = "server.key"
)";

class VaultConfigTest : public ::testing::Test {
 protected:
  Result<VaultConfig> Load(std::string_view text) {
    EXPECT_TRUE(fs_.CreateDirs("/etc/kura").ok());
    EXPECT_TRUE(fs_.WriteFileAtomic("/etc/kura/vault.toml", text).ok());
    return LoadVaultConfig(fs_, "/etc/kura/vault.toml");
  }
  MemoryFileSystem fs_;
};

TEST_F(VaultConfigTest, MinimalConfigGetsDefaults) {
  Result<VaultConfig> c = Load(kMinimal);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen, "127.0.0.1");
  EXPECT_EQ(c->port, 8443);
  EXPECT_EQ(c->InDataDir(c->tls_cert), "/var/lib/kura/server.pem");
  EXPECT_EQ(c->InDataDir("/abs/x"), "/abs/x");
  EXPECT_EQ(c->purge_grace, std::chrono::hours(24 * 30));
  EXPECT_EQ(c->grant_audience, "kura-vault");
}

TEST_F(VaultConfigTest, UnknownKeyNamesFileAndLine) {
  Result<VaultConfig> c = Load(std::string(kMinimal) + "\n[audit]\nfiel = \"x\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("vault.toml:10"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("audit.fiel"), std::string::npos);
}

TEST_F(VaultConfigTest, WrongTypeNamesKey) {
  Result<VaultConfig> c = Load(R"(
[vault]
data_dir = "/d"
port = "8443"
[vault.tls]
cert = "a"
key = "b"
)");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(":4"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("vault.port"), std::string::npos);
}

TEST_F(VaultConfigTest, MissingRequiredAndSemanticErrors) {
  EXPECT_EQ(Load("[vault]\n").status().code(), StatusCode::kInvalidArgument);
  Result<VaultConfig> rel = Load("[vault]\ndata_dir = \"rel\"\n[vault.tls]\ncert=\"a\"\nkey=\"b\"\n");
  ASSERT_FALSE(rel.ok());
  EXPECT_NE(rel.status().message().find("absolute"), std::string::npos);
  Result<VaultConfig> bin = Load(std::string(kMinimal) + "[tokens]\nbin_length = 7\n");
  ASSERT_FALSE(bin.ok());
  EXPECT_NE(bin.status().message().find("tokens.bin_length"), std::string::npos);
  EXPECT_EQ(LoadVaultConfig(fs_, "/nope.toml").status().code(), StatusCode::kNotFound);
}

TEST_F(VaultConfigTest, RenderedConfigLoadsBackIdentically) {
  VaultConfig c;
  c.data_dir = "/srv/kura";
  c.port = 9443;
  c.tls_cert = "s.pem";
  c.tls_key = "s.key";
  c.client_ca = "ca.pem";
  c.fpt_keep_bin = true;
  c.purge_grace = std::chrono::hours(24 * 7);
  c.grant_issuers.push_back({"app", "app.pub"});
  c.mtls_principals.push_back({"batch", "batch-runner", {"cards:reveal"}});
  Result<VaultConfig> back = Load(RenderVaultConfig(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->port, 9443);
  EXPECT_EQ(back->client_ca, "ca.pem");
  EXPECT_TRUE(back->fpt_keep_bin);
  EXPECT_EQ(back->purge_grace, std::chrono::hours(24 * 7));
  ASSERT_EQ(back->grant_issuers.size(), 1u);
  EXPECT_EQ(back->grant_issuers[0].public_key_file, "app.pub");
  ASSERT_EQ(back->mtls_principals.size(), 1u);
  EXPECT_EQ(back->mtls_principals[0].scopes, std::vector<std::string>{"cards:reveal"});
}

}  // namespace
}  // namespace kura::vault
