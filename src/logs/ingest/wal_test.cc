#include "logs/ingest/wal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/fs/fault_injecting_file_system.h"
#include "logs/ingest/ingest_test_util.h"
#include "logs/ingest/wal_format.h"
#include "logs/ingest/wal_reader.h"
#include "logs/record/event_mapper.h"

namespace kura::logs {
namespace {

using testing::MakeRecords;
using testing::TempDir;

Status WriteOne(Wal& wal, std::vector<LogRecord>& records) {
  std::span<LogRecord> batch(records);
  return wal.Write(std::span<const std::span<LogRecord>>(&batch, 1));
}

// Checks seqs 1..n (or from `first`), the chain from `prev`, and returns messages.
std::vector<std::string> CheckChain(const std::vector<ChainedRecord>& records, uint64_t first,
                                    ChainHash prev) {
  std::vector<std::string> messages;
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].seq, first + i);
    prev = NextChainHash(prev, records[i].bytes);
    EXPECT_EQ(records[i].chain, prev) << "seq " << records[i].seq;
    Result<LogRecord> r = DecodeRecord(records[i].bytes);
    EXPECT_TRUE(r.ok());
    if (!r.ok()) continue;
    EXPECT_EQ(r->seq, records[i].seq);
    EXPECT_EQ(r->received_ms, records[i].received_ms);
    messages.push_back(r->message);
  }
  return messages;
}

std::vector<std::string> WalFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

class WalTest : public ::testing::Test {
 protected:
  std::string WalDir() const { return tmp_.path() + "/wal"; }
  std::unique_ptr<Wal> OpenWal(FileSystem& fs, WalOptions o = {}, ChainPosition tail = {}) {
    Result<std::unique_ptr<Wal>> w = Wal::Open(fs, WalDir(), o, tail);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? std::move(w).value() : nullptr;
  }
  TempDir tmp_;
  PosixFileSystem fs_;
};

TEST_F(WalTest, AssignsSeqChainsAndReadsBack) {
  auto wal = OpenWal(fs_);
  ASSERT_NE(wal, nullptr);
  auto a = MakeRecords("a", 3);
  auto b = MakeRecords("b", 2);
  std::span<LogRecord> batches[] = {a, b};
  ASSERT_TRUE(wal->Write(batches).ok());
  EXPECT_EQ(a[0].seq, 1u);
  EXPECT_EQ(b[1].seq, 5u);
  EXPECT_EQ(wal->durable().last_seq, 5u);

  Result<std::vector<ChainedRecord>> read = ReadWalRecords(fs_, WalDir());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(CheckChain(*read, 1, kGenesisChainHash),
            (std::vector<std::string>{"a0", "a1", "a2", "b0", "b1"}));
  EXPECT_EQ(read->back().chain, wal->durable().last_chain);
}

TEST_F(WalTest, ReceivedTimeNeverGoesBackwards) {
  auto wal = OpenWal(fs_);
  std::vector<LogRecord> r = {testing::MakeRecord("late", 2000), testing::MakeRecord("early", 1000)};
  ASSERT_TRUE(WriteOne(*wal, r).ok());
  EXPECT_EQ(r[0].received_ms, 2000);
  EXPECT_EQ(r[1].received_ms, 2000);
  EXPECT_EQ(r[1].ts_ms, 1000);  // the sender's time is kept
}

TEST_F(WalTest, ReopenContinuesSeqAndChain) {
  {
    auto wal = OpenWal(fs_);
    auto r = MakeRecords("x", 4);
    ASSERT_TRUE(WriteOne(*wal, r).ok());
  }
  auto wal = OpenWal(fs_);
  ASSERT_NE(wal, nullptr);
  EXPECT_EQ(wal->durable().last_seq, 4u);
  auto r = MakeRecords("y", 2);
  ASSERT_TRUE(WriteOne(*wal, r).ok());
  EXPECT_EQ(r[0].seq, 5u);
  auto read = ReadWalRecords(fs_, WalDir());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(CheckChain(*read, 1, kGenesisChainHash).size(), 6u);
  EXPECT_EQ(WalFiles(WalDir()).size(), 2u);  // new records go to a new file
}

TEST_F(WalTest, TornTailIsIgnoredAndCutOnOpen) {
  std::string file;
  {
    auto wal = OpenWal(fs_);
    auto r = MakeRecords("ok", 3);
    ASSERT_TRUE(WriteOne(*wal, r).ok());
    file = WalDir() + "/" + WalFileName(1);
  }
  const auto good_size = std::filesystem::file_size(file);
  {
    // A crash in the middle of the next frame: its length and half its bytes.
    std::ofstream out(file, std::ios::app | std::ios::binary);
    std::string frame;
    frame.append("\x40\x00\x00\x00", 4);
    frame.append("{\"seq\":4,\"received\":\"2026-01-01T00:");
    out << frame;
  }
  auto read = ReadWalRecords(fs_, WalDir());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->size(), 3u);

  auto wal = OpenWal(fs_);
  ASSERT_NE(wal, nullptr);
  EXPECT_EQ(std::filesystem::file_size(file), good_size);
  EXPECT_EQ(wal->durable().last_seq, 3u);
  auto r = MakeRecords("after", 1);
  ASSERT_TRUE(WriteOne(*wal, r).ok());
  EXPECT_EQ(r[0].seq, 4u);
  read = ReadWalRecords(fs_, WalDir());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(CheckChain(*read, 1, kGenesisChainHash),
            (std::vector<std::string>{"ok0", "ok1", "ok2", "after0"}));
}

// The writer creates a file, then appends its header with the first group:
// a crash in between leaves a newest file shorter than a header. It holds
// nothing acknowledged, so readers skip it and Open removes it.
TEST_F(WalTest, NewestFileCutShortBeforeItsHeaderIsRemovedOnOpen) {
  // kWalHeaderBytes: the header went out, the first group did not. The
  // zero-padded cases: the file's size reached the disk, (part of) its data
  // did not.
  struct Case {
    size_t cut;
    size_t zeros;
  };
  for (const Case& k : {Case{0, 0}, Case{5, 0}, Case{16, 0}, Case{kWalHeaderBytes - 1, 0},
                        Case{kWalHeaderBytes, 0}, Case{0, 4096}, Case{10, 4000}}) {
    const size_t cut = k.cut;
    SCOPED_TRACE("header bytes on disk: " + std::to_string(cut) + ", then " +
                 std::to_string(k.zeros) + " zero bytes");
    std::filesystem::remove_all(WalDir());
    {
      auto wal = OpenWal(fs_, WalOptions{.max_file_bytes = 1});  // one file per write
      for (int i = 0; i < 2; ++i) {
        auto r = MakeRecords("w", 2);
        ASSERT_TRUE(WriteOne(*wal, r).ok());
      }
    }
    auto before = ReadWalRecords(fs_, WalDir());
    ASSERT_TRUE(before.ok());
    ASSERT_EQ(before->size(), 4u);
    std::string header;
    AppendWalHeader(5, before->back().chain, &header);
    const std::string next = WalDir() + "/" + WalFileName(5);
    {
      std::ofstream out(next, std::ios::binary);
      out << header.substr(0, cut) << std::string(k.zeros, '\0');
    }
    auto read = ReadWalRecords(fs_, WalDir());
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_EQ(read->size(), 4u);

    auto wal = OpenWal(fs_, WalOptions{.max_file_bytes = 1});
    ASSERT_NE(wal, nullptr);
    EXPECT_FALSE(std::filesystem::exists(next));
    EXPECT_EQ(wal->durable().last_seq, 4u);
    auto r = MakeRecords("after", 1);
    ASSERT_TRUE(WriteOne(*wal, r).ok());
    EXPECT_EQ(r[0].seq, 5u);
    read = ReadWalRecords(fs_, WalDir());
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_EQ(CheckChain(*read, 1, kGenesisChainHash),
              (std::vector<std::string>{"w0", "w1", "w0", "w1", "after0"}));
  }
}

// A failed fsync leaves frames after the durable end of a file; the next
// file, started at that end, supersedes them. If that next file's first
// write never completed (removed on recovery), the superseded frames are cut
// off too — else a second recovery would take them for records.
TEST_F(WalTest, RemovingACutShortFileCutsTheSupersededTailOfTheOneBefore) {
  {
    auto wal = OpenWal(fs_);
    auto r = MakeRecords("f", 4);
    ASSERT_TRUE(WriteOne(*wal, r).ok());  // seqs 1-4 in wal-1
  }
  auto all = ReadWalRecords(fs_, WalDir());
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  // As if 3-4 were written but their fsync failed: the writer started
  // wal-3 at the durable end (seq 2) and died in its first write.
  std::string header;
  AppendWalHeader(3, (*all)[1].chain, &header);
  {
    std::ofstream out(WalDir() + "/" + WalFileName(3), std::ios::binary);
    out << header.substr(0, 20);
  }
  for (int open = 0; open < 2; ++open) {  // the second: a crash before any new write
    SCOPED_TRACE("open " + std::to_string(open + 1));
    auto wal = OpenWal(fs_);
    ASSERT_NE(wal, nullptr);
    EXPECT_EQ(wal->durable().last_seq, 2u);
    EXPECT_EQ(WalFiles(WalDir()), std::vector<std::string>{WalFileName(1)});
  }
  auto read = ReadWalRecords(fs_, WalDir());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(CheckChain(*read, 1, kGenesisChainHash), (std::vector<std::string>{"f0", "f1"}));
}

// Only a short prefix of the right header counts as cut short: other short
// content, or a short file that is not the newest, is damage.
TEST_F(WalTest, ShortFileThatIsNotACutShortHeaderIsDataLoss) {
  {
    auto wal = OpenWal(fs_);
    auto r = MakeRecords("w", 2);
    ASSERT_TRUE(WriteOne(*wal, r).ok());
  }
  const std::string next = WalDir() + "/" + WalFileName(3);
  {
    std::ofstream out(next, std::ios::binary);
    out << "KURAWAL2";  // not the magic
  }
  Result<std::unique_ptr<Wal>> w = Wal::Open(fs_, WalDir(), {}, {});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(ReadWalRecords(fs_, WalDir()).ok());

  // A cut-short header followed by a later file: not a crash the writer can
  // leave behind.
  { std::ofstream out(next, std::ios::binary | std::ios::trunc); }
  {
    std::ofstream out(WalDir() + "/" + WalFileName(4), std::ios::binary);
    out << "KURA";  // itself a cut-short header
  }
  w = Wal::Open(fs_, WalDir(), {}, {});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kDataLoss);
}

TEST_F(WalTest, CorruptFrameInTheMiddleIsDataLoss) {
  {
    auto wal = OpenWal(fs_, WalOptions{.max_file_bytes = 1});  // one file per write
    for (int i = 0; i < 3; ++i) {
      auto r = MakeRecords("m", 2);
      ASSERT_TRUE(WriteOne(*wal, r).ok());
    }
  }
  ASSERT_EQ(WalFiles(WalDir()).size(), 3u);
  // Flip a byte in the record bytes of seq 2, in the first (not the newest) file.
  const std::string first = WalDir() + "/" + WalFileName(1);
  std::fstream f(first, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(-40, std::ios::end);
  f.put('#');
  f.close();
  auto read = ReadWalRecords(fs_, WalDir());
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kDataLoss);
  Result<std::unique_ptr<Wal>> w = Wal::Open(fs_, WalDir(), {}, {});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kDataLoss);
}

TEST_F(WalTest, RotatesBySizeAndDropsSealedFiles) {
  auto wal = OpenWal(fs_, WalOptions{.max_file_bytes = 1000});
  for (int i = 0; i < 10; ++i) {
    auto r = MakeRecords("r" + std::to_string(i) + "-", 5);
    ASSERT_TRUE(WriteOne(*wal, r).ok());
  }
  const size_t files = WalFiles(WalDir()).size();
  EXPECT_GT(files, 2u);
  EXPECT_GT(wal->unsealed_bytes(), 0u);
  auto read = ReadWalRecords(fs_, WalDir());
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 50u);
  CheckChain(*read, 1, kGenesisChainHash);

  ASSERT_TRUE(wal->DropThrough(25).ok());
  EXPECT_LT(WalFiles(WalDir()).size(), files);
  read = ReadWalRecords(fs_, WalDir());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_FALSE(read->empty());
  EXPECT_LE(read->front().seq, 26u);  // nothing unsealed was dropped
  EXPECT_EQ(read->back().seq, 50u);

  WalReadOptions o;
  o.after_seq = 40;
  o.through_seq = 45;
  read = ReadWalRecords(fs_, WalDir(), o);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 5u);
  EXPECT_EQ(read->front().seq, 41u);

  // Everything sealed: the current file is rotated and dropped too.
  ASSERT_TRUE(wal->DropThrough(50).ok());
  EXPECT_EQ(wal->unsealed_bytes(), 0u);
  auto r = MakeRecords("next", 1);
  ASSERT_TRUE(WriteOne(*wal, r).ok());
  ASSERT_TRUE(wal->DropThrough(50).ok());
  EXPECT_EQ(WalFiles(WalDir()), std::vector<std::string>{WalFileName(51)});
}

// A sealed file that cannot be deleted stays and is deleted by the next
// DropThrough; the WAL keeps working meanwhile.
TEST_F(WalTest, ASealedFileThatCannotBeDeletedIsDeletedNextTime) {
  FaultInjectingFileSystem faulty(fs_);
  auto wal = OpenWal(faulty, WalOptions{.max_file_bytes = 1});  // one file per write
  for (int i = 0; i < 4; ++i) {
    auto r = MakeRecords("d", 2);
    ASSERT_TRUE(WriteOne(*wal, r).ok());
  }
  ASSERT_EQ(WalFiles(WalDir()).size(), 4u);  // seqs 1-2, 3-4, 5-6, 7-8
  faulty.FailNextRemove();
  Status s = wal->DropThrough(4);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(WalFiles(WalDir()).size(), 4u);  // the first delete failed: nothing else went
  auto r = MakeRecords("after", 1);
  ASSERT_TRUE(WriteOne(*wal, r).ok());
  ASSERT_TRUE(wal->DropThrough(4).ok());
  EXPECT_EQ(WalFiles(WalDir()), (std::vector<std::string>{WalFileName(5), WalFileName(7),
                                                           WalFileName(9)}));
  auto read = ReadWalRecords(fs_, WalDir());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 5u);
  EXPECT_EQ(read->front().seq, 5u);
}

TEST_F(WalTest, JoinsTheArchiveTail) {
  ChainPosition tail;
  {
    auto wal = OpenWal(fs_);
    auto r = MakeRecords("s", 6);
    ASSERT_TRUE(WriteOne(*wal, r).ok());
    auto read = ReadWalRecords(fs_, WalDir());
    ASSERT_TRUE(read.ok());
    tail = ChainPosition{(*read)[3].seq, (*read)[3].chain, (*read)[3].received_ms};
  }
  {
    // Archive holds 1..4: the WAL continues after 6 and only 5..6 are unsealed.
    auto wal = OpenWal(fs_, {}, tail);
    ASSERT_NE(wal, nullptr);
    EXPECT_EQ(wal->durable().last_seq, 6u);
  }
  {
    ChainPosition wrong = tail;
    wrong.last_chain[0] ^= 1;
    auto w = Wal::Open(fs_, WalDir(), {}, wrong);
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.status().code(), StatusCode::kDataLoss);
  }
  {
    // Archive ahead of the WAL (everything sealed, files not yet dropped).
    auto read = ReadWalRecords(fs_, WalDir());
    ChainPosition ahead{9, NextChainHash(read->back().chain, "x"), 0};
    auto wal = OpenWal(fs_, {}, ahead);
    ASSERT_NE(wal, nullptr);
    EXPECT_EQ(wal->durable().last_seq, 9u);
    EXPECT_TRUE(WalFiles(WalDir()).empty());
  }
}

TEST_F(WalTest, WalStartingAfterTheArchiveTailIsDataLoss) {
  {
    auto wal = OpenWal(fs_, {}, ChainPosition{10, NextChainHash(kGenesisChainHash, "t"), 0});
    auto r = MakeRecords("g", 2);
    ASSERT_TRUE(WriteOne(*wal, r).ok());
    EXPECT_EQ(r[0].seq, 11u);
  }
  auto w = Wal::Open(fs_, WalDir(), {}, ChainPosition{});  // archive lost 1..10
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kDataLoss);
}

TEST_F(WalTest, DiskFullRefusesThenResumes) {
  FaultInjectingFileSystem faulty(fs_);
  auto wal = OpenWal(faulty);
  auto ok1 = MakeRecords("before", 3);
  ASSERT_TRUE(WriteOne(*wal, ok1).ok());
  const ChainPosition before = wal->durable();

  faulty.FailWritesAfterBytes(10);
  auto refused = MakeRecords("refused", 2);
  Status s = WriteOne(*wal, refused);
  ASSERT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("disk full"), std::string::npos);
  EXPECT_EQ(wal->durable().last_seq, before.last_seq);
  EXPECT_EQ(wal->durable().last_chain, before.last_chain);
  s = WriteOne(*wal, refused);  // still full: still refused, no partial state
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);

  faulty.ClearFaults();
  auto after = MakeRecords("after", 2);
  ASSERT_TRUE(WriteOne(*wal, after).ok());
  EXPECT_EQ(after[0].seq, 4u);
  auto read = ReadWalRecords(fs_, WalDir());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(CheckChain(*read, 1, kGenesisChainHash),
            (std::vector<std::string>{"before0", "before1", "before2", "after0", "after1"}));
  wal.reset();
  auto reopened = OpenWal(fs_);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->durable().last_seq, 5u);
}

TEST_F(WalTest, FailedFsyncNeverReusesTheFileAndLosesNothingAcknowledged) {
  FaultInjectingFileSystem faulty(fs_);
  auto wal = OpenWal(faulty);
  auto ok1 = MakeRecords("durable", 2);
  ASSERT_TRUE(WriteOne(*wal, ok1).ok());

  faulty.FailNextSync();
  auto lost = MakeRecords("unacked", 3);
  Status s = WriteOne(*wal, lost);
  ASSERT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("refusing events"), std::string::npos);
  EXPECT_EQ(wal->durable().last_seq, 2u);

  // The unacknowledged frames did reach the old file's page cache; the next
  // write goes to a new file that starts at seq 3 and supersedes them.
  auto next = MakeRecords("resumed", 2);
  ASSERT_TRUE(WriteOne(*wal, next).ok());
  EXPECT_EQ(next[0].seq, 3u);
  EXPECT_EQ(WalFiles(WalDir()), (std::vector<std::string>{WalFileName(1), WalFileName(3)}));
  auto read = ReadWalRecords(fs_, WalDir());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(CheckChain(*read, 1, kGenesisChainHash),
            (std::vector<std::string>{"durable0", "durable1", "resumed0", "resumed1"}));

  wal.reset();
  auto reopened = OpenWal(fs_);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->durable().last_seq, 4u);
  EXPECT_EQ(reopened->durable().last_chain, read->back().chain);
}

TEST_F(WalTest, FailureOnTheFirstWriteOfAFileReplacesThatFile) {
  FaultInjectingFileSystem faulty(fs_);
  auto wal = OpenWal(faulty);
  faulty.FailAllSyncs(true);
  auto r = MakeRecords("x", 1);
  EXPECT_EQ(WriteOne(*wal, r).code(), StatusCode::kUnavailable);
  EXPECT_EQ(WriteOne(*wal, r).code(), StatusCode::kUnavailable);
  faulty.ClearFaults();
  auto ok = MakeRecords("ok", 1);
  ASSERT_TRUE(WriteOne(*wal, ok).ok());
  EXPECT_EQ(ok[0].seq, 1u);
  auto read = ReadWalRecords(fs_, WalDir());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(CheckChain(*read, 1, kGenesisChainHash), std::vector<std::string>{"ok0"});
}

void ExpectSameRecords(const std::vector<ChainedRecord>& got,
                       const std::vector<ChainedRecord>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq, want[i].seq);
    EXPECT_EQ(got[i].received_ms, want[i].received_ms);
    EXPECT_EQ(got[i].bytes, want[i].bytes);
    EXPECT_EQ(got[i].chain, want[i].chain);
  }
}

// ReadDurable (from the in-memory groups where it can) gives what reading
// the files gives, for every range the sealing loop may ask for.
void ExpectReadDurableMatchesFiles(FileSystem& fs, const std::string& dir, const Wal& wal,
                                   uint64_t from, uint64_t last) {
  for (uint64_t after = from; after <= last; ++after) {
    for (uint64_t through : {after + 1, after + 4, last, last + 10}) {
      for (uint64_t max_bytes : {uint64_t{1}, uint64_t{500}, UINT64_MAX}) {
        WalReadOptions o;
        o.after_seq = after;
        o.through_seq = through;
        o.max_bytes = max_bytes;
        Result<std::vector<ChainedRecord>> got = wal.ReadDurable(o);
        Result<std::vector<ChainedRecord>> want = ReadWalRecords(fs, dir, o);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        ASSERT_TRUE(want.ok()) << want.status().ToString();
        SCOPED_TRACE("after " + std::to_string(after) + " through " + std::to_string(through) +
                     " max_bytes " + std::to_string(max_bytes));
        ExpectSameRecords(*got, *want);
      }
    }
  }
}

TEST_F(WalTest, ReadDurableFromMemoryMatchesTheFiles) {
  FaultInjectingFileSystem faulty(fs_);
  WalOptions o;
  o.max_file_bytes = 600;  // several files
  auto wal = OpenWal(faulty, o);
  for (int g = 0; g < 4; ++g) {
    auto r = MakeRecords("g" + std::to_string(g) + "-", 3);
    ASSERT_TRUE(WriteOne(*wal, r).ok());
  }
  // A group that failed is never read back; the next continues from 12.
  faulty.FailNextSync();
  auto lost = MakeRecords("lost", 2);
  ASSERT_FALSE(WriteOne(*wal, lost).ok());
  auto next = MakeRecords("next", 3);
  ASSERT_TRUE(WriteOne(*wal, next).ok());
  ASSERT_EQ(wal->durable().last_seq, 15u);
  ExpectReadDurableMatchesFiles(fs_, WalDir(), *wal, 0, 15);
  WalReadOptions all;
  Result<std::vector<ChainedRecord>> read = wal->ReadDurable(all);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(CheckChain(*read, 1, kGenesisChainHash).back(), "next2");

  // After sealing through 7 the groups before are released; the rest stay.
  ASSERT_TRUE(wal->DropThrough(7).ok());
  all.after_seq = 7;
  read = wal->ReadDurable(all);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 8u);
  EXPECT_EQ(read->front().seq, 8u);
  ExpectReadDurableMatchesFiles(fs_, WalDir(), *wal, 7, 15);
}

TEST_F(WalTest, ReadDurableReadsTheFilesWhatIsNotInMemory) {
  WalOptions o;
  o.max_cached_bytes = 700;  // about two groups of three
  auto wal = OpenWal(fs_, o);
  for (int g = 0; g < 4; ++g) {
    auto r = MakeRecords("g" + std::to_string(g) + "-", 3);
    ASSERT_TRUE(WriteOne(*wal, r).ok());
  }
  ExpectReadDurableMatchesFiles(fs_, WalDir(), *wal, 0, 12);
  ASSERT_TRUE(wal->DropThrough(9).ok());  // cache emptied: later groups are kept again
  auto more = MakeRecords("more", 3);
  ASSERT_TRUE(WriteOne(*wal, more).ok());
  ExpectReadDurableMatchesFiles(fs_, WalDir(), *wal, 9, 15);

  // Records recovered at Open come from the files.
  wal.reset();
  wal = OpenWal(fs_, o, {});
  ASSERT_NE(wal, nullptr);
  auto after = MakeRecords("after", 2);
  ASSERT_TRUE(WriteOne(*wal, after).ok());
  ExpectReadDurableMatchesFiles(fs_, WalDir(), *wal, 0, 17);

  o.max_cached_bytes = 0;  // never kept
  wal.reset();
  wal = OpenWal(fs_, o, {});
  auto last = MakeRecords("last", 2);
  ASSERT_TRUE(WriteOne(*wal, last).ok());
  ExpectReadDurableMatchesFiles(fs_, WalDir(), *wal, 0, 19);
}

TEST(WalFormatTest, FileNamesRoundTrip) {
  EXPECT_EQ(WalFileName(42), "wal-00000000000000000042.log");
  uint64_t seq = 0;
  EXPECT_TRUE(ParseWalFileName("wal-00000000000000000042.log", &seq));
  EXPECT_EQ(seq, 42u);
  EXPECT_FALSE(ParseWalFileName("wal-0000000000000000004x.log", &seq));
  EXPECT_FALSE(ParseWalFileName("wal-42.log", &seq));
  EXPECT_FALSE(ParseWalFileName(".kura-tmp.abc", &seq));
}

TEST(WalFormatTest, RecordPrefixIsCheckedNotTrusted) {
  auto p = ParseRecordPrefix(R"({"seq":17,"received":"2026-01-01T00:00:01.500Z","node":"n"})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->seq, 17u);
  EXPECT_EQ(p->received_ms, 1'767'225'601'500);
  EXPECT_EQ(ParseRecordPrefix(R"({"received":"2026-01-01T00:00:01.500Z"})").status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(ParseRecordPrefix(R"({"seq":1,"received":"yesterday"})").status().code(),
            StatusCode::kDataLoss);
}

}  // namespace
}  // namespace kura::logs
