// LocalBlobStore specifics: on-disk layout, persistence, crash leftovers,
// and error propagation from the file system.
#include "core/blob/local_blob_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/fs/fault_injecting_file_system.h"
#include "core/fs/memory_file_system.h"

namespace kura {
namespace {

class LocalBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kura_local_blob_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    root_ = JoinPath(dir_, "store/root");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  static uint32_t ModeOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  PosixFileSystem fs_;
  std::string dir_;
  std::string root_;
};

TEST_F(LocalBlobStoreTest, OpenCreatesRootAndRejectsBadRoots) {
  auto store = LocalBlobStore::Open(fs_, root_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE(*fs_.IsDirectory(root_));
  EXPECT_EQ((*store)->root(), root_);
  EXPECT_EQ(LocalBlobStore::Open(fs_, "").status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(fs_.WriteFileAtomic(JoinPath(dir_, "file"), "x").ok());
  EXPECT_EQ(LocalBlobStore::Open(fs_, JoinPath(dir_, "file")).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(LocalBlobStoreTest, StoresOneFilePerKeyWithPrivateModes) {
  auto store = LocalBlobStore::Open(fs_, root_);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("requests/2026/abc.json", "data").ok());
  const std::string file = JoinPath(root_, "requests/2026/abc.json");
  EXPECT_EQ(*fs_.ReadFile(file), "data");
  EXPECT_EQ(ModeOf(file), 0600u);
  EXPECT_EQ(ModeOf(JoinPath(root_, "requests")), 0700u);
  EXPECT_EQ(ModeOf(JoinPath(root_, "requests/2026")), 0700u);
}

TEST_F(LocalBlobStoreTest, PersistsAcrossReopen) {
  {
    auto store = LocalBlobStore::Open(fs_, root_);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Put("a/b", "1").ok());
    ASSERT_TRUE((*store)->PutIfAbsent("c", "2").ok());
  }
  auto store = LocalBlobStore::Open(fs_, root_);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->Get("a/b"), "1");
  EXPECT_EQ(*(*store)->Get("c"), "2");
  EXPECT_EQ(*(*store)->List(""), (std::vector<std::string>{"a/b", "c"}));
  EXPECT_EQ((*store)->PutIfAbsent("c", "3").code(), StatusCode::kAlreadyExists);
}

TEST_F(LocalBlobStoreTest, IgnoresCrashTemporariesAndForeignNames) {
  auto store = LocalBlobStore::Open(fs_, root_);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("d/x", "1").ok());
  // Leftovers of a crash in the middle of WriteFileAtomic.
  ASSERT_TRUE(fs_.WriteFileAtomic(JoinPath(root_, "d/.kura-tmp.AbC123"), "partial").ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(JoinPath(root_, ".kura-tmp.zzz"), "partial").ok());
  // A file whose name could never be a valid key.
  ASSERT_TRUE(fs_.WriteFileAtomic(JoinPath(root_, "bad\\name"), "x").ok());
  EXPECT_EQ(*(*store)->List(""), std::vector<std::string>{"d/x"});
}

TEST_F(LocalBlobStoreTest, DeletePrunesEmptyDirectoriesButKeepsRoot) {
  auto store = LocalBlobStore::Open(fs_, root_);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("x/y/z", "1").ok());
  ASSERT_TRUE((*store)->Put("x/keep", "2").ok());
  ASSERT_TRUE((*store)->Delete("x/y/z").ok());
  EXPECT_FALSE(fs_.Exists(JoinPath(root_, "x/y")));
  EXPECT_TRUE(fs_.Exists(JoinPath(root_, "x")));
  ASSERT_TRUE((*store)->Delete("x/keep").ok());
  EXPECT_FALSE(fs_.Exists(JoinPath(root_, "x")));
  EXPECT_TRUE(*fs_.IsDirectory(root_));
}

TEST(LocalBlobStoreFaultTest, FailedPutKeepsOldBlobAndReportsCode) {
  MemoryFileSystem mem;
  FaultInjectingFileSystem fs(mem);
  auto store = LocalBlobStore::Open(fs, "/blobs");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("k", "old").ok());
  fs.FailNextSync();
  EXPECT_EQ((*store)->Put("k", "new").code(), StatusCode::kInternal);
  EXPECT_EQ(*(*store)->Get("k"), "old");
  fs.FailWritesAfterBytes(2);
  EXPECT_EQ((*store)->Put("k", "bigger").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ((*store)->PutIfAbsent("j", "bigger").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(*(*store)->Get("k"), "old");
  EXPECT_EQ((*store)->Get("j").status().code(), StatusCode::kNotFound);
}

TEST(LocalBlobStoreMemoryFsTest, WorksOverMemoryFileSystem) {
  MemoryFileSystem fs;
  auto store = LocalBlobStore::Open(fs, "/srv/blobs");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("a/b/c", "1").ok());
  EXPECT_EQ(*fs.GetMode("/srv/blobs/a/b/c"), 0600u);
  EXPECT_EQ(*fs.GetMode("/srv/blobs/a"), 0700u);
  EXPECT_EQ(*(*store)->List("a/"), std::vector<std::string>{"a/b/c"});
}

// A source of `n` bytes of 'a', read in pieces of `piece`.
class RepeatSource final : public BlobSource {
 public:
  RepeatSource(size_t n, size_t piece) : left_(n), piece_(piece) {}
  Result<size_t> Read(char* buf, size_t size) override {
    const size_t k = std::min({size, piece_, left_});
    std::memset(buf, 'a', k);
    left_ -= k;
    return k;
  }

 private:
  size_t left_;
  size_t piece_;
};

TEST_F(LocalBlobStoreTest, PutStreamFailedSyncOrFullDiskKeepsOldBlobAndNoTemporary) {
  FaultInjectingFileSystem faulty(fs_);
  auto store = LocalBlobStore::Open(faulty, root_);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("artifacts/id/a.csv", "old").ok());
  faulty.FailNextSync();
  RepeatSource s1(3 * kBlobStreamChunkBytes, kBlobStreamChunkBytes);
  EXPECT_EQ((*store)->PutStream("artifacts/id/a.csv", s1).code(), StatusCode::kInternal);
  EXPECT_EQ(*(*store)->Get("artifacts/id/a.csv"), "old");
  faulty.FailWritesAfterBytes(kBlobStreamChunkBytes + 10);
  RepeatSource s2(3 * kBlobStreamChunkBytes, 4096);
  EXPECT_EQ((*store)->PutStream("artifacts/id/a.csv", s2).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(*(*store)->Get("artifacts/id/a.csv"), "old");
  faulty.ClearFaults();
  // Neither failure left a temporary behind.
  EXPECT_EQ(*fs_.ListDir(JoinPath(root_, "artifacts/id")), (std::vector<std::string>{"a.csv"}));
  RepeatSource s3(2 * kBlobStreamChunkBytes + 1, 7777);
  ASSERT_TRUE((*store)->PutStream("artifacts/id/a.csv", s3).ok());
  EXPECT_EQ((*store)->Get("artifacts/id/a.csv")->size(), 2 * kBlobStreamChunkBytes + 1);
  EXPECT_EQ(ModeOf(JoinPath(root_, "artifacts/id/a.csv")), 0600u);
  EXPECT_EQ(*fs_.ListDir(JoinPath(root_, "artifacts/id")), (std::vector<std::string>{"a.csv"}));
}

}  // namespace
}  // namespace kura
