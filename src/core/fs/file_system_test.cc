#include "core/fs/file_system.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace kura {
namespace {

class PosixFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kura_fs_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return JoinPath(dir_, name); }
  static uint32_t ModeOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }

  PosixFileSystem fs_;
  std::string dir_;
};

// Limits the size of files this process may write, so writes fail with EFBIG
// even when the tests run as root (where permission tricks do not work).
class ScopedFileSizeLimit {
 public:
  explicit ScopedFileSizeLimit(rlim_t bytes) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit lim = old_;
    lim.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &lim);
  }
  ~ScopedFileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
};

TEST_F(PosixFileSystemTest, WriteAtomicThenReadRoundTrips) {
  const std::string p = Path("a.txt");
  ASSERT_TRUE(fs_.WriteFileAtomic(p, "first").ok());
  EXPECT_EQ(*fs_.ReadFile(p), "first");
  ASSERT_TRUE(fs_.WriteFileAtomic(p, "second, longer").ok());
  EXPECT_EQ(*fs_.ReadFile(p), "second, longer");
  ASSERT_TRUE(fs_.WriteFileAtomic(p, "").ok());
  EXPECT_EQ(*fs_.ReadFile(p), "");
}

TEST_F(PosixFileSystemTest, WriteAtomicAppliesModeExactly) {
  ASSERT_TRUE(fs_.WriteFileAtomic(Path("private"), "x").ok());
  EXPECT_EQ(ModeOf(Path("private")), 0600u);
  ASSERT_TRUE(fs_.WriteFileAtomic(Path("shared"), "x", 0644).ok());
  EXPECT_EQ(ModeOf(Path("shared")), 0644u);
}

TEST_F(PosixFileSystemTest, FailedAtomicReplaceKeepsOldContentAndRemovesTemporary) {
  const std::string p = Path("state.json");
  ASSERT_TRUE(fs_.WriteFileAtomic(p, "old").ok());
  {
    ScopedFileSizeLimit limit(16);
    Status st = fs_.WriteFileAtomic(p, std::string(4096, 'n'));
    EXPECT_EQ(st.code(), StatusCode::kInternal) << st.ToString();
    EXPECT_NE(st.message().find("state.json"), std::string::npos) << st.message();
  }
  EXPECT_EQ(*fs_.ReadFile(p), "old");
  EXPECT_EQ(*fs_.ListDir(dir_), std::vector<std::string>{"state.json"});
}

TEST_F(PosixFileSystemTest, WriteAtomicOverDirectoryFailsAndLeavesNoTemporary) {
  ASSERT_TRUE(fs_.CreateDirs(Path("d")).ok());
  Status st = fs_.WriteFileAtomic(Path("d"), "x");
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
  EXPECT_EQ(*fs_.ListDir(dir_), std::vector<std::string>{"d"});
}

TEST_F(PosixFileSystemTest, WriteAtomicInMissingDirectoryIsNotFound) {
  EXPECT_EQ(fs_.WriteFileAtomic(Path("nope/a"), "x").code(), StatusCode::kNotFound);
}

TEST_F(PosixFileSystemTest, CreateExclusiveRefusesExistingFile) {
  const std::string p = Path("once");
  ASSERT_TRUE(fs_.CreateFileExclusive(p, "one").ok());
  EXPECT_EQ(ModeOf(p), 0600u);
  EXPECT_EQ(fs_.CreateFileExclusive(p, "two").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(*fs_.ReadFile(p), "one");
  EXPECT_EQ(fs_.CreateFileExclusive(Path("missing/x"), "y").code(), StatusCode::kNotFound);
  EXPECT_EQ(*fs_.ListDir(dir_), std::vector<std::string>{"once"});
}

TEST_F(PosixFileSystemTest, FailedExclusiveCreateLeavesNothingBehind) {
  {
    ScopedFileSizeLimit limit(16);
    EXPECT_EQ(fs_.CreateFileExclusive(Path("big"), std::string(4096, 'b')).code(),
              StatusCode::kInternal);
  }
  EXPECT_FALSE(fs_.Exists(Path("big")));
  EXPECT_TRUE(fs_.ListDir(dir_)->empty());
  // A retry can still succeed: no half-written file blocks it.
  EXPECT_TRUE(fs_.CreateFileExclusive(Path("big"), "ok").ok());
}

TEST_F(PosixFileSystemTest, ListDirIsSortedAndReportsErrors) {
  for (const char* name : {"b", "a", "c10", "c2"}) {
    ASSERT_TRUE(fs_.WriteFileAtomic(Path(name), "x").ok());
  }
  ASSERT_TRUE(fs_.CreateDirs(Path("sub")).ok());
  EXPECT_EQ(*fs_.ListDir(dir_), (std::vector<std::string>{"a", "b", "c10", "c2", "sub"}));
  EXPECT_TRUE(fs_.ListDir(Path("sub"))->empty());
  EXPECT_EQ(fs_.ListDir(Path("missing")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fs_.ListDir(Path("a")).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(PosixFileSystemTest, ReadFileAtMostRefusesLargerFiles) {
  const std::string p = Path("f");
  ASSERT_TRUE(fs_.WriteFileAtomic(p, "0123456789").ok());
  EXPECT_EQ(*fs_.ReadFileAtMost(p, 10), "0123456789");
  EXPECT_EQ(*fs_.ReadFileAtMost(p, 11), "0123456789");
  Result<std::string> over = fs_.ReadFileAtMost(p, 9);
  EXPECT_EQ(over.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(over.status().message().find(p), std::string::npos) << over.status().message();
  EXPECT_NE(over.status().message().find("larger than 9 bytes"), std::string::npos);
  EXPECT_EQ(over.status().message().find("012345"), std::string::npos);
  ASSERT_TRUE(fs_.WriteFileAtomic(p, "").ok());
  EXPECT_EQ(*fs_.ReadFileAtMost(p, 0), "");
  // Larger than one read(2) of the implementation's buffer.
  const std::string big(200 * 1024, 'b');
  ASSERT_TRUE(fs_.WriteFileAtomic(p, big).ok());
  EXPECT_EQ(*fs_.ReadFileAtMost(p, big.size()), big);
  EXPECT_EQ(fs_.ReadFileAtMost(p, big.size() - 1).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(fs_.ReadFileAtMost(Path("missing"), 10).status().code(), StatusCode::kNotFound);
}

TEST_F(PosixFileSystemTest, ReadFileAtMostStopsReadingPastTheLimit) {
  // An endless file: a read without a bound would never return.
  EXPECT_EQ(fs_.ReadFileAtMost("/dev/zero", 1 << 20).status().code(), StatusCode::kOutOfRange);
}

TEST_F(PosixFileSystemTest, NotFoundCodes) {
  EXPECT_EQ(fs_.ReadFile(Path("missing")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fs_.RemoveFile(Path("missing")).code(), StatusCode::kNotFound);
  EXPECT_EQ(fs_.Rename(Path("missing"), Path("x")).code(), StatusCode::kNotFound);
  EXPECT_EQ(fs_.SyncDir(Path("missing")).code(), StatusCode::kNotFound);
  EXPECT_EQ(fs_.IsDirectory(Path("missing")).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs_.Exists(Path("missing")));
}

TEST_F(PosixFileSystemTest, ErrorMessagesNameThePathNotTheContents) {
  Status st = fs_.ReadFile(Path("secret-name")).status();
  EXPECT_NE(st.message().find("secret-name"), std::string::npos);
  ASSERT_TRUE(fs_.WriteFileAtomic(Path("f"), "4111111111111111").ok());
  Status st2 = fs_.CreateFileExclusive(Path("f"), "4111111111111111");
  EXPECT_EQ(st2.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(st2.message().find("4111"), std::string::npos);
}

TEST_F(PosixFileSystemTest, RemoveAndRename) {
  ASSERT_TRUE(fs_.WriteFileAtomic(Path("a"), "A").ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(Path("b"), "B").ok());
  ASSERT_TRUE(fs_.Rename(Path("a"), Path("b")).ok());
  EXPECT_FALSE(fs_.Exists(Path("a")));
  EXPECT_EQ(*fs_.ReadFile(Path("b")), "A");
  ASSERT_TRUE(fs_.RemoveFile(Path("b")).ok());
  EXPECT_FALSE(fs_.Exists(Path("b")));
  ASSERT_TRUE(fs_.CreateDirs(Path("d")).ok());
  EXPECT_EQ(fs_.RemoveFile(Path("d")).code(), StatusCode::kFailedPrecondition);
}

TEST_F(PosixFileSystemTest, RemoveDirOnlyRemovesEmptyDirectories) {
  ASSERT_TRUE(fs_.CreateDirs(Path("d/e")).ok());
  EXPECT_EQ(fs_.RemoveDir(Path("d")).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(fs_.RemoveDir(Path("d/e")).ok());
  EXPECT_FALSE(fs_.Exists(Path("d/e")));
  EXPECT_EQ(fs_.RemoveDir(Path("d/e")).code(), StatusCode::kNotFound);
  ASSERT_TRUE(fs_.WriteFileAtomic(Path("f"), "x").ok());
  EXPECT_EQ(fs_.RemoveDir(Path("f")).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(fs_.RemoveDir(Path("d")).ok());
}

TEST_F(PosixFileSystemTest, CreateDirsIsRecursiveIdempotentAndPrivate) {
  const std::string deep = Path("x/y/z");
  ASSERT_TRUE(fs_.CreateDirs(deep).ok());
  ASSERT_TRUE(fs_.CreateDirs(deep).ok());
  ASSERT_TRUE(fs_.CreateDirs(deep + "/").ok());
  EXPECT_TRUE(*fs_.IsDirectory(deep));
  EXPECT_EQ(ModeOf(Path("x")), 0700u);
  ASSERT_TRUE(fs_.WriteFileAtomic(Path("file"), "x").ok());
  EXPECT_FALSE(*fs_.IsDirectory(Path("file")));
  EXPECT_EQ(fs_.CreateDirs(Path("file/sub")).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(fs_.CreateDirs("").code(), StatusCode::kInvalidArgument);
}

TEST_F(PosixFileSystemTest, AppendableFileAppendsAcrossReopens) {
  const std::string p = Path("log");
  {
    auto f = fs_.OpenAppendable(p);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_TRUE((*f)->Append("one\n").ok());
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE((*f)->Close().ok());
    EXPECT_EQ((*f)->Append("late").code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ((*f)->Sync().code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(ModeOf(p), 0600u);
  {
    auto f = fs_.OpenAppendable(p, 0644);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append("two\n").ok());
    // Destructor closes without an explicit Close.
  }
  EXPECT_EQ(*fs_.ReadFile(p), "one\ntwo\n");
  EXPECT_EQ(ModeOf(p), 0600u);  // An existing file keeps its mode.
  EXPECT_EQ(fs_.OpenAppendable(Path("missing/log")).status().code(), StatusCode::kNotFound);
}

TEST_F(PosixFileSystemTest, AppendableFileFailsClosedAfterAnError) {
  auto f = fs_.OpenAppendable(Path("log"));
  ASSERT_TRUE(f.ok());
  {
    ScopedFileSizeLimit limit(8);
    EXPECT_EQ((*f)->Append(std::string(100, 'x')).code(), StatusCode::kInternal);
  }
  // The limit is gone, but the file stays poisoned.
  EXPECT_EQ((*f)->Append("y").code(), StatusCode::kInternal);
  EXPECT_EQ((*f)->Sync().code(), StatusCode::kInternal);
  EXPECT_EQ((*f)->Close().code(), StatusCode::kInternal);
}

TEST_F(PosixFileSystemTest, NoTemporariesLeftAfterSuccess) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(fs_.WriteFileAtomic(Path("f"), std::to_string(i)).ok());
  }
  ASSERT_TRUE(fs_.CreateFileExclusive(Path("g"), "g").ok());
  EXPECT_EQ(*fs_.ListDir(dir_), (std::vector<std::string>{"f", "g"}));
}

TEST(PathTest, JoinDirAndBase) {
  EXPECT_EQ(JoinPath("a/b", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("a/b/", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("", "c"), "c");
  EXPECT_EQ(JoinPath("/", "c"), "/c");
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("a/b/c/"), "a/b");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(DirName("/c"), "/");
  EXPECT_EQ(DirName("/"), "/");
  EXPECT_EQ(BaseName("a/b/c"), "c");
  EXPECT_EQ(BaseName("a/b/c/"), "c");
  EXPECT_EQ(BaseName("c"), "c");
  EXPECT_TRUE(IsTempFileName(".kura-tmp.abc123"));
  EXPECT_FALSE(IsTempFileName("kura-tmp.abc123"));
}

}  // namespace
}  // namespace kura
