#include "logs/ingest/file_tailer.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/fs/fault_injecting_file_system.h"
#include "logs/ingest/ingest_test_util.h"
#include "logs/ingest/wal_reader.h"

namespace kura::logs {
namespace {

using testing::TempDir;

void Append(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app | std::ios::binary) << text;
}

class FileTailerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    wal_ = std::move(Wal::Open(faulty_, tmp_.path() + "/wal", {}, {})).value();
    ingestor_ = std::make_unique<Ingestor>(*wal_);
  }
  void TearDown() override { ingestor_->Stop(); }
  std::unique_ptr<FileTailer> Tailer() {
    return std::make_unique<FileTailer>(fs_, *ingestor_, clock_, tmp_.path() + "/tail",
                                        TailSource{"vault", Source()}, "n1");
  }
  std::string Source() const { return tmp_.path() + "/audit.log"; }
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    Result<std::vector<ChainedRecord>> records = ReadWalRecords(fs_, tmp_.path() + "/wal");
    EXPECT_TRUE(records.ok());
    if (!records.ok()) return out;
    for (const ChainedRecord& r : records.value()) {
      auto d = DecodeRecord(r.bytes);
      out.push_back(d->event + "/" + d->source);
    }
    return out;
  }
  TempDir tmp_;
  PosixFileSystem fs_;
  FaultInjectingFileSystem faulty_{fs_};
  FakeClock clock_;
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<Ingestor> ingestor_;
};

TEST_F(FileTailerTest, FollowsVaultAuditLinesWithADurableCheckpoint) {
  auto tailer = Tailer();
  EXPECT_EQ(*tailer->PollOnce(), 0u);  // no file yet
  Append(Source(),
         R"({"ts":"2026-01-01T00:00:00.000Z","seq":1,"service":"vault","node":"v1","event":"card.reveal","outcome":"success","principal":"alice","origin":"10.0.0.5:1","resource":"tok_1"})"
         "\n{\"event\":\"card.store\",\"outcome\":\"success\"}\n{\"event\":\"half");
  EXPECT_EQ(*tailer->PollOnce(), 2u);
  EXPECT_EQ(Events(), (std::vector<std::string>{"card.reveal/file", "card.store/file"}));
  Append(Source(), "-written\"}\nnot json\n");
  EXPECT_EQ(*tailer->PollOnce(), 1u);
  EXPECT_EQ(tailer->rejected(), 1u);

  // A restart resumes from the checkpoint: nothing is read twice.
  auto again = Tailer();
  EXPECT_EQ(*again->PollOnce(), 0u);
  Append(Source(), "{\"event\":\"card.purge\"}\n");
  EXPECT_EQ(*again->PollOnce(), 1u);
  EXPECT_EQ(Events().size(), 4u);
  EXPECT_EQ(Events().back(), "card.purge/file");
}

TEST_F(FileTailerTest, CheckpointStaysWhileIngestRefuses) {
  auto tailer = Tailer();
  Append(Source(), "{\"event\":\"a\"}\n");
  faulty_.FailAllSyncs(true);
  auto r = tailer->PollOnce();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(tailer->offset(), 0u);
  faulty_.ClearFaults();
  EXPECT_EQ(*tailer->PollOnce(), 1u);
  EXPECT_EQ(Events(), std::vector<std::string>{"a/file"});
}

TEST_F(FileTailerTest, TruncatedFileIsReadFromTheStart) {
  auto tailer = Tailer();
  Append(Source(), "{\"event\":\"old-1\"}\n{\"event\":\"old-2\"}\n");
  EXPECT_EQ(*tailer->PollOnce(), 2u);
  std::ofstream(Source(), std::ios::trunc) << "{\"event\":\"new\"}\n";
  EXPECT_EQ(*tailer->PollOnce(), 1u);
  EXPECT_EQ(Events().back(), "new/file");
}

}  // namespace
}  // namespace kura::logs
