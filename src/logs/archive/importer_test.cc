#include "logs/archive/importer.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/blob/memory_blob_store.h"
#include "logs/archive/archive_layout.h"
#include "logs/archive/archive_test_util.h"
#include "logs/archive/verify.h"
#include "logs/record/log_record.h"
#include "logs/record/timestamp.h"
#include "logs/segment/segment_reader.h"

namespace kura::logs {
namespace {

using testing::kDay0;

std::string Event(int64_t ts_ms, const std::string& principal, int i) {
  return "{\"ts\":\"" + FormatTimestamp(ts_ms) +
         "\",\"service\":\"vault\",\"event\":\"card.reveal\",\"outcome\":\"success\","
         "\"principal\":\"" +
         principal + "\",\"resource\":\"tok_" + std::to_string(i) +
         "\",\"details\":{\"grant\":\"g_" + std::to_string(i) + "\"}}";
}

class ImporterTest : public ::testing::Test {
 protected:
  Result<ImportReport> Import(const std::string& text, ImportOptions options = {}) {
    std::istringstream in(text);
    return ImportNdjson(in, archive_, clock_, options);
  }
  std::vector<std::string> AllRecords() {
    std::vector<std::string> out;
    const std::vector<std::string> keys = *store_.List(kDataPrefix);
    for (const std::string& k : keys) {
      const std::string data = *store_.Get(k);
      Result<std::vector<std::string>> records = ReadAllRecords(data);
      EXPECT_TRUE(records.ok()) << records.status().ToString();
      if (!records.ok()) continue;
      for (std::string& r : *records) out.push_back(std::move(r));
    }
    return out;
  }

  MemoryBlobStore store_;
  FakeClock clock_{kDay0 + 30 * kMillisPerDay};
  crypto::Ed25519PrivateKey key_ = testing::NewKey();
  Archive archive_{store_, key_, clock_};
};

TEST_F(ImporterTest, ImportsSealsAndVerifies) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += Event(kDay0 + i * 60'000, "user" + std::to_string(i % 7), i) + "\n";
  Result<ImportReport> r = Import(text);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->lines, 1000u);
  EXPECT_EQ(r->imported, 1000u);
  EXPECT_EQ(r->rejected, 0u);
  EXPECT_EQ(r->first_seq, 1u);
  EXPECT_EQ(r->last_seq, 1000u);
  EXPECT_EQ(r->segments, 1u);  // 1000 minutes: all on 2026-01-01
  const std::vector<std::string> records = AllRecords();
  ASSERT_EQ(records.size(), 1000u);
  Result<LogRecord> rec = DecodeRecord(records[42]);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->seq, 43u);
  EXPECT_EQ(rec->source, "import");
  EXPECT_EQ(rec->node, "import");
  EXPECT_EQ(rec->received_ms, kDay0 + 42 * 60'000);
  EXPECT_EQ(rec->principal, "user0");
  EXPECT_EQ(rec->fields_json, "{\"details\":{\"grant\":\"g_42\"}}");

  Result<VerifyReport> v = VerifyArchive(store_, key_.PublicKey());
  EXPECT_EQ(v->Summary(), "verified 1000 records in 1 segments");
}

TEST_F(ImporterTest, SplitsBySizeAndDayAndContinuesTheTail) {
  ASSERT_TRUE(archive_.Seal(testing::Continue(archive_, 3, kDay0 - 10'000)).ok());
  std::string text;
  // Two days, 2000 events each.
  for (int i = 0; i < 4000; ++i) text += Event(kDay0 + i * 40'000, "bob", i) + "\n";
  ImportOptions options;
  options.segment_bytes = 64 << 10;
  Result<ImportReport> r = Import(text, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->first_seq, 4u);
  EXPECT_EQ(r->last_seq, 4003u);
  EXPECT_GT(r->segments, 4u);
  const std::vector<std::string> keys = *store_.List(kDataPrefix);
  for (const std::string& k : keys) {
    Result<ArchiveKey> ak = ParseArchiveKey(k);
    ASSERT_TRUE(ak.ok());
    EXPECT_TRUE(ak->dt == "2025-12-31" || ak->dt == "2026-01-01" || ak->dt == "2026-01-02") << k;
  }
  Result<VerifyReport> v = VerifyArchive(store_, key_.PublicKey());
  EXPECT_TRUE(v->ok()) << v->Summary();
  EXPECT_EQ(v->records, 4003u);
}

TEST_F(ImporterTest, BadLinesAreRejectedByNumberAndTheRestKept) {
  std::string text;
  text += Event(kDay0, "a", 1) + "\n";                        // 1 ok
  text += "{not json\n";                                      // 2
  text += "\n";                                               // 3 blank, ignored
  text += std::string("{\"ts\":\"2026-01-01T00:00:01Z\",\"message\":\"\xff\xfe\"}\n");  // 4 utf-8
  text += std::string(10 << 20, 'x') + "\n";                  // 5 10 MB line
  text += "{\"event\":\"no.time\"}\n";                        // 6 no ts
  text += Event(kDay0 - 1000, "a", 7) + "\n";                 // 7 backwards
  text += Event(kDay0 + 90 * kMillisPerDay, "a", 8) + "\n";   // 8 future
  text += "[1,2]\r\n";                                        // 9 not an object
  text += Event(kDay0 + 5000, "a", 10);                       // 10 ok, no final newline
  Result<ImportReport> r = Import(text);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->imported, 2u);
  EXPECT_EQ(r->rejected, 7u);
  std::vector<uint64_t> lines;
  for (const ImportRejection& j : r->rejections) {
    lines.push_back(j.line);
    EXPECT_EQ(j.reason.find("xxxx"), std::string::npos);  // never echoed
  }
  EXPECT_EQ(lines, (std::vector<uint64_t>{2, 4, 5, 6, 7, 8, 9}));
  EXPECT_NE(r->rejections[2].reason.find("longer than"), std::string::npos);
  EXPECT_NE(r->rejections[3].reason.find("no time"), std::string::npos);
  EXPECT_NE(r->rejections[4].reason.find("backwards"), std::string::npos);
  EXPECT_NE(r->rejections[5].reason.find("future"), std::string::npos);
  const std::vector<std::string> records = AllRecords();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(DecodeRecord(records[1])->resource, "tok_10");
}

TEST_F(ImporterTest, CardNumbersAreMaskedBeforeSealing) {
  Result<ImportReport> r = Import(
      "{\"ts\":\"2026-01-01T00:00:00Z\",\"message\":\"card 4111111111111111 seen\"}\n");
  ASSERT_TRUE(r.ok());
  const std::vector<std::string> records = AllRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].find("4111111111111111"), std::string::npos);
  EXPECT_EQ(DecodeRecord(records[0])->pan_redacted, 1u);
}

TEST_F(ImporterTest, ImportIntoReadOnlyArchiveFailsWithoutWriting) {
  Archive read_only(store_, std::nullopt, clock_);
  std::istringstream in(Event(kDay0, "a", 1) + "\n");
  Result<ImportReport> r = ImportNdjson(in, read_only, clock_, {});
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(ImporterTest, EmptyInputImportsNothing) {
  Result<ImportReport> r = Import("");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->imported, 0u);
  EXPECT_EQ(store_.size(), 0u);
}

}  // namespace
}  // namespace kura::logs
