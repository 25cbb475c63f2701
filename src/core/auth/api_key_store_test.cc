#include "core/auth/api_key_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <regex>
#include <thread>

#include "core/crypto/encoding.h"
#include "core/fs/fault_injecting_file_system.h"
#include "core/fs/memory_file_system.h"

namespace kura::auth {
namespace {

using namespace std::chrono_literals;

constexpr char kPath[] = "/keys.json";

class ApiKeyStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<ApiKeyStore> OpenStore(FileSystem& fs, ApiKeyStoreOptions options = {}) {
    auto store = ApiKeyStore::Open(fs, kPath, clock_, random_, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }
  std::string CreateKey(ApiKeyStore& store, const std::string& name,
                        std::set<std::string> scopes = {"cards:write"}) {
    auto key = store.Create(name, std::move(scopes));
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    return key.ok() ? std::string(key->view()) : std::string();
  }

  MemoryFileSystem fs_;
  FakeClock clock_;
  SeededRandom random_{42};
};

TEST_F(ApiKeyStoreTest, CreateAuthenticateRevoke) {
  auto store = OpenStore(fs_);
  EXPECT_TRUE(store->List().empty());
  const std::string key = CreateKey(*store, "batch", {"cards:write", "cards:read"});
  EXPECT_TRUE(std::regex_match(key, std::regex("kura_[0-9a-f]{16}_[A-Za-z0-9_-]{43}"))) << key;

  auto p = store->Authenticate(key);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->name, "batch");
  EXPECT_EQ(p->method, "api_key");
  EXPECT_EQ(p->scopes, (std::set<std::string>{"cards:read", "cards:write"}));

  auto list = store->List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].name, "batch");
  EXPECT_EQ(list[0].id, key.substr(5, 16));
  EXPECT_EQ(list[0].created_ms, clock_.NowUnixMillis());

  ASSERT_TRUE(store->Revoke("batch").ok());
  EXPECT_EQ(store->Authenticate(key).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(store->Revoke("batch").code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->List().empty());
}

TEST_F(ApiKeyStoreTest, WrongSecretWithRightIdIsRejected) {
  auto store = OpenStore(fs_);
  const std::string key = CreateKey(*store, "batch");
  std::string tampered = key;
  tampered[30] = tampered[30] == 'A' ? 'B' : 'A';
  Status st = store->Authenticate(tampered).status();
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(st.message(), "invalid API key");
  EXPECT_EQ(st.ToString().find(tampered.substr(22)), std::string::npos);

  // A second key's secret under the first key's id.
  const std::string other = CreateKey(*store, "other");
  const std::string swapped = key.substr(0, 22) + other.substr(22);
  EXPECT_EQ(store->Authenticate(swapped).status().message(), "invalid API key");
}

TEST_F(ApiKeyStoreTest, MalformedKeysGetTheSameError) {
  auto store = OpenStore(fs_);
  const std::string key = CreateKey(*store, "batch");
  std::string upper_id = key;
  upper_id[6] = 'A';
  std::string bad_char = key;
  bad_char[40] = '+';
  std::string no_sep = key;
  no_sep[21] = '-';
  std::string unknown_id = key;
  unknown_id[5] = unknown_id[5] == '0' ? '1' : '0';
  for (const std::string& presented :
       {std::string(), std::string("kura_"), key.substr(1), "xura" + key.substr(4), key + "A",
        key.substr(0, key.size() - 1), upper_id, bad_char, no_sep, unknown_id}) {
    Status st = store->Authenticate(presented).status();
    EXPECT_EQ(st.code(), StatusCode::kUnauthenticated) << presented;
    EXPECT_EQ(st.message(), "invalid API key");
  }
}

TEST_F(ApiKeyStoreTest, ValidatesNamesAndScopes) {
  auto store = OpenStore(fs_);
  CreateKey(*store, "batch");
  EXPECT_EQ(store->Create("batch", {"cards:read"}).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store->Create("bad name", {"cards:read"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Create("", {"cards:read"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Create(std::string(65, 'a'), {"cards:read"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Create("ok", {}).status().code(), StatusCode::kInvalidArgument);
  Status bad_scope = store->Create("ok", {"cards:read", "CARDS"}).status();
  EXPECT_EQ(bad_scope.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_scope.message().find("CARDS"), std::string::npos);
  EXPECT_EQ(store->List().size(), 1u);
}

TEST_F(ApiKeyStoreTest, StoredFileHoldsNoSecret) {
  auto store = OpenStore(fs_);
  const std::string key = CreateKey(*store, "batch");
  auto text = fs_.ReadFile(kPath);
  ASSERT_TRUE(text.ok());
  const std::string secret = key.substr(22);
  EXPECT_EQ(text->find(secret), std::string::npos);
  EXPECT_EQ(text->find(key), std::string::npos);
  auto raw = crypto::Base64UrlDecode(secret);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(text->find(crypto::HexEncode(*raw)), std::string::npos);
  // It does hold what is needed to verify.
  EXPECT_NE(text->find("\"hash\""), std::string::npos);
  EXPECT_NE(text->find("\"salt\""), std::string::npos);
  EXPECT_NE(text->find(key.substr(5, 16)), std::string::npos);
  auto mode = fs_.GetMode(kPath);
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(*mode, 0600u);
}

TEST_F(ApiKeyStoreTest, ReopenPersists) {
  std::string key;
  {
    auto store = OpenStore(fs_);
    key = CreateKey(*store, "batch", {"cards:reveal"});
    CreateKey(*store, "another");
  }
  auto reopened = OpenStore(fs_);
  auto p = reopened->Authenticate(key);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->scopes, std::set<std::string>{"cards:reveal"});
  auto list = reopened->List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "another");
  EXPECT_EQ(list[1].name, "batch");
}

TEST_F(ApiKeyStoreTest, CorruptFileIsDataLossWithoutContents) {
  ASSERT_TRUE(fs_.WriteFileAtomic(kPath, "{\"version\":1,\"keys\":[{\"id\":\"SECRETMARK\"}]}").ok());
  auto store = ApiKeyStore::Open(fs_, kPath, clock_, random_);
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(store.status().message().find(kPath), std::string::npos);
  EXPECT_EQ(store.status().message().find("SECRETMARK"), std::string::npos);
  ASSERT_TRUE(fs_.WriteFileAtomic(kPath, "not json").ok());
  EXPECT_EQ(ApiKeyStore::Open(fs_, kPath, clock_, random_).status().code(),
            StatusCode::kDataLoss);
  ASSERT_TRUE(fs_.WriteFileAtomic(kPath, "{\"version\":2,\"keys\":[]}").ok());
  EXPECT_EQ(ApiKeyStore::Open(fs_, kPath, clock_, random_).status().code(),
            StatusCode::kDataLoss);
}

TEST_F(ApiKeyStoreTest, SeesChangesFromAnotherProcessAfterReloadInterval) {
  ApiKeyStoreOptions options;
  options.reload_interval = 2s;
  auto server = OpenStore(fs_, options);
  auto cli = OpenStore(fs_, options);
  const std::string key = CreateKey(*cli, "batch");
  // The server's copy is fresh: it has not seen the key yet.
  EXPECT_EQ(server->Authenticate(key).status().code(), StatusCode::kUnauthenticated);
  clock_.Advance(2s);
  ASSERT_TRUE(server->Authenticate(key).ok());

  ASSERT_TRUE(cli->Revoke("batch").ok());
  EXPECT_TRUE(server->Authenticate(key).ok());  // until the next reload
  clock_.Advance(2s);
  EXPECT_EQ(server->Authenticate(key).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(ApiKeyStoreTest, CreateAndRevokeMergeWithTheFile) {
  auto a = OpenStore(fs_);
  auto b = OpenStore(fs_);
  const std::string key_a = CreateKey(*a, "from-a");
  CreateKey(*b, "from-b");  // b re-reads first, so a's key survives
  auto reopened = OpenStore(fs_);
  EXPECT_EQ(reopened->List().size(), 2u);
  EXPECT_TRUE(reopened->Authenticate(key_a).ok());
  ASSERT_TRUE(a->Revoke("from-b").ok());  // a has never seen from-b in memory
  ASSERT_TRUE(reopened->Reload().ok());
  ASSERT_EQ(reopened->List().size(), 1u);
  EXPECT_EQ(reopened->List()[0].name, "from-a");
}

TEST_F(ApiKeyStoreTest, FailsClosedWhenReloadFails) {
  ApiKeyStoreOptions options;
  options.reload_interval = 1s;
  auto store = OpenStore(fs_, options);
  const std::string key = CreateKey(*store, "batch");
  ASSERT_TRUE(fs_.WriteFileAtomic(kPath, "garbage").ok());
  clock_.Advance(1s);
  EXPECT_EQ(store->Authenticate(key).status().code(), StatusCode::kDataLoss);
  // Still refused without further clock movement.
  EXPECT_EQ(store->Authenticate(key).status().code(), StatusCode::kDataLoss);
}

TEST_F(ApiKeyStoreTest, FailedWriteStoresNothing) {
  FaultInjectingFileSystem faulty(fs_);
  auto store = OpenStore(faulty);
  faulty.FailAllSyncs(true);
  auto key = store->Create("batch", {"cards:write"});
  EXPECT_EQ(key.status().code(), StatusCode::kInternal);
  EXPECT_TRUE(store->List().empty());
  faulty.FailAllSyncs(false);
  const std::string good = CreateKey(*store, "batch");
  faulty.FailAllSyncs(true);
  EXPECT_FALSE(store->Revoke("batch").ok());
  EXPECT_TRUE(store->Authenticate(good).ok());  // the revocation did not happen
}

TEST_F(ApiKeyStoreTest, MaxKeys) {
  ApiKeyStoreOptions options;
  options.max_keys = 2;
  auto store = OpenStore(fs_, options);
  CreateKey(*store, "a");
  CreateKey(*store, "b");
  EXPECT_EQ(store->Create("c", {"cards:write"}).status().code(), StatusCode::kResourceExhausted);
}

TEST_F(ApiKeyStoreTest, ConcurrentAuthenticate) {
  auto store = OpenStore(fs_);
  const std::string key = CreateKey(*store, "batch");
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (store->Authenticate(key).ok()) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
}

TEST(ApiKeyStorePosixTest, RealFileIsPrivate) {
  std::string dir = "/tmp/kura_auth_test_XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  PosixFileSystem fs;
  FakeClock clock;
  OsRandom random;
  const std::string path = dir + "/api_keys.json";
  auto store = ApiKeyStore::Open(fs, path, clock, random);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto key = (*store)->Create("batch", {"cards:write"});
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto reopened = ApiKeyStore::Open(fs, path, clock, random);
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE((*reopened)->Authenticate(key->view()).ok());
}

}  // namespace
}  // namespace kura::auth
