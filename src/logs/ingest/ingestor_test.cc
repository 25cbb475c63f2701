#include "logs/ingest/ingestor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <set>
#include <thread>

#include "core/fs/fault_injecting_file_system.h"
#include "logs/ingest/ingest_test_util.h"
#include "logs/ingest/wal_reader.h"

namespace kura::logs {
namespace {

using testing::MakeRecords;
using testing::TempDir;

TEST(IngestorTest, ConcurrentSubmittersGetDistinctContiguousSeqs) {
  TempDir tmp;
  PosixFileSystem fs;
  auto wal = Wal::Open(fs, tmp.path() + "/wal", {}, {});
  ASSERT_TRUE(wal.ok());
  Ingestor ingestor(**wal);
  constexpr int kThreads = 8, kBatches = 50, kPerBatch = 7;
  std::mutex mu;
  std::set<uint64_t> seqs;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        auto records = MakeRecords("t" + std::to_string(t) + "b" + std::to_string(b) + "-", kPerBatch);
        ASSERT_TRUE(ingestor.Submit(records).ok());
        for (size_t i = 1; i < records.size(); ++i) {
          EXPECT_EQ(records[i].seq, records[0].seq + i);  // a batch stays together
        }
        std::lock_guard<std::mutex> lock(mu);
        for (const LogRecord& r : records) seqs.insert(r.seq);
      }
    });
  }
  for (auto& t : threads) t.join();
  constexpr uint64_t kTotal = kThreads * kBatches * kPerBatch;
  ASSERT_EQ(seqs.size(), kTotal);
  EXPECT_EQ(*seqs.begin(), 1u);
  EXPECT_EQ(*seqs.rbegin(), kTotal);
  const IngestStats s = ingestor.stats();
  EXPECT_EQ(s.accepted, kTotal);
  EXPECT_LE(s.commits, static_cast<uint64_t>(kThreads * kBatches));
  auto read = ReadWalRecords(fs, tmp.path() + "/wal");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->size(), kTotal);
}

// One submission whose commit is held in its fsync, then 20 submissions of
// 3 records queued behind it; then the fsync is let go and the ingestor
// stopped. Every submission must have been acknowledged OK.
struct QueuedBehindAnFsync {
  explicit QueuedBehindAnFsync(IngestorOptions options = {}) {
    testing::GatedFileSystem fs(base);
    auto wal = Wal::Open(fs, tmp.path() + "/wal", {}, {});
    EXPECT_TRUE(wal.ok());
    if (!wal.ok()) return;
    Ingestor ingestor(**wal, std::move(options));
    fs.Close();
    std::atomic<int> done{0};
    std::atomic<int> failed{0};
    auto count = [&](const Status& s) {
      if (!s.ok()) failed.fetch_add(1);
      done.fetch_add(1);
    };
    ingestor.SubmitAsync(first, count);
    fs.AwaitBlockedSync();  // the sync thread is inside the first commit's fsync
    for (int i = 0; i < 20; ++i) batches.push_back(MakeRecords("q" + std::to_string(i) + "-", 3));
    for (auto& b : batches) ingestor.SubmitAsync(b, count);
    EXPECT_EQ(done.load(), 0);  // nothing is acknowledged before its fsync
    fs.Open();
    ingestor.Stop();
    EXPECT_EQ(done.load(), 21);
    EXPECT_EQ(failed.load(), 0);
    stats = ingestor.stats();
  }
  TempDir tmp;
  PosixFileSystem base;
  std::vector<LogRecord> first = MakeRecords("first", 1);
  std::vector<std::vector<LogRecord>> batches;
  IngestStats stats;
};

TEST(IngestorTest, BatchesQueuedDuringAnFsyncShareTheNextCommit) {
  QueuedBehindAnFsync run;
  EXPECT_EQ(run.stats.accepted, 61u);
  EXPECT_EQ(run.stats.commits, 2u);  // one fsync for the 20 queued batches
  EXPECT_EQ(run.batches[19][2].seq, 61u);
}

TEST(IngestorTest, FailsClosedAndResumes) {
  TempDir tmp;
  PosixFileSystem base;
  FaultInjectingFileSystem fs(base);
  auto wal = Wal::Open(fs, tmp.path() + "/wal", {}, {});
  ASSERT_TRUE(wal.ok());
  std::mutex mu;
  std::vector<std::pair<bool, StatusCode>> transitions;
  IngestorOptions o;
  o.on_state_change = [&](bool refusing, const Status& s) {
    std::lock_guard<std::mutex> lock(mu);
    transitions.emplace_back(refusing, s.code());
  };
  Ingestor ingestor(**wal, o);
  auto first = MakeRecords("a", 2);
  ASSERT_TRUE(ingestor.Submit(first).ok());

  fs.FailWritesAfterBytes(0);
  auto refused = MakeRecords("r", 4);
  Status s = ingestor.Submit(refused);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("disk full"), std::string::npos);
  EXPECT_TRUE(ingestor.stats().refusing);
  EXPECT_EQ(ingestor.stats().refused, 4u);

  fs.ClearFaults();
  fs.FailNextSync();
  EXPECT_EQ(ingestor.Submit(refused).code(), StatusCode::kUnavailable);

  auto resumed = MakeRecords("b", 2);
  ASSERT_TRUE(ingestor.Submit(resumed).ok());
  EXPECT_EQ(resumed[0].seq, 3u);
  EXPECT_FALSE(ingestor.stats().refusing);
  EXPECT_EQ(ingestor.stats().accepted, 4u);
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_EQ(transitions.size(), 2u);
    EXPECT_EQ(transitions[0], std::make_pair(true, StatusCode::kResourceExhausted));
    EXPECT_EQ(transitions[1], std::make_pair(false, StatusCode::kOk));
  }
  auto read = ReadWalRecords(base, tmp.path() + "/wal");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->size(), 4u);
}

TEST(IngestorTest, AGroupPreparedOnTopOfAFailedOneIsPreparedAgain) {
  TempDir tmp;
  PosixFileSystem base;
  FaultInjectingFileSystem faulty(base);
  testing::GatedFileSystem fs(faulty);
  auto wal = Wal::Open(fs, tmp.path() + "/wal", {}, {});
  ASSERT_TRUE(wal.ok());
  std::mutex mu;
  std::condition_variable cv;
  int prepared = 0;
  IngestorOptions o;
  o.on_prepared = [&] {
    std::lock_guard<std::mutex> lock(mu);
    ++prepared;
    cv.notify_all();
  };
  Ingestor ingestor(**wal, o);
  auto wait_prepared = [&](int n) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return prepared >= n; });
  };

  fs.Close();
  std::vector<LogRecord> a = MakeRecords("a", 3);
  std::vector<LogRecord> b = MakeRecords("b", 2);
  std::promise<Status> a_done, b_done;
  ingestor.SubmitAsync(a, [&](const Status& s) { a_done.set_value(s); });
  fs.AwaitBlockedSync();  // group A waits in its fsync...
  faulty.FailNextSync();  // ...which will fail
  ingestor.SubmitAsync(b, [&](const Status& s) { b_done.set_value(s); });
  wait_prepared(2);  // B is encoded on top of A (seq 4, 5) while A waits
  fs.Open();

  EXPECT_EQ(a_done.get_future().get().code(), StatusCode::kUnavailable);
  ASSERT_TRUE(b_done.get_future().get().ok());
  EXPECT_EQ(b[0].seq, 1u);  // prepared again from the last durable record
  EXPECT_EQ(b[1].seq, 2u);
  const IngestStats st = ingestor.stats();
  EXPECT_EQ(st.accepted, 2u);
  EXPECT_EQ(st.refused, 3u);
  EXPECT_EQ(st.reprepared, 1u);
  EXPECT_FALSE(st.refusing);

  // Later groups continue the chain normally.
  std::vector<LogRecord> c = MakeRecords("c", 2);
  ASSERT_TRUE(ingestor.Submit(c).ok());
  EXPECT_EQ(c[0].seq, 3u);
  ingestor.Stop();
  auto read = ReadWalRecords(base, tmp.path() + "/wal");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 4u);
  for (size_t i = 0; i < read->size(); ++i) {
    EXPECT_EQ((*read)[i].seq, i + 1);
    auto d = DecodeRecord((*read)[i].bytes);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->message, i < 2 ? "b" + std::to_string(i) : "c" + std::to_string(i - 2));
  }
}

TEST(IngestorTest, EncodingOverlapsTheFsyncAndEverythingQueuedJoinsOneGroup) {
  TempDir tmp;
  PosixFileSystem base;
  testing::GatedFileSystem fs(base);
  auto wal = Wal::Open(fs, tmp.path() + "/wal", {}, {});
  ASSERT_TRUE(wal.ok());
  std::mutex mu;
  std::condition_variable cv;
  int prepared = 0;
  IngestorOptions o;
  o.on_prepared = [&] {
    std::lock_guard<std::mutex> lock(mu);
    ++prepared;
    cv.notify_all();
  };
  Ingestor ingestor(**wal, o);
  fs.Close();
  std::vector<LogRecord> first = MakeRecords("first", 1);
  std::atomic<int> done{0};
  ingestor.SubmitAsync(first, [&](const Status&) { done.fetch_add(1); });
  fs.AwaitBlockedSync();
  std::vector<std::vector<LogRecord>> batches;
  for (int i = 0; i < 5; ++i) batches.push_back(MakeRecords("q" + std::to_string(i), 2));
  for (auto& b : batches) {
    int before;
    {
      std::lock_guard<std::mutex> lock(mu);
      before = prepared;
    }
    ingestor.SubmitAsync(b, [&](const Status&) { done.fetch_add(1); });
    // Each batch is encoded while the first group's fsync still waits.
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return prepared > before; });
  }
  EXPECT_EQ(done.load(), 0);  // encoded, but nothing acknowledged before its fsync
  fs.Open();
  ingestor.Stop();
  EXPECT_EQ(done.load(), 6);
  EXPECT_EQ(ingestor.stats().commits, 2u);  // the five batches shared one group
  EXPECT_EQ(batches[4][1].seq, 11u);
}

// Groups are bounded (max_group_bytes) and so is each encoding step
// (max_prepare_step_bytes): with limits below one submission, each queued
// submission is its own step and its own group, committed in order, instead
// of everything queued joining one group (as with the defaults above).
TEST(IngestorTest, GroupsAndEncodingStepsAreBounded) {
  IngestorOptions o;
  o.max_prepare_step_bytes = 1;
  o.max_group_bytes = 1;
  QueuedBehindAnFsync run(o);
  EXPECT_EQ(run.stats.accepted, 61u);
  EXPECT_EQ(run.stats.commits, 21u);  // one group per submission
  for (size_t i = 0; i < run.batches.size(); ++i) {  // still in submission order
    EXPECT_EQ(run.batches[i][0].seq, 2 + 3 * i);
    EXPECT_EQ(run.batches[i][2].seq, 4 + 3 * i);
  }
  auto records = ReadWalRecords(run.base, run.tmp.path() + "/wal");
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 61u);
}

TEST(IngestorTest, RefusesAfterStop) {
  TempDir tmp;
  PosixFileSystem fs;
  auto wal = Wal::Open(fs, tmp.path() + "/wal", {}, {});
  ASSERT_TRUE(wal.ok());
  Ingestor ingestor(**wal);
  ingestor.Stop();
  auto r = MakeRecords("late", 1);
  EXPECT_EQ(ingestor.Submit(r).code(), StatusCode::kUnavailable);
  Status async_status;
  ingestor.SubmitAsync(r, [&](const Status& s) { async_status = s; });
  EXPECT_EQ(async_status.code(), StatusCode::kUnavailable);
  EXPECT_EQ((*wal)->durable().last_seq, 0u);
}

}  // namespace
}  // namespace kura::logs
