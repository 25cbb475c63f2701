#include "core/fs/memory_file_system.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace kura {
namespace {

TEST(MemoryFileSystemTest, WriteReadReplace) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomic("/a", "1").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/a", "22", 0640).ok());
  EXPECT_EQ(*fs.ReadFile("/a"), "22");
  EXPECT_EQ(*fs.GetMode("/a"), 0640u);
  EXPECT_EQ(fs.ReadFile("/b").status().code(), StatusCode::kNotFound);
}

TEST(MemoryFileSystemTest, ReadFileAtMost) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.WriteFileAtomic("/a", "abc").ok());
  EXPECT_EQ(*fs.ReadFileAtMost("/a", 3), "abc");
  Result<std::string> over = fs.ReadFileAtMost("/a", 2);
  EXPECT_EQ(over.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(over.status().message().find("larger than 2 bytes"), std::string::npos);
  EXPECT_EQ(fs.ReadFileAtMost("/b", 2).status().code(), StatusCode::kNotFound);
}

TEST(MemoryFileSystemTest, NormalisesPaths) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/d/e/").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/d//e/./f", "x").ok());
  EXPECT_EQ(*fs.ReadFile("/d/e/f"), "x");
  // Relative and absolute paths are distinct trees.
  EXPECT_FALSE(fs.Exists("d/e/f"));
}

TEST(MemoryFileSystemTest, ParentDirectoryMustExist) {
  MemoryFileSystem fs;
  EXPECT_EQ(fs.WriteFileAtomic("/x/y", "1").code(), StatusCode::kNotFound);
  EXPECT_EQ(fs.CreateFileExclusive("/x/y", "1").code(), StatusCode::kNotFound);
  EXPECT_EQ(fs.OpenAppendable("/x/y").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(fs.CreateDirs("/x").ok());
  EXPECT_TRUE(fs.WriteFileAtomic("/x/y", "1").ok());
  // A file is not a directory.
  EXPECT_EQ(fs.WriteFileAtomic("/x/y/z", "1").code(), StatusCode::kNotFound);
  EXPECT_EQ(fs.CreateDirs("/x/y/z").code(), StatusCode::kFailedPrecondition);
}

TEST(MemoryFileSystemTest, CreateExclusive) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateFileExclusive("/a", "one").ok());
  EXPECT_EQ(fs.CreateFileExclusive("/a", "two").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(*fs.ReadFile("/a"), "one");
  ASSERT_TRUE(fs.CreateDirs("/d").ok());
  EXPECT_EQ(fs.CreateFileExclusive("/d", "x").code(), StatusCode::kAlreadyExists);
}

TEST(MemoryFileSystemTest, ListDirSortedWithDirectories) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/r/sub/deeper").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/r/b", "").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/r/a", "").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/r/sub/c", "").ok());
  EXPECT_EQ(*fs.ListDir("/r"), (std::vector<std::string>{"a", "b", "sub"}));
  EXPECT_EQ(*fs.ListDir("/r/sub"), (std::vector<std::string>{"c", "deeper"}));
  EXPECT_EQ(*fs.ListDir("/"), std::vector<std::string>{"r"});
  EXPECT_EQ(fs.ListDir("/nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fs.ListDir("/r/a").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(*fs.IsDirectory("/r/sub"));
  EXPECT_FALSE(*fs.IsDirectory("/r/a"));
  EXPECT_EQ(fs.IsDirectory("/r/z").status().code(), StatusCode::kNotFound);
}

TEST(MemoryFileSystemTest, RemoveRenameSyncDir) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/d").ok());
  ASSERT_TRUE(fs.WriteFileAtomic("/a", "A").ok());
  ASSERT_TRUE(fs.Rename("/a", "/d/b").ok());
  EXPECT_FALSE(fs.Exists("/a"));
  EXPECT_EQ(*fs.ReadFile("/d/b"), "A");
  EXPECT_EQ(fs.Rename("/a", "/c").code(), StatusCode::kNotFound);
  EXPECT_EQ(fs.Rename("/d/b", "/missing/c").code(), StatusCode::kNotFound);
  EXPECT_EQ(fs.RemoveFile("/d").code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(fs.RemoveFile("/d/b").ok());
  EXPECT_EQ(fs.RemoveFile("/d/b").code(), StatusCode::kNotFound);
  EXPECT_TRUE(fs.SyncDir("/d").ok());
  EXPECT_EQ(fs.SyncDir("/e").code(), StatusCode::kNotFound);
}

TEST(MemoryFileSystemTest, RemoveDir) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/d/e").ok());
  EXPECT_EQ(fs.RemoveDir("/d").code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(fs.RemoveDir("/d/e").ok());
  EXPECT_EQ(fs.RemoveDir("/d/e").code(), StatusCode::kNotFound);
  ASSERT_TRUE(fs.WriteFileAtomic("/d/f", "x").ok());
  EXPECT_EQ(fs.RemoveDir("/d").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(fs.RemoveDir("/d/f").code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(fs.RemoveFile("/d/f").ok());
  ASSERT_TRUE(fs.RemoveDir("/d").ok());
  EXPECT_EQ(fs.RemoveDir("/").code(), StatusCode::kFailedPrecondition);
}

TEST(MemoryFileSystemTest, AppendableAndCrashDropsUnsyncedData) {
  MemoryFileSystem fs;
  auto f = fs.OpenAppendable("/log");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("synced\n").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Append("lost\n").ok());
  EXPECT_EQ(*fs.ReadFile("/log"), "synced\nlost\n");
  EXPECT_EQ(*fs.GetMode("/log"), 0600u);
  fs.SimulateCrash();
  EXPECT_EQ(*fs.ReadFile("/log"), "synced\n");
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ((*f)->Append("x").code(), StatusCode::kFailedPrecondition);
}

TEST(MemoryFileSystemTest, ConcurrentWritersOnDistinctFiles) {
  MemoryFileSystem fs;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&fs, t] {
      auto f = fs.OpenAppendable("/log" + std::to_string(t));
      if (!f.ok()) return;
      for (int i = 0; i < 200; ++i) {
        (*f)->Append("x").IgnoreError();
        fs.WriteFileAtomic("/w" + std::to_string(t), std::to_string(i)).IgnoreError();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(fs.ReadFile("/log" + std::to_string(t))->size(), 200u);
    EXPECT_EQ(*fs.ReadFile("/w" + std::to_string(t)), "199");
  }
}

}  // namespace
}  // namespace kura
