#include "core/config/config.h"

#include <gtest/gtest.h>

#include <string>

#include "core/fs/memory_file_system.h"

namespace kura {
namespace {

using std::chrono::seconds;

// Parses or fails the test.
ConfigDocument MustParse(std::string_view text) {
  Result<ConfigDocument> doc = ConfigDocument::Parse(text, "vault.toml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  if (!doc.ok()) std::abort();
  return std::move(doc).value();
}

void ExpectInvalid(const Status& st, const std::string& message) {
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_EQ(st.message(), message);
}

constexpr std::string_view kVault = R"(# Kura vault
[vault]
data_dir = "/var/lib/kura"
port = 8443
tls = true
peers = ["a", "b"]
retention = "90d"

[vault.limits]
max_body = 65536

[[vault.zones]]
name = "cde"

[[vault.zones]]
name = "dmz"
)";

TEST(ConfigTest, TypedGettersReadValues) {
  ConfigDocument doc = MustParse(kVault);
  ASSERT_TRUE(doc.Root().Has("vault"));
  auto vault = doc.Root().Table("vault");
  ASSERT_TRUE(vault.ok());
  EXPECT_EQ(vault->path(), "vault");
  EXPECT_EQ(*vault->String("data_dir"), "/var/lib/kura");
  EXPECT_EQ(*vault->Int("port", 1, 65535), 8443);
  EXPECT_TRUE(*vault->Bool("tls"));
  EXPECT_EQ(*vault->StringArray("peers"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*vault->Duration("retention"), seconds(90 * 86400));
  auto limits = vault->Table("limits");
  ASSERT_TRUE(limits.ok());
  EXPECT_EQ(*limits->Int("max_body", 1, 1 << 30), 65536);
  auto zones = vault->TableArray("zones");
  ASSERT_TRUE(zones.ok());
  ASSERT_EQ(zones->size(), 2u);
  EXPECT_EQ((*zones)[1].path(), "vault.zones[1]");
  EXPECT_EQ(*(*zones)[0].String("name"), "cde");
  EXPECT_EQ(*(*zones)[1].String("name"), "dmz");
  EXPECT_TRUE(doc.CheckAllKeysUsed().ok()) << doc.CheckAllKeysUsed().ToString();
}

TEST(ConfigTest, OptionalGettersUseFallbacks) {
  ConfigDocument doc = MustParse("[vault]\nport = 9000\n");
  ConfigTable vault = *doc.Root().Table("vault");
  EXPECT_EQ(*vault.IntOr("port", 1, 65535, 8443), 9000);
  EXPECT_EQ(*vault.IntOr("workers", 1, 64, 4), 4);
  EXPECT_EQ(*vault.StringOr("bind", "127.0.0.1"), "127.0.0.1");
  EXPECT_FALSE(*vault.BoolOr("debug", false));
  EXPECT_EQ(*vault.StringArrayOr("peers", {"x"}), std::vector<std::string>{"x"});
  EXPECT_EQ(*vault.DurationOr("timeout", seconds(30)), seconds(30));
  EXPECT_FALSE(vault.OptionalTable("tls")->has_value());
  EXPECT_TRUE(vault.TableArray("zones")->empty());
  EXPECT_FALSE(vault.Has("bind"));
  EXPECT_TRUE(doc.CheckAllKeysUsed().ok());
}

TEST(ConfigTest, OptionalGettersStillCheckTypes) {
  ConfigDocument doc = MustParse("[vault]\nport = \"8443\"\ndebug = 1\ntls = 3\n");
  ConfigTable vault = *doc.Root().Table("vault");
  ExpectInvalid(vault.IntOr("port", 1, 65535, 8443).status(),
                "vault.toml:2: key 'vault.port': expected an integer in 1..65535, got string");
  ExpectInvalid(vault.BoolOr("debug", false).status(),
                "vault.toml:3: key 'vault.debug': expected a boolean, got integer");
  ExpectInvalid(vault.OptionalTable("tls").status(),
                "vault.toml:4: key 'vault.tls': expected a table, got integer");
}

TEST(ConfigTest, WrongTypeNamesFileLineAndFullKey) {
  ConfigDocument doc = MustParse(
      "[vault]\n"
      "data_dir = 7\n"
      "port = \"x\"\n"
      "peers = [\"a\", 2]\n"
      "limits = 1.5\n"
      "zones = [1]\n"
      "flag = \"yes\"\n");
  ConfigTable vault = *doc.Root().Table("vault");
  ExpectInvalid(vault.String("data_dir").status(),
                "vault.toml:2: key 'vault.data_dir': expected a string, got integer");
  ExpectInvalid(vault.Int("port", 1, 65535).status(),
                "vault.toml:3: key 'vault.port': expected an integer in 1..65535, got string");
  ExpectInvalid(vault.StringArray("peers").status(),
                "vault.toml:4: key 'vault.peers': expected an array of strings, element 1 is "
                "integer");
  ExpectInvalid(vault.Table("limits").status(),
                "vault.toml:5: key 'vault.limits': expected a table, got float");
  ExpectInvalid(vault.TableArray("zones").status(),
                "vault.toml:6: key 'vault.zones': expected an array of tables, element 0 is "
                "integer");
  ExpectInvalid(vault.Bool("flag").status(),
                "vault.toml:7: key 'vault.flag': expected a boolean, got string");
  ExpectInvalid(vault.StringArray("flag").status(),
                "vault.toml:7: key 'vault.flag': expected an array of strings, got string");
}

TEST(ConfigTest, IntegerRange) {
  ConfigDocument doc = MustParse("port = 70000\nneg = -1\nok = 1\n");
  ConfigTable root = doc.Root();
  ExpectInvalid(root.Int("port", 1, 65535).status(),
                "vault.toml:1: key 'port': expected an integer in 1..65535, got 70000");
  ExpectInvalid(root.Int("neg", 0, 10).status(),
                "vault.toml:2: key 'neg': expected an integer in 0..10, got -1");
  EXPECT_EQ(*root.Int("ok", 1, 1), 1);
}

TEST(ConfigTest, MissingRequiredKeys) {
  ConfigDocument doc = MustParse("title = \"x\"\n\n[vault]\nport = 1\n");
  ConfigTable vault = *doc.Root().Table("vault");
  ExpectInvalid(vault.String("data_dir").status(),
                "vault.toml:3: missing required key 'vault.data_dir'");
  ExpectInvalid(vault.Int("x", 0, 1).status(), "vault.toml:3: missing required key 'vault.x'");
  ExpectInvalid(vault.Bool("x").status(), "vault.toml:3: missing required key 'vault.x'");
  ExpectInvalid(vault.StringArray("x").status(), "vault.toml:3: missing required key 'vault.x'");
  ExpectInvalid(vault.Duration("x").status(), "vault.toml:3: missing required key 'vault.x'");
  ExpectInvalid(vault.Table("x").status(), "vault.toml:3: missing required key 'vault.x'");
  // At the root there is no table line to point at.
  ExpectInvalid(doc.Root().Table("audit").status(), "vault.toml: missing required key 'audit'");
}

TEST(ConfigTest, Durations) {
  ConfigDocument doc = MustParse(
      "a = \"30s\"\nb = \"5m\"\nc = \"2h\"\nd = \"90d\"\ne = \"0s\"\n"
      "bad1 = \"30\"\nbad2 = \"s\"\nbad3 = \"-5m\"\nbad4 = \"5 m\"\nbad5 = \"1w\"\n"
      "bad6 = \"9999999999d\"\nbad7 = 30\n");
  ConfigTable r = doc.Root();
  EXPECT_EQ(*r.Duration("a"), seconds(30));
  EXPECT_EQ(*r.Duration("b"), seconds(300));
  EXPECT_EQ(*r.DurationOr("c", seconds(1)), seconds(7200));
  EXPECT_EQ(*r.Duration("d"), seconds(7'776'000));
  EXPECT_EQ(*r.Duration("e"), seconds(0));
  for (const char* key : {"bad1", "bad2", "bad3", "bad4", "bad5", "bad6"}) {
    Status st = r.Duration(key).status();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << key;
    EXPECT_NE(st.message().find("key '" + std::string(key) + "': expected a duration such as"),
              std::string::npos)
        << st.message();
  }
  ExpectInvalid(r.Duration("bad7").status(),
                "vault.toml:12: key 'bad7': expected a duration such as \"30s\", \"5m\", "
                "\"2h\" or \"90d\", got integer");
  EXPECT_EQ(ParseDuration("15m").value_or(seconds(0)), seconds(900));
  EXPECT_EQ(ParseDuration("").status().code(), StatusCode::kInvalidArgument);
}

TEST(ConfigTest, SyntaxErrorsNameFileLineAndColumn) {
  Result<ConfigDocument> doc = ConfigDocument::Parse("a = 1\nb = = 2\n", "vault.toml");
  ASSERT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(doc.status().message().starts_with("vault.toml:2:")) << doc.status().message();
  Result<ConfigDocument> dup = ConfigDocument::Parse("a = 1\na = 2\n", "x.toml");
  ASSERT_EQ(dup.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(dup.status().message().starts_with("x.toml:2:")) << dup.status().message();
}

TEST(ConfigTest, UnknownKeyReportedInFileOrderWithHint) {
  ConfigDocument doc = MustParse(
      "[vault]\n"
      "data_dir = \"/d\"\n"
      "prot = 8443\n"
      "zzz = 1\n"
      "[audit]\n"
      "path = \"/a\"\n");
  ConfigTable vault = *doc.Root().Table("vault");
  ASSERT_TRUE(vault.String("data_dir").ok());
  ASSERT_TRUE(vault.IntOr("port", 1, 65535, 8443).ok());
  ExpectInvalid(doc.CheckAllKeysUsed(),
                "vault.toml:3: unknown key 'vault.prot' (did you mean 'vault.port'?) "
                "(and 2 more unknown keys)");
}

TEST(ConfigTest, UnknownKeysInsideTablesAndArrays) {
  ConfigDocument doc = MustParse(
      "[[zones]]\n"
      "name = \"a\"\n"
      "[[zones]]\n"
      "name = \"b\"\n"
      "extra = true\n"
      "[tls]\n"
      "cert = \"c\"\n");
  auto zones = doc.Root().TableArray("zones");
  ASSERT_TRUE(zones.ok());
  for (const ConfigTable& z : *zones) ASSERT_TRUE(z.String("name").ok());
  // "tls" is never looked at: the whole table is unknown.
  ExpectInvalid(doc.CheckAllKeysUsed(),
                "vault.toml:5: unknown key 'zones[1].extra' (and 1 more unknown key)");
  ASSERT_TRUE(doc.Root().Table("tls")->String("cert").ok());
  ExpectInvalid(doc.CheckAllKeysUsed(), "vault.toml:5: unknown key 'zones[1].extra'");
}

TEST(ConfigTest, HasAndKeysDoNotCountAsReading) {
  ConfigDocument doc = MustParse("[zones.cde]\nport = 1\n[zones.dmz]\nport = 2\n");
  ConfigTable zones = *doc.Root().Table("zones");
  EXPECT_EQ(zones.Keys(), (std::vector<std::string>{"cde", "dmz"}));
  EXPECT_TRUE(zones.Has("cde"));
  EXPECT_EQ(doc.CheckAllKeysUsed().code(), StatusCode::kInvalidArgument);
  for (const std::string& name : zones.Keys()) {
    ASSERT_TRUE(zones.Table(name)->Int("port", 1, 2).ok());
  }
  EXPECT_TRUE(doc.CheckAllKeysUsed().ok());
}

TEST(ConfigTest, LoaderErrorHelper) {
  ConfigDocument doc = MustParse("[vault]\nmode = \"weird\"\n");
  ConfigTable vault = *doc.Root().Table("vault");
  ExpectInvalid(vault.Error("mode", "must be \"strict\" or \"relaxed\""),
                "vault.toml:2: key 'vault.mode': must be \"strict\" or \"relaxed\"");
  ExpectInvalid(vault.Error("absent", "needed when mode is set"),
                "vault.toml:1: key 'vault.absent': needed when mode is set");
}

TEST(ConfigTest, ErrorsDoNotEchoStringValues) {
  ConfigDocument doc = MustParse("secret = \"hunter2-4111111111111111\"\n");
  Status st = doc.Root().Int("secret", 0, 1).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().find("hunter2"), std::string::npos);
  st = doc.Root().Duration("secret").status();
  EXPECT_EQ(st.message().find("hunter2"), std::string::npos);
}

TEST(ConfigTest, TablesOutliveTheDocument) {
  std::optional<ConfigTable> vault;
  {
    ConfigDocument doc = MustParse("[vault]\nport = 5\n");
    vault = *doc.Root().Table("vault");
  }
  EXPECT_EQ(*vault->Int("port", 1, 9), 5);
}

TEST(ConfigLoadFileTest, ReadsThroughFileSystem) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/etc/kura").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/etc/kura/vault.toml", "[vault]\nport = 8443\n").ok());
  auto doc = ConfigDocument::LoadFile(fs, "/etc/kura/vault.toml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->source_name(), "/etc/kura/vault.toml");
  ExpectInvalid(doc->Root().Table("vault")->Int("port", 1, 100).status(),
                "/etc/kura/vault.toml:2: key 'vault.port': expected an integer in 1..100, got "
                "8443");
}

TEST(ConfigLoadFileTest, MissingTooLargeAndMalformedFiles) {
  MemoryFileSystem fs;
  EXPECT_EQ(ConfigDocument::LoadFile(fs, "/nope.toml").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(fs.WriteFileAtomic("/big.toml", "a = \"" + std::string(100, 'x') + "\"\n").ok());
  ExpectInvalid(ConfigDocument::LoadFile(fs, "/big.toml", 50).status(),
                "/big.toml: config file is larger than 50 bytes");
  ASSERT_TRUE(fs.WriteFileAtomic("/bad.toml", "[vault\n").ok());
  Status st = ConfigDocument::LoadFile(fs, "/bad.toml").status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(st.message().starts_with("/bad.toml:1:")) << st.message();
}

}  // namespace
}  // namespace kura
