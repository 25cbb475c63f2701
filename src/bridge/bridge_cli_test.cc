// Runs the real `kura bridge` commands (built binary) end to end and checks
// the documented exit codes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bridge/client.h"
#include "bridge/exec_job.h"
#include "bridge/test_util.h"

namespace kura::bridge {
namespace {

std::string KuraBinary() {
  const char* dir = std::getenv("KURA_BINARY_DIR");
  return std::string(dir ? dir : ".") + "/src/cli/kura";
}

class BridgeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Kura({"keys", "signing-key", "--private", Path("runner.key"), "--public",
                    Path("runner.pub")})
                  .exit_code,
              0);
    ASSERT_EQ(Kura({"keys", "signing-key", "--private", Path("airflow.key"), "--public",
                    Path("airflow.pub")})
                  .exit_code,
              0);
    std::ofstream(Path("bridge.toml"))
        << "[bridge]\ndrop_zone = \"" << Path("zone") << "\"\ndata_dir = \"" << dir_.path()
        << "\"\nrunner_id = \"cde-1\"\nsigning_key_file = \"runner.key\"\n"
           "[[submitters]]\nid = \"airflow\"\npublic_key_file = \"airflow.pub\"\n"
           "[[jobs]]\nname = \"echo\"\nkind = \"exec\"\nexecutable = \"/bin/echo\"\n"
           "args = [\"{msg}\"]\n[[jobs.params]]\nname = \"msg\"\npattern = \"[a-z ]+\"\n"
           "[[jobs]]\nname = \"fail\"\nkind = \"exec\"\nexecutable = \"/bin/false\"\n";
    std::ofstream(Path("client.toml"))
        << "[client]\ndrop_zone = \"" << Path("zone") << "\"\nsubmitter = \"airflow\"\n"
        << "private_key_file = \"" << Path("airflow.key") << "\"\ncde_public_key_file = \""
        << Path("runner.pub") << "\"\nrequest_ttl = \"10m\"\n";
  }

  std::string Path(const std::string& name) const { return dir_.Sub(name); }

  ExecOutcome Kura(std::vector<std::string> args) {
    args.insert(args.begin(), KuraBinary());
    Result<ExecOutcome> r = RunExecutable(args, dir_.path(), std::chrono::seconds(30), 1 << 16);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ExecOutcome{};
  }

  // Submits without waiting; returns the request id.
  std::string Submit(std::vector<std::string> extra) {
    std::vector<std::string> args = {"bridge", "submit", "-c", Path("client.toml")};
    args.insert(args.end(), extra.begin(), extra.end());
    ExecOutcome o = Kura(args);
    EXPECT_EQ(o.exit_code, 0) << o.output;
    std::string id = o.output.substr(0, o.output.find('\n'));
    EXPECT_TRUE(IsValidRequestId(id)) << o.output;
    return id;
  }

  int RunOnceThenResult(const std::string& id) {
    ExecOutcome run = Kura({"bridge", "run", "-c", Path("bridge.toml"), "--once"});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    return Kura({"bridge", "result", "-c", Path("client.toml"), id}).exit_code;
  }

  testing::TempDir dir_;
};

TEST_F(BridgeCliTest, ExitCodesFollowTheResult) {
  EXPECT_EQ(RunOnceThenResult(Submit({"echo", "--param", "msg=hello"})), 0);
  EXPECT_EQ(RunOnceThenResult(Submit({"fail"})), kExitJobFailed);
  EXPECT_EQ(RunOnceThenResult(Submit({"nope"})), kExitRejected);
  EXPECT_EQ(RunOnceThenResult(Submit({"echo", "--param", "msg=$(id)"})), kExitRejected);
  EXPECT_EQ(
      Kura({"bridge", "result", "-c", Path("client.toml"), "0123456789abcdef0123456789abcdef"})
          .exit_code,
      kExitNoResultYet);
}

TEST_F(BridgeCliTest, WaitTimesOutWithItsOwnCode) {
  ExecOutcome o = Kura({"bridge", "submit", "-c", Path("client.toml"), "echo", "-p", "msg=hi",
                        "--wait", "--timeout", "1s"});
  EXPECT_EQ(o.exit_code, kExitWaitTimeout) << o.output;
}

TEST_F(BridgeCliTest, StatusAndResultAfterTheFact) {
  std::string id = Submit({"echo", "-p", "msg=later"});
  EXPECT_EQ(Kura({"bridge", "status", "-c", Path("client.toml"), id}).output, "pending\n");
  ASSERT_EQ(RunOnceThenResult(id), 0);
  EXPECT_EQ(Kura({"bridge", "status", "-c", Path("client.toml"), id}).output, "succeeded\n");
  ExecOutcome r = Kura({"bridge", "result", "-c", Path("client.toml"), id});
  EXPECT_NE(r.output.find("\"summary\":\"later\\n\""), std::string::npos) << r.output;
}

TEST_F(BridgeCliTest, StatusOfAnUnknownOrOversizedRequest) {
  const std::string id = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(Kura({"bridge", "status", "-c", Path("client.toml"), id}).output, "unknown\n");
  // A file too large to be a request is still waiting (to be rejected).
  std::filesystem::create_directories(Path("zone/requests"));
  std::ofstream(Path("zone/requests/" + id + ".jws")) << std::string(kMaxRequestBytes + 1, 'A');
  EXPECT_EQ(Kura({"bridge", "status", "-c", Path("client.toml"), id}).output, "pending\n");
}

}  // namespace
}  // namespace kura::bridge
