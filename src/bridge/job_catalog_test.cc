#include "bridge/job_catalog.h"

#include <gtest/gtest.h>

namespace kura::bridge {
namespace {

constexpr const char* kCatalog = R"(
[[jobs]]
name = "export"
kind = "exec"
executable = "/bin/echo"
args = ["--date", "{date}", "--mode", "{mode}"]
timeout = "5s"
[[jobs.params]]
name = "date"
pattern = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
max_length = 10
[[jobs.params]]
name = "mode"
type = "enum"
values = ["full", "delta"]
[[jobs.params]]
name = "limit"
type = "int"
min = 1
max = 100
required = false

[[jobs]]
name = "purge"
kind = "builtin"
builtin = "purge-expired"
idempotent = true
)";

JobCatalog Load(const char* text) {
  auto doc = ConfigDocument::Parse(text, "bridge.toml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  auto catalog = JobCatalog::Load(doc->Root());
  EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_TRUE(doc->CheckAllKeysUsed().ok());
  return *catalog;
}

TEST(JobCatalogTest, LoadsJobsAndBuildsArgv) {
  JobCatalog c = Load(kCatalog);
  const JobSpec* e = c.Find("export");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, JobKind::kExec);
  EXPECT_EQ(e->timeout, std::chrono::seconds(5));
  EXPECT_FALSE(e->idempotent);
  ASSERT_NE(c.Find("purge"), nullptr);
  EXPECT_TRUE(c.Find("purge")->idempotent);
  EXPECT_EQ(c.Find("nope"), nullptr);
  std::vector<std::string> argv =
      JobCatalog::BuildArgv(*e, {{"date", "2026-01-01"}, {"mode", "full"}});
  EXPECT_EQ(argv, (std::vector<std::string>{
                      "/bin/echo",
                      "--date",
                      "2026-01-01",
                      "--mode",
                      "full",
                  }));
}

TEST(JobCatalogTest, ValidParamsPass) {
  JobCatalog c = Load(kCatalog);
  EXPECT_TRUE(JobCatalog::ValidateParams(
                  *c.Find("export"), {{"date", "2026-01-01"}, {"mode", "delta"}, {"limit", "5"}})
                  .ok());
}

TEST(JobCatalogTest, BadParamsAreRejected) {
  JobCatalog c = Load(kCatalog);
  const JobSpec& e = *c.Find("export");
  using P = std::map<std::string, std::string>;
  const std::vector<P> bad = {
      {{"date", "2026-01-01"}},                                       // missing required
      {{"date", "2026-01-01"}, {"mode", "full"}, {"extra", "1"}},     // extra param
      {{"date", "2026-01-01"}, {"mode", "other"}},                    // enum
      {{"date", "2026-01-01"}, {"mode", "full"}, {"limit", "abc"}},   // wrong type
      {{"date", "2026-01-01"}, {"mode", "full"}, {"limit", "1000"}},  // range
      {{"date", "2026-01-01"}, {"mode", "full"}, {"limit", "5 "}},
      {{"date", "; rm -rf /"}, {"mode", "full"}},
      {{"date", "$(id)"}, {"mode", "full"}},
      {{"date", "`id`"}, {"mode", "full"}},
      {{"date", "../../etc/passwd"}, {"mode", "full"}},
      {{"date", std::string("2026-01-0\0", 10)}, {"mode", "full"}},  // NUL byte
      {{"date", "2026-01-01\n"}, {"mode", "full"}},
      {{"date", std::string(5000, '1')}, {"mode", "full"}},  // overlong
      {{"date", "2026-01-01"}, {"mode", "full\n"}},
  };
  for (const P& p : bad) {
    EXPECT_EQ(JobCatalog::ValidateParams(e, p).code(), StatusCode::kInvalidArgument);
  }
}

TEST(JobCatalogTest, BadCatalogsNameTheLine) {
  auto check = [](const char* text, const char* needle) {
    auto doc = ConfigDocument::Parse(text, "bridge.toml");
    ASSERT_TRUE(doc.ok());
    auto catalog = JobCatalog::Load(doc->Root());
    ASSERT_FALSE(catalog.ok());
    EXPECT_EQ(catalog.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(catalog.status().message().find(needle), std::string::npos)
        << catalog.status().message();
  };
  check("[[jobs]]\nname = \"x\"\nkind = \"exec\"\nexecutable = \"bin/x\"\n", "bridge.toml:4");
  check("[[jobs]]\nname = \"x\"\nkind = \"shell\"\n", "kind");
  check("[[jobs]]\nname = \"x\"\nkind = \"exec\"\nexecutable = \"/bin/x\"\nargs = [\"{nope}\"]\n",
        "args");
  check(
      "[[jobs]]\nname = \"x\"\nkind = \"builtin\"\nbuiltin = \"b\"\n"
      "[[jobs.params]]\nname = \"p\"\npattern = \"([\"\n",
      "pattern");
}

}  // namespace
}  // namespace kura::bridge
