// Contract tests run against every BlobStore implementation, plus
// ValidateBlobKey cases.
#include "core/blob/blob_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/blob/local_blob_store.h"
#include "core/blob/memory_blob_store.h"
#include "core/fs/file_system.h"

namespace kura {
namespace {

using Keys = std::vector<std::string>;

TEST(ValidateBlobKeyTest, AcceptsOrdinaryKeys) {
  for (const char* key : {"a", "requests/2026/abc.json", "a.b/c-d_e", ".hidden", "x/..y",
                          "a/b/c/d/e/f"}) {
    EXPECT_TRUE(ValidateBlobKey(key).ok()) << key;
  }
  EXPECT_TRUE(ValidateBlobKey(std::string(kMaxBlobKeySegmentBytes, 'k')).ok());
}

TEST(ValidateBlobKeyTest, RejectsBadKeysWithInvalidArgument) {
  const std::string too_long = std::string(200, 'a') + "/" + std::string(200, 'b') + "/" +
                               std::string(200, 'c') + "/" + std::string(200, 'd') + "/" +
                               std::string(230, 'e');
  ASSERT_GT(too_long.size(), kMaxBlobKeyBytes);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {"/abs", "relative"},
      {"a//b", "empty segment"},
      {"a/", "empty segment"},
      {".", "'.' or '..'"},
      {"..", "'.' or '..'"},
      {"a/../b", "'.' or '..'"},
      {"a/./b", "'.' or '..'"},
      {std::string("a\0b", 3), "control"},
      {"a\nb", "control"},
      {"a\x7f", "control"},
      {"a\\b", "'\\'"},
      {too_long, "longer than 1024"},
      {std::string(kMaxBlobKeySegmentBytes + 1, 'k'), "segment longer"},
      {"d/.kura-tmp.abc", "reserved"},
  };
  for (const auto& [key, why] : cases) {
    Status st = ValidateBlobKey(key);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << why;
    EXPECT_NE(st.message().find(why), std::string::npos) << st.message();
  }
}

TEST(ValidateBlobKeyTest, Prefixes) {
  EXPECT_TRUE(ValidateBlobPrefix("").ok());
  EXPECT_TRUE(ValidateBlobPrefix("requests/").ok());
  EXPECT_TRUE(ValidateBlobPrefix("requests/20").ok());
  EXPECT_EQ(ValidateBlobPrefix("/x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateBlobPrefix("../x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateBlobPrefix("a//").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateBlobPrefix("a\tb").code(), StatusCode::kInvalidArgument);
}

// --- Contract tests, parameterised over the implementation. ---

struct StoreFactory {
  std::string name;
  // Makes a fresh, empty store; `dir` is a fresh temporary directory.
  std::function<std::unique_ptr<BlobStore>(FileSystem&, const std::string& dir)> make;
};

class BlobStoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kura_blob_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = GetParam().make(fs_, dir_);
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  PosixFileSystem fs_;
  std::string dir_;
  std::unique_ptr<BlobStore> store_;
};

TEST_P(BlobStoreContractTest, PutGetReplace) {
  ASSERT_TRUE(store_->Put("requests/2026/abc.json", "{\"a\":1}").ok());
  EXPECT_EQ(*store_->Get("requests/2026/abc.json"), "{\"a\":1}");
  ASSERT_TRUE(store_->Put("requests/2026/abc.json", "v2").ok());
  EXPECT_EQ(*store_->Get("requests/2026/abc.json"), "v2");
  ASSERT_TRUE(store_->Put("empty", "").ok());
  EXPECT_EQ(*store_->Get("empty"), "");
  std::string binary("\0\xff\n", 3);
  ASSERT_TRUE(store_->Put("bin", binary).ok());
  EXPECT_EQ(*store_->Get("bin"), binary);
}

TEST_P(BlobStoreContractTest, GetAtMostRefusesLargerBlobs) {
  ASSERT_TRUE(store_->Put("requests/r.jws", "0123456789").ok());
  EXPECT_EQ(*store_->GetAtMost("requests/r.jws", 10), "0123456789");
  Result<std::string> over = store_->GetAtMost("requests/r.jws", 9);
  EXPECT_EQ(over.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(over.status().message().find("'requests/r.jws' is larger than 9 bytes"),
            std::string::npos)
      << over.status().message();
  EXPECT_EQ(over.status().message().find("012345"), std::string::npos);
  ASSERT_TRUE(store_->Put("empty", "").ok());
  EXPECT_EQ(*store_->GetAtMost("empty", 0), "");
  EXPECT_EQ(store_->GetAtMost("nope", 10).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetAtMost("requests", 10).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetAtMost("a//b", 10).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(BlobStoreContractTest, MissingBlobsAreNotFound) {
  EXPECT_EQ(store_->Get("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("nope").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->Put("dir/leaf", "x").ok());
  // "dir" is a prefix, not a blob.
  EXPECT_EQ(store_->Get("dir").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("dir").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("dir/leaf/deeper").status().code(), StatusCode::kNotFound);
}

TEST_P(BlobStoreContractTest, InvalidKeysRejectedByEveryMethod) {
  EXPECT_EQ(store_->Put("../escape", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->PutIfAbsent("/abs", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Get("a//b").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Delete("").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->List("/").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->List("")->empty());
}

TEST_P(BlobStoreContractTest, PutIfAbsentOnlyOnce) {
  ASSERT_TRUE(store_->PutIfAbsent("drop/req-1.json", "first").ok());
  EXPECT_EQ(store_->PutIfAbsent("drop/req-1.json", "second").code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(*store_->Get("drop/req-1.json"), "first");
  ASSERT_TRUE(store_->Delete("drop/req-1.json").ok());
  EXPECT_TRUE(store_->PutIfAbsent("drop/req-1.json", "third").ok());
  EXPECT_EQ(*store_->Get("drop/req-1.json"), "third");
}

TEST_P(BlobStoreContractTest, ConcurrentPutIfAbsentHasOneWinner) {
  std::atomic<int> wins{0};
  std::atomic<int> already{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Status st = store_->PutIfAbsent("race/key", "writer" + std::to_string(t));
      if (st.ok()) ++wins;
      if (st.code() == StatusCode::kAlreadyExists) ++already;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(already.load(), 3);
}

TEST_P(BlobStoreContractTest, ListIsSortedAndFiltersByPrefix) {
  for (const char* key : {"requests/2026/b.json", "requests/2026/a.json", "requests/2025/z.json",
                          "responses/x", "requestsX", "top"}) {
    ASSERT_TRUE(store_->Put(key, key).ok()) << key;
  }
  EXPECT_EQ(*store_->List(""), (Keys{"requests/2025/z.json", "requests/2026/a.json",
                                     "requests/2026/b.json", "requestsX", "responses/x", "top"}));
  EXPECT_EQ(*store_->List("requests/"), (Keys{"requests/2025/z.json", "requests/2026/a.json",
                                              "requests/2026/b.json"}));
  EXPECT_EQ(*store_->List("requests/2026/"),
            (Keys{"requests/2026/a.json", "requests/2026/b.json"}));
  EXPECT_EQ(*store_->List("requests/2026/a"), (Keys{"requests/2026/a.json"}));
  EXPECT_EQ(*store_->List("requests"), (Keys{"requests/2025/z.json", "requests/2026/a.json",
                                             "requests/2026/b.json", "requestsX"}));
  EXPECT_TRUE(store_->List("nothing/here/")->empty());
  EXPECT_TRUE(store_->List("top/")->empty());
}

TEST_P(BlobStoreContractTest, DeleteRemovesFromGetAndList) {
  ASSERT_TRUE(store_->Put("a/b/c", "1").ok());
  ASSERT_TRUE(store_->Put("a/d", "2").ok());
  ASSERT_TRUE(store_->Delete("a/b/c").ok());
  EXPECT_EQ(store_->Get("a/b/c").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*store_->List("a/"), Keys{"a/d"});
  // With "a/b/c" gone, "a/b" may become a blob.
  EXPECT_TRUE(store_->Put("a/b", "now a blob").ok());
  EXPECT_EQ(*store_->List(""), (Keys{"a/b", "a/d"}));
}

TEST_P(BlobStoreContractTest, BlobAndPrefixCannotShareAName) {
  ASSERT_TRUE(store_->Put("a", "blob").ok());
  EXPECT_EQ(store_->Put("a/b", "x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->PutIfAbsent("a/b", "x").code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->Put("d/e", "x").ok());
  EXPECT_EQ(store_->Put("d", "x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->PutIfAbsent("d", "x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*store_->Get("a"), "blob");
  EXPECT_EQ(*store_->List(""), (Keys{"a", "d/e"}));
}

// A source handing out `data` in pieces of at most `piece` bytes, failing
// with `fail` after `fail_after` bytes if set.
class TestSource final : public BlobSource {
 public:
  TestSource(std::string data, size_t piece) : data_(std::move(data)), piece_(piece) {}
  void FailAfter(size_t bytes, Status fail) {
    fail_after_ = bytes;
    fail_ = std::move(fail);
  }
  Result<size_t> Read(char* buf, size_t size) override {
    if (pos_ >= fail_after_) return fail_;
    const size_t n = std::min({size, piece_, data_.size() - pos_, fail_after_ - pos_});
    std::memcpy(buf, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t piece_;
  size_t pos_ = 0;
  size_t fail_after_ = SIZE_MAX;
  Status fail_;
};

std::string PatternBytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + i / 4099) & 0xff);
  return s;
}

TEST_P(BlobStoreContractTest, PutStreamCopiesManyChunks) {
  // Larger than the copy chunk and not a multiple of it, delivered in odd pieces.
  const std::string data = PatternBytes(2 * kBlobStreamChunkBytes + 12345);
  TestSource source(data, 300000);
  ASSERT_TRUE(store_->PutStream("artifacts/x/big.csv", source).ok());
  EXPECT_EQ(*store_->Get("artifacts/x/big.csv"), data);
  TestSource empty("", 10);
  ASSERT_TRUE(store_->PutStream("artifacts/x/empty", empty).ok());
  EXPECT_EQ(*store_->Get("artifacts/x/empty"), "");
  EXPECT_EQ(*store_->List("artifacts/"), (Keys{"artifacts/x/big.csv", "artifacts/x/empty"}));
}

TEST_P(BlobStoreContractTest, PutStreamSourceFailureChangesNothing) {
  ASSERT_TRUE(store_->Put("a/blob", "old").ok());
  TestSource source(PatternBytes(3 * kBlobStreamChunkBytes), 65536);
  source.FailAfter(kBlobStreamChunkBytes + 5, DataLossError("blocked by the source"));
  Status st = store_->PutStream("a/blob", source);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_EQ(st.message(), "blocked by the source");
  EXPECT_EQ(*store_->Get("a/blob"), "old");
  TestSource fresh(PatternBytes(100), 10);
  fresh.FailAfter(50, InternalError("read failed"));
  EXPECT_EQ(store_->PutStream("a/new", fresh).code(), StatusCode::kInternal);
  EXPECT_EQ(store_->Get("a/new").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*store_->List(""), (Keys{"a/blob"}));  // no temporary is listed
}

TEST_P(BlobStoreContractTest, PutStreamKeyRulesAsPut) {
  TestSource source("x", 1);
  EXPECT_EQ(store_->PutStream("../escape", source).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->Put("dir/leaf", "x").ok());
  TestSource s2("y", 1);
  EXPECT_EQ(store_->PutStream("dir", s2).code(), StatusCode::kFailedPrecondition);
  TestSource s3("z", 1);
  EXPECT_EQ(store_->PutStream("dir/leaf/deeper", s3).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*store_->Get("dir/leaf"), "x");
}

TEST_P(BlobStoreContractTest, PutFileStreamsALocalFile) {
  const std::string path = JoinPath(dir_, "local-input.bin");
  const std::string data = PatternBytes(kBlobStreamChunkBytes + 1);
  ASSERT_TRUE(fs_.WriteFileAtomic(path, data).ok());
  ASSERT_TRUE(store_->PutFile("artifacts/id/out.bin", path).ok());
  EXPECT_EQ(*store_->Get("artifacts/id/out.bin"), data);
  EXPECT_EQ(store_->PutFile("artifacts/id/missing", JoinPath(dir_, "missing")).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("artifacts/id/missing").status().code(), StatusCode::kNotFound);
}

TEST_P(BlobStoreContractTest, ErrorsDoNotLeakData) {
  ASSERT_TRUE(store_->PutIfAbsent("k", "SECRETDATA").ok());
  Status st = store_->PutIfAbsent("k", "SECRETDATA");
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(st.message().find("SECRETDATA"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    AllStores, BlobStoreContractTest,
    ::testing::Values(
        StoreFactory{"Local",
                     [](FileSystem& fs, const std::string& dir) -> std::unique_ptr<BlobStore> {
                       auto store = LocalBlobStore::Open(fs, JoinPath(dir, "blobs"));
                       if (!store.ok()) return nullptr;
                       return std::move(store).value();
                     }},
        StoreFactory{"Memory",
                     [](FileSystem&, const std::string&) -> std::unique_ptr<BlobStore> {
                       return std::make_unique<MemoryBlobStore>();
                     }}),
    [](const ::testing::TestParamInfo<StoreFactory>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace kura
