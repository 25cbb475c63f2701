#include "logs/server/ingest_audit_sink.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/audit/audit_log.h"
#include "core/fs/fault_injecting_file_system.h"
#include "core/fs/file_system.h"
#include "logs/ingest/ingest_test_util.h"
#include "logs/ingest/wal.h"
#include "logs/ingest/wal_reader.h"

namespace kura::logs {
namespace {

using testing::TempDir;

AuditEvent Event(std::string type, std::string outcome = std::string(kAuditSuccess)) {
  AuditEvent e;
  e.type = std::move(type);
  e.outcome = std::move(outcome);
  e.principal = "system";
  e.origin = "local";
  e.resource = "logs";
  return e;
}

std::vector<LogRecord> Stored(FileSystem& fs, const std::string& dir) {
  std::vector<LogRecord> out;
  auto records = ReadWalRecords(fs, dir);
  EXPECT_TRUE(records.ok()) << records.status().ToString();
  if (!records.ok()) return out;
  for (const ChainedRecord& r : *records) {
    auto d = DecodeRecord(r.bytes);
    EXPECT_TRUE(d.ok());
    if (d.ok()) out.push_back(*d);
  }
  return out;
}

// The node's audit log as LogsServer builds it: the store sink plus another
// sink (memory here, the [audit] file in production).
struct Node {
  explicit Node(FileSystem& fs, const std::string& dir) {
    auto w = Wal::Open(fs, dir, {}, {});
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    wal = std::move(w).value();
    auto store = std::make_unique<IngestAuditSink>(clock, "n1");
    self = store.get();
    auto mem = std::make_unique<MemoryAuditSink>();
    memory = mem.get();
    std::vector<std::unique_ptr<AuditSink>> sinks;
    sinks.push_back(std::move(store));
    sinks.push_back(std::move(mem));
    audit = std::make_unique<AuditLog>(clock, "logs", "n1", std::move(sinks));
    IngestorOptions o;
    // Like LogsServer: refusals are audited from the Ingestor's own thread.
    o.on_state_change = [this](bool refusing, const Status& s) {
      AuditEvent e = Event(refusing ? "logs.ingest.refuse" : "logs.ingest.resume",
                           std::string(refusing ? kAuditFailure : kAuditSuccess));
      e.reason = refusing ? s.message() : "accepting events";
      audit->Emit(e).IgnoreError();
    };
    ingestor = std::make_unique<Ingestor>(*wal, o);
    self->Attach(ingestor.get());
  }
  ~Node() {
    ingestor->Stop();
    self->Detach();
  }
  FakeClock clock;
  std::unique_ptr<Wal> wal;
  std::unique_ptr<AuditLog> audit;
  IngestAuditSink* self = nullptr;
  MemoryAuditSink* memory = nullptr;
  std::unique_ptr<Ingestor> ingestor;
};

TEST(IngestAuditSinkTest, OwnEventsLandInTheStoreAsService_logs) {
  TempDir tmp;
  PosixFileSystem fs;
  const std::string dir = tmp.path() + "/wal";
  {
    Node node(fs, dir);
    ASSERT_TRUE(node.audit->Emit(Event("service.start")).ok());
    AuditEvent search = Event("logs.search");
    search.principal = "alice";
    search.details = {{"query", "event=card.reveal"}};
    ASSERT_TRUE(node.audit->Emit(search).ok());
    node.ingestor->Stop();  // writes what is queued
    EXPECT_EQ(node.self->stored(), 2u);
    EXPECT_EQ(node.self->not_stored(), 0u);
    EXPECT_EQ(node.memory->lines().size(), 2u);
  }
  const std::vector<LogRecord> stored = Stored(fs, dir);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].service, "logs");
  EXPECT_EQ(stored[0].event, "service.start");
  EXPECT_EQ(stored[0].source, "self");
  EXPECT_EQ(stored[0].node, "n1");
  EXPECT_EQ(stored[1].event, "logs.search");
  EXPECT_EQ(stored[1].principal, "alice");
  EXPECT_NE(stored[1].fields_json.find("event=card.reveal"), std::string::npos);
}

TEST(IngestAuditSinkTest, WhileIngestRefusesEventsReachTheOtherSinksAndAreCounted) {
  TempDir tmp;
  PosixFileSystem base;
  FaultInjectingFileSystem fs(base);
  const std::string dir = tmp.path() + "/wal";
  {
    Node node(fs, dir);
    fs.FailAllSyncs(true);
    // An event that makes ingest refuse: the refusal's own audit event is
    // emitted on the Ingestor's thread and goes to the (refusing) store
    // without deadlocking.
    std::vector<LogRecord> r = testing::MakeRecords("x", 1);
    EXPECT_EQ(node.ingestor->Submit(r).code(), StatusCode::kUnavailable);
    ASSERT_TRUE(node.audit->Emit(Event("logs.search")).ok());  // Emit still succeeds
    // Make sure every own event queued so far has its outcome.
    std::vector<LogRecord> probe = testing::MakeRecords("p", 1);
    EXPECT_FALSE(node.ingestor->Submit(probe).ok());
    const std::vector<std::string> lines = node.memory->lines();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_NE(lines[0].find("\"event\":\"logs.ingest.refuse\""), std::string::npos);
    EXPECT_NE(lines[1].find("\"event\":\"logs.search\""), std::string::npos);
    EXPECT_EQ(node.self->stored(), 0u);
    EXPECT_EQ(node.self->not_stored(), 2u);

    fs.FailAllSyncs(false);
    ASSERT_TRUE(node.audit->Emit(Event("logs.search")).ok());
    std::vector<LogRecord> ok = testing::MakeRecords("ok", 1);
    ASSERT_TRUE(node.ingestor->Submit(ok).ok());
    node.ingestor->Stop();
    // resume (emitted on the Ingestor's thread) and the last search are stored.
    EXPECT_EQ(node.self->stored(), 2u);
    EXPECT_EQ(node.self->not_stored(), 2u);
  }
  std::vector<std::string> events;
  for (const LogRecord& r : Stored(base, dir)) events.push_back(r.event);
  // The search event, the "ok" record and the resume event (in the order the
  // writer took them); nothing of the refused ones.
  EXPECT_EQ(events.size(), 3u);
  EXPECT_NE(std::find(events.begin(), events.end(), "test.event"), events.end());
  EXPECT_NE(std::find(events.begin(), events.end(), "logs.search"), events.end());
  EXPECT_NE(std::find(events.begin(), events.end(), "logs.ingest.resume"), events.end());
  EXPECT_EQ(std::find(events.begin(), events.end(), "logs.ingest.refuse"), events.end());
}

TEST(IngestAuditSinkTest, NotAttachedOrDetachedCountsAsNotStored) {
  FakeClock clock;
  IngestAuditSink sink(clock, "n1");
  EXPECT_TRUE(sink.Write(R"({"ts":"2026-01-01T00:00:00.000Z","event":"service.start","outcome":"success"})").ok());
  EXPECT_EQ(sink.not_stored(), 1u);
  EXPECT_EQ(sink.stored(), 0u);
  EXPECT_TRUE(sink.Flush().ok());
}

}  // namespace
}  // namespace kura::logs
