#include "core/fs/fault_injecting_file_system.h"

#include <gtest/gtest.h>

#include "core/fs/memory_file_system.h"

namespace kura {
namespace {

class FaultInjectingFileSystemTest : public ::testing::Test {
 protected:
  MemoryFileSystem mem_;
  FaultInjectingFileSystem fs_{mem_};
};

TEST_F(FaultInjectingFileSystemTest, PassesThroughWithoutFaults) {
  ASSERT_TRUE(fs_.CreateDirs("/d").ok());
  ASSERT_TRUE(fs_.WriteFileAtomic("/d/a", "abc").ok());
  ASSERT_TRUE(fs_.CreateFileExclusive("/d/b", "de").ok());
  EXPECT_EQ(*fs_.ReadFile("/d/a"), "abc");
  EXPECT_EQ(*fs_.ListDir("/d"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(fs_.bytes_written(), 5u);
  EXPECT_EQ(fs_.injected_failures(), 0u);
  EXPECT_EQ(fs_.CreateFileExclusive("/d/b", "x").code(), StatusCode::kAlreadyExists);
}

TEST_F(FaultInjectingFileSystemTest, FailNextSyncFailsExactlyOnce) {
  auto f = fs_.OpenAppendable("/log");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("a").ok());
  fs_.FailNextSync();
  Status st = (*f)->Sync();
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_EQ(st.message(), "fsync failed");
  // Fail closed: the file stays unusable although the fault is consumed.
  EXPECT_EQ((*f)->Sync().code(), StatusCode::kInternal);
  EXPECT_EQ((*f)->Append("b").code(), StatusCode::kInternal);
  EXPECT_EQ((*f)->Close().code(), StatusCode::kInternal);
  // Other operations are fine again.
  EXPECT_TRUE(fs_.SyncDir("/").ok());
  EXPECT_EQ(fs_.injected_failures(), 1u);
}

TEST_F(FaultInjectingFileSystemTest, SyncFailureInAtomicWriteKeepsOldContent) {
  ASSERT_TRUE(fs_.WriteFileAtomic("/state", "old").ok());
  fs_.FailNextSync();
  EXPECT_EQ(fs_.WriteFileAtomic("/state", "new").code(), StatusCode::kInternal);
  EXPECT_EQ(*fs_.ReadFile("/state"), "old");
  fs_.FailNextSync();
  EXPECT_EQ(fs_.CreateFileExclusive("/other", "x").code(), StatusCode::kInternal);
  EXPECT_FALSE(fs_.Exists("/other"));
}

TEST_F(FaultInjectingFileSystemTest, FailAllSyncsUntilCleared) {
  fs_.FailAllSyncs(true);
  EXPECT_EQ(fs_.SyncDir("/").code(), StatusCode::kInternal);
  EXPECT_EQ(fs_.SyncDir("/").code(), StatusCode::kInternal);
  EXPECT_EQ(fs_.WriteFileAtomic("/a", "x").code(), StatusCode::kInternal);
  fs_.ClearFaults();
  EXPECT_TRUE(fs_.SyncDir("/").ok());
  EXPECT_TRUE(fs_.WriteFileAtomic("/a", "x").ok());
  fs_.FailAllSyncs(true);
  fs_.FailAllSyncs(false);
  EXPECT_TRUE(fs_.SyncDir("/").ok());
}

TEST_F(FaultInjectingFileSystemTest, DiskFillsUpAfterLimit) {
  fs_.FailWritesAfterBytes(10);
  auto f = fs_.OpenAppendable("/log");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("123456").ok());
  Status st = (*f)->Append("7890X");  // 11 > 10
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(*mem_.ReadFile("/log"), "123456");  // nothing of the failed write
  EXPECT_EQ((*f)->Append("").code(), StatusCode::kResourceExhausted);  // poisoned
  // Other writes still see the full disk; small ones still fit.
  EXPECT_EQ(fs_.WriteFileAtomic("/big", "12345").code(), StatusCode::kResourceExhausted);
  EXPECT_FALSE(fs_.Exists("/big"));
  EXPECT_TRUE(fs_.WriteFileAtomic("/small", "1234").ok());
  EXPECT_EQ(fs_.bytes_written(), 10u);
  fs_.ClearFaults();
  EXPECT_TRUE(fs_.WriteFileAtomic("/big", "12345").ok());
  EXPECT_EQ(fs_.injected_failures(), 2u);
}

TEST_F(FaultInjectingFileSystemTest, LimitCountsFromWhenItIsSet) {
  ASSERT_TRUE(fs_.WriteFileAtomic("/a", std::string(100, 'a')).ok());
  fs_.FailWritesAfterBytes(3);
  EXPECT_TRUE(fs_.WriteFileAtomic("/b", "abc").ok());
  EXPECT_EQ(fs_.WriteFileAtomic("/c", "d").code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace kura
