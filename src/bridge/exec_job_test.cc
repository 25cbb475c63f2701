#include "bridge/exec_job.h"

#include <gtest/gtest.h>

#include <atomic>

#include "bridge/test_util.h"

namespace kura::bridge {
namespace {

using std::chrono::milliseconds;

TEST(ExecJobTest, ArgvIsPassedVerbatimWithoutShell) {
  testing::TempDir dir;
  auto r = RunExecutable({"/bin/echo", "; rm -rf /", "$(id)", "`id`", "a b"}, dir.path(),
                         milliseconds(5000), 1024);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->output, "; rm -rf / $(id) `id` a b\n");
}

TEST(ExecJobTest, CleanEnvironmentAndOwnWorkdir) {
  testing::TempDir dir;
  ::setenv("KURA_SECRET_FOR_TEST", "leak", 1);
  auto env = RunExecutable({"/usr/bin/env"}, dir.path(), milliseconds(5000), 4096);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->output.find("KURA_SECRET_FOR_TEST"), std::string::npos);
  EXPECT_NE(env->output.find("PATH=/usr/bin:/bin"), std::string::npos);
  auto pwd = RunExecutable({"/bin/pwd"}, dir.path(), milliseconds(5000), 4096);
  ASSERT_TRUE(pwd.ok());
  EXPECT_EQ(pwd->output, dir.path() + "\n");
}

TEST(ExecJobTest, HangingJobIsKilledAtTheTimeLimit) {
  testing::TempDir dir;
  auto r = RunExecutable({"/bin/sleep", "30"}, dir.path(), milliseconds(300), 1024);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, 128 + 9);
  EXPECT_LT(r->elapsed, milliseconds(5000));
}

TEST(ExecJobTest, HangingJobWithClosedOutputIsKilledToo) {
  testing::TempDir dir;
  auto r = RunExecutable({"/bin/sh", "-c", "exec >/dev/null 2>&1; sleep 30"}, dir.path(),
                         milliseconds(300), 1024);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_LT(r->elapsed, milliseconds(5000));
}

TEST(ExecJobTest, JobIsKilledWhenAskedToStop) {
  testing::TempDir dir;
  std::atomic<int> asked{0};
  auto r = RunExecutable({"/bin/sleep", "30"}, dir.path(), std::chrono::minutes(1), 1024,
                         [&asked] { return ++asked > 3; });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->stopped);
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->exit_code, 128 + 9);
  EXPECT_GE(asked.load(), 4);
  EXPECT_LT(r->elapsed, milliseconds(5000));
  // Never asked to stop: runs to its end.
  auto done = RunExecutable({"/bin/echo", "ok"}, dir.path(), std::chrono::minutes(1), 1024,
                            [] { return false; });
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->stopped);
  EXPECT_EQ(done->exit_code, 0);
  EXPECT_EQ(done->output, "ok\n");
}

TEST(ExecJobTest, OutputIsBoundedAndExitCodeCaptured) {
  testing::TempDir dir;
  auto r = RunExecutable({"/bin/sh", "-c", "yes | head -c 100000; exit 3"}, dir.path(),
                         milliseconds(5000), 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->output.size(), 100u);
  EXPECT_TRUE(r->output_truncated);
}

TEST(ExecJobTest, MissingExecutableExits127AndRelativePathIsRefused) {
  testing::TempDir dir;
  auto r = RunExecutable({"/nonexistent/prog"}, dir.path(), milliseconds(5000), 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 127);
  EXPECT_EQ(RunExecutable({"echo"}, dir.path(), milliseconds(100), 10).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunExecutable({}, dir.path(), milliseconds(100), 10).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::bridge
