#include "vault/change_generation.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace kura::vault {
namespace {

class ChangeGenerationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/kura_change_gen_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/cards.db-gen";
    db_ = dir_ + "/cards.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::unique_ptr<ChangeGeneration> OpenGen() {
    Result<std::unique_ptr<ChangeGeneration>> gen = ChangeGeneration::Open(path_, db_);
    EXPECT_TRUE(gen.ok()) << gen.status().ToString();
    return gen.ok() ? std::move(gen).value() : nullptr;
  }

  std::string dir_;
  std::string path_;
  std::string db_;
};

TEST_F(ChangeGenerationTest, NewFileStartsStableAllocatedAndOwnerOnly) {
  auto gen = OpenGen();
  ASSERT_NE(gen, nullptr);
  EXPECT_EQ(gen->Load(), 0u);
  EXPECT_TRUE(ChangeGeneration::IsStable(gen->Load()));
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 8);
  EXPECT_GT(st.st_blocks, 0);  // not sparse: no SIGBUS on a full disk
}

TEST_F(ChangeGenerationTest, TightensAWiderModeAndKeepsTheValue) {
  {
    auto gen = OpenGen();
    ASSERT_NE(gen, nullptr);
    gen->End(gen->Begin());
  }
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  auto again = OpenGen();
  ASSERT_NE(again, nullptr);
  EXPECT_GT(again->Load(), 0u);  // reopening never resets the counter
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ChangeGenerationTest, AsRootTakesTheDatabaseFilesOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a file for another user";
  { std::ofstream db(db_); }
  ASSERT_EQ(::chown(db_.c_str(), 65534, 65534), 0);  // nobody:nogroup
  auto gen = OpenGen();
  ASSERT_NE(gen, nullptr);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
}

TEST_F(ChangeGenerationTest, BeginAndEndAreSeenThroughEveryHandle) {
  auto writer = OpenGen();
  auto reader = OpenGen();  // another process maps the same file
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(reader, nullptr);
  const uint64_t before = reader->Load();
  const uint64_t change = writer->Begin();
  EXPECT_FALSE(ChangeGeneration::IsStable(reader->Load()));
  EXPECT_EQ(reader->Load(), change);
  EXPECT_GT(change, before);
  writer->End(change);
  const uint64_t after = reader->Load();
  EXPECT_TRUE(ChangeGeneration::IsStable(after));
  EXPECT_GT(after, change);
  // Every change gives a value no reader saw before.
  const uint64_t second = writer->Begin();
  writer->End(second);
  EXPECT_GT(reader->Load(), after);
}

TEST_F(ChangeGenerationTest, EndOfASupersededChangeLeavesTheLaterOneInFlight) {
  auto a = OpenGen();
  auto b = OpenGen();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const uint64_t first = a->Begin();
  // `a` committed and released the write lock; `b` took it before a's End().
  const uint64_t second = b->Begin();
  a->End(first);
  EXPECT_EQ(a->Load(), second);
  EXPECT_FALSE(ChangeGeneration::IsStable(a->Load()));
  b->End(second);
  EXPECT_TRUE(ChangeGeneration::IsStable(a->Load()));
}

TEST_F(ChangeGenerationTest, HealEndsAChangeLeftByADeadWriter) {
  uint64_t left = 0;
  {
    auto dead = OpenGen();
    ASSERT_NE(dead, nullptr);
    left = dead->Begin();  // and never End()s
  }
  auto next = OpenGen();
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->Load(), left);
  EXPECT_FALSE(ChangeGeneration::IsStable(next->Load()));
  next->Heal();
  EXPECT_TRUE(ChangeGeneration::IsStable(next->Load()));
  EXPECT_GT(next->Load(), left);
  // Healing a stable value changes nothing.
  const uint64_t stable = next->Load();
  next->Heal();
  EXPECT_EQ(next->Load(), stable);
}

TEST_F(ChangeGenerationTest, OpenErrors) {
  {
    std::ofstream wrong(path_);
    wrong << "abc";  // not a counter
  }
  EXPECT_EQ(ChangeGeneration::Open(path_, db_).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ChangeGeneration::Open(dir_ + "/missing/cards.db-gen", db_).status().code(),
            StatusCode::kNotFound);
  const std::string link = dir_ + "/link-gen";
  std::filesystem::create_symlink(path_, link);
  EXPECT_EQ(ChangeGeneration::Open(link, db_).status().code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace kura::vault
