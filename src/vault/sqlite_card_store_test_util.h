// Test helpers shared by the card store's tests (sqlite_card_store_test.cc,
// sqlite_card_index_test.cc, sqlite_card_schema_test.cc): a fixture with a
// fresh directory per test, and records made from readable labels.
#ifndef KURA_VAULT_SQLITE_CARD_STORE_TEST_UTIL_H_
#define KURA_VAULT_SQLITE_CARD_STORE_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/crypto/encoding.h"
#include "vault/card_store.h"
#include "vault/sqlite_card_store.h"

namespace kura::vault {

inline constexpr int64_t kJan1st2026 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

// A fingerprint as the vault produces it (lower-case hex), made from a
// readable label.
inline std::string Fp(std::string_view label) { return crypto::HexEncode(label); }

inline CardRecord MakeRecord(const std::string& token, const std::string& fingerprint_label) {
  CardRecord r;
  r.token = token;
  r.fingerprint = Fp(fingerprint_label);
  r.dek_version = 1;
  // Binary, with NUL and high bytes, to prove the blob round-trips exactly.
  r.sealed = std::string("\x01\x00\xff sealed:", 11) + token;
  r.bin = "411111";
  r.last4 = "1111";
  r.masked_pan = "411111******1111";
  r.exp_month = 12;
  r.exp_year = 2028;
  r.brand = "visa";
  r.token_format = "random";
  r.created_ms = kJan1st2026;
  return r;
}

// `r` as the store returns it: with the row id it was given.
inline CardRecord WithId(CardRecord r, int64_t id) {
  r.id = id;
  return r;
}

// "" if the file does not exist.
inline std::string ReadFileBytes(const std::string& path) {
  std::string out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

inline unsigned FileMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

class SqliteCardStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/kura_vault_store_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/cards.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // A store on path_ with `options` (its path is set here).
  std::unique_ptr<SqliteCardStore> OpenStoreWith(SqliteCardStoreOptions options) {
    options.path = path_;
    Result<std::unique_ptr<SqliteCardStore>> store = SqliteCardStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::unique_ptr<SqliteCardStore> OpenStore(size_t max_batch = kDefaultMaxBatch) {
    SqliteCardStoreOptions options;
    options.max_batch = max_batch;
    return OpenStoreWith(options);
  }

  std::string dir_;
  std::string path_;
};

}  // namespace kura::vault

#endif  // KURA_VAULT_SQLITE_CARD_STORE_TEST_UTIL_H_
