#include "core/audit/audit_log.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/fs/fault_injecting_file_system.h"
#include "core/fs/memory_file_system.h"

namespace kura {
namespace {

class AuditLogTest : public ::testing::Test {
 protected:
  AuditLogTest() {
    auto sink = std::make_unique<MemoryAuditSink>();
    sink_ = sink.get();
    std::vector<std::unique_ptr<AuditSink>> sinks;
    sinks.push_back(std::move(sink));
    log_ = std::make_unique<AuditLog>(clock_, "vault", "node-1", std::move(sinks));
  }

  static AuditEvent Reveal() {
    AuditEvent e;
    e.type = "card.reveal";
    e.outcome = "success";
    e.principal = "alice";
    e.origin = "10.0.0.5:51234";
    e.resource = "tok_abc";
    return e;
  }

  FakeClock clock_;  // 2026-01-01T00:00:00.000Z
  MemoryAuditSink* sink_ = nullptr;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, ExactLineShape) {
  ASSERT_TRUE(log_->Emit(Reveal()).ok());
  ASSERT_EQ(sink_->lines().size(), 1u);
  EXPECT_EQ(sink_->lines()[0],
            R"({"ts":"2026-01-01T00:00:00.000Z","seq":1,"service":"vault","node":"node-1",)"
            R"("event":"card.reveal","outcome":"success","principal":"alice",)"
            R"("origin":"10.0.0.5:51234","resource":"tok_abc"})");
}

TEST_F(AuditLogTest, ReasonAndDetailsInOrder) {
  clock_.Advance(std::chrono::milliseconds(1234));
  AuditEvent e = Reveal();
  e.outcome = "failure";
  e.reason = "grant expired";
  e.details = {{"grant", "g_1"}, {"approver", "bob"}, {"grant", "g_2"}};
  ASSERT_TRUE(log_->Emit(e).ok());
  EXPECT_EQ(sink_->lines()[0],
            R"({"ts":"2026-01-01T00:00:01.234Z","seq":1,"service":"vault","node":"node-1",)"
            R"("event":"card.reveal","outcome":"failure","principal":"alice",)"
            R"("origin":"10.0.0.5:51234","resource":"tok_abc","reason":"grant expired",)"
            R"("details":{"grant":"g_1","approver":"bob","grant#2":"g_2"}})");
}

TEST_F(AuditLogTest, EmptyFieldsAreKeptExceptReasonAndDetails) {
  AuditEvent e;
  e.type = "auth.failure";
  e.outcome = "failure";
  ASSERT_TRUE(log_->Emit(e).ok());
  EXPECT_EQ(sink_->lines()[0],
            R"({"ts":"2026-01-01T00:00:00.000Z","seq":1,"service":"vault","node":"node-1",)"
            R"("event":"auth.failure","outcome":"failure","principal":"","origin":"",)"
            R"("resource":""})");
}

TEST_F(AuditLogTest, SeqIncreases) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log_->Emit(Reveal()).ok());
  const auto lines = sink_->lines();
  ASSERT_EQ(lines.size(), 3u);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(boost::json::parse(lines[i]).at("seq").to_number<uint64_t>(), i + 1);
  }
}

TEST_F(AuditLogTest, RejectsInvalidEventsWithoutUsingSeq) {
  AuditEvent e = Reveal();
  e.outcome = "denied";
  EXPECT_EQ(log_->Emit(e).code(), StatusCode::kInvalidArgument);
  e = Reveal();
  e.type.clear();
  EXPECT_EQ(log_->Emit(e).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(sink_->lines().empty());
  ASSERT_TRUE(log_->Emit(Reveal()).ok());
  EXPECT_EQ(boost::json::parse(sink_->lines()[0]).at("seq").to_number<uint64_t>(), 1u);
}

TEST_F(AuditLogTest, PanGuardMasksEveryFieldAndCounts) {
  AuditEvent e = Reveal();
  e.principal = "4111111111111111";
  e.resource = "card 5555 5555 5555 4444";
  e.reason = "bad pan 3782-822463-10005";
  e.details = {{"4111-1111-1111-1111", "x"}, {"note", "ok"}};
  ASSERT_TRUE(log_->Emit(e).ok());
  const std::string line = sink_->lines()[0];
  for (const char* leaked : {"4111111111111111", "5555 5555 5555 4444", "3782-822463-10005",
                             "4111-1111-1111-1111", "555555555554444"}) {
    EXPECT_EQ(line.find(leaked), std::string::npos) << leaked;
  }
  const boost::json::object obj = boost::json::parse(line).as_object();
  EXPECT_EQ(obj.at("principal").as_string(), "411111******1111");
  EXPECT_EQ(obj.at("resource").as_string(), "card 555555******4444");
  EXPECT_EQ(obj.at("reason").as_string(), "bad pan 37828******0005");
  EXPECT_TRUE(obj.at("details").as_object().contains("411111******1111"));
  EXPECT_EQ(obj.at("pan_redacted").to_number<uint64_t>(), 4u);
  EXPECT_EQ(log_->pan_incidents(), 1u);
  // "pan_redacted" is the last field.
  EXPECT_TRUE(line.ends_with(",\"pan_redacted\":4}")) << line;

  ASSERT_TRUE(log_->Emit(Reveal()).ok());
  EXPECT_EQ(log_->pan_incidents(), 1u);
  EXPECT_FALSE(boost::json::parse(sink_->lines()[1]).as_object().contains("pan_redacted"));
  e = Reveal();
  e.details = {{"k", "4111 1111 1111 1111"}};
  ASSERT_TRUE(log_->Emit(e).ok());
  EXPECT_EQ(log_->pan_incidents(), 2u);
}

TEST_F(AuditLogTest, LuhnFailingNumbersAreNotMasked) {
  AuditEvent e = Reveal();
  e.resource = "order 4111111111111112";
  ASSERT_TRUE(log_->Emit(e).ok());
  EXPECT_EQ(boost::json::parse(sink_->lines()[0]).at("resource").as_string(),
            "order 4111111111111112");
  EXPECT_EQ(log_->pan_incidents(), 0u);
}

TEST_F(AuditLogTest, ControlCharactersAndBadUtf8StayOneValidLine) {
  AuditEvent e = Reveal();
  e.principal = "eve\n{\"forged\":true}";
  e.resource = std::string("bad\xff\xc0utf8");
  ASSERT_TRUE(log_->Emit(e).ok());
  const std::string line = sink_->lines()[0];
  EXPECT_EQ(line.find('\n'), std::string::npos);
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(line, ec);
  ASSERT_FALSE(ec) << line;
  EXPECT_EQ(v.at("principal").as_string(), "eve\n{\"forged\":true}");
  EXPECT_EQ(v.at("resource").as_string(), "bad\xEF\xBF\xBD\xEF\xBF\xBDutf8");
}

// The line is written without a JSON DOM; its bytes must still be exactly
// what boost::json::serialize makes of the same fields (escapes, order,
// duplicate detail keys), so readers that compare or hash lines see no change.
TEST_F(AuditLogTest, LineBytesMatchBoostJsonSerialization) {
  std::string every_byte;
  for (int c = 1; c < 0x80; ++c) every_byte += static_cast<char>(c);
  AuditEvent e = Reveal();
  e.principal = every_byte;
  e.origin = "\xC3\xA9 \xF0\x9F\x92\xB3 / \\ \"q\"";
  e.resource = "";
  e.reason = "tab\there";
  e.details = {{"k", "v"}, {"k", "w"}, {"k#2", "x"}, {"\x01", "\x7f"}};
  ASSERT_TRUE(log_->Emit(e).ok());

  boost::json::object o;
  o["ts"] = "2026-01-01T00:00:00.000Z";
  o["seq"] = 1;
  o["service"] = "vault";
  o["node"] = "node-1";
  o["event"] = e.type;
  o["outcome"] = e.outcome;
  o["principal"] = e.principal;
  o["origin"] = e.origin;
  o["resource"] = e.resource;
  o["reason"] = e.reason;
  boost::json::object details;
  details["k"] = "v";
  details["k#2"] = "w";  // the second "k" is renamed ...
  details["k#2#2"] = "x";  // ... so the literal "k#2" collides in turn
  details["\x01"] = "\x7f";
  o["details"] = std::move(details);
  EXPECT_EQ(sink_->lines().at(0), boost::json::serialize(o));
}

TEST(SanitizeUtf8Test, KeepsValidAndReplacesInvalid) {
  EXPECT_EQ(SanitizeUtf8("plain"), "plain");
  EXPECT_EQ(SanitizeUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x92\xB3"), "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x92\xB3");
  EXPECT_EQ(SanitizeUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(SanitizeUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(SanitizeUtf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated
  EXPECT_EQ(SanitizeUtf8("\xF4\x90\x80\x80").substr(0, 3), "\xEF\xBF\xBD");  // > U+10FFFF
}

TEST_F(AuditLogTest, ConcurrentEmitWritesWholeLinesWithUniqueSeq) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      AuditEvent e = Reveal();
      e.principal = "user-" + std::to_string(t);
      e.details = {{"payload", std::string(200, static_cast<char>('a' + t))}};
      for (int i = 0; i < kPerThread; ++i) log_->Emit(e).IgnoreError();
    });
  }
  for (auto& th : threads) th.join();
  const auto lines = sink_->lines();
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kPerThread));
  std::set<uint64_t> seqs;
  std::map<std::string, uint64_t> prev_of_thread;  // principal -> last seq
  for (const std::string& line : lines) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    const uint64_t seq = v.at("seq").to_number<uint64_t>();
    // One thread's events arrive in seq order (concurrent threads' may
    // interleave in any order).
    uint64_t& prev = prev_of_thread[std::string(v.at("principal").as_string())];
    EXPECT_GT(seq, prev);
    prev = seq;
    seqs.insert(seq);
  }
  EXPECT_EQ(prev_of_thread.size(), static_cast<size_t>(kThreads));
  // 1..N, each exactly once: no gap, no duplicate.
  EXPECT_EQ(seqs.size(), lines.size());
  EXPECT_EQ(*seqs.begin(), 1u);
  EXPECT_EQ(*seqs.rbegin(), static_cast<uint64_t>(kThreads * kPerThread));
}

// More writers than descriptors: the extra ones wait for a free one, and no
// line is lost or torn. (The memory file system appends atomically, so this
// checks the pool and the flush, not the kernel's O_APPEND.)
TEST(FileAuditSinkTest, MoreConcurrentWritersThanDescriptorsLoseNoLine) {
  MemoryFileSystem fs;
  FakeClock clock;
  auto sink = FileAuditSink::Open(fs, "/audit.jsonl");
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  std::vector<std::unique_ptr<AuditSink>> sinks;
  sinks.push_back(std::move(sink).value());
  AuditLog log(clock, "vault", "n", std::move(sinks));
  constexpr int kThreads = static_cast<int>(FileAuditSink::kAuditFileHandles) + 3;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      AuditEvent e{"card.read", "success", "user-" + std::to_string(t), "o", "r", "", {}};
      e.details = {{"payload", std::string(100, static_cast<char>('a' + t))}};
      for (int i = 0; i < kPerThread; ++i) ASSERT_TRUE(log.Emit(e).ok());
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(log.Flush().ok());
  fs.SimulateCrash();  // flushed through one descriptor: every line survives
  const std::string contents = *fs.ReadFile("/audit.jsonl");
  std::set<uint64_t> seqs;
  size_t begin = 0;
  while (begin < contents.size()) {
    const size_t end = contents.find('\n', begin);
    ASSERT_NE(end, std::string::npos);
    boost::system::error_code ec;
    const boost::json::value v =
        boost::json::parse(std::string_view(contents).substr(begin, end - begin), ec);
    ASSERT_FALSE(ec) << contents.substr(begin, end - begin);
    const std::string principal(v.at("principal").as_string());
    const std::string payload(v.at("details").at("payload").as_string());
    EXPECT_EQ(payload, std::string(100, static_cast<char>('a' + std::stoi(principal.substr(5)))));
    seqs.insert(v.at("seq").to_number<uint64_t>());
    begin = end + 1;
  }
  EXPECT_EQ(seqs.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*seqs.rbegin(), static_cast<uint64_t>(kThreads * kPerThread));
}

TEST(AuditLogSinkTest, SinkFailureIsReturnedAndOtherSinksStillWritten) {
  FakeClock clock;
  auto failing = std::make_unique<MemoryAuditSink>();
  auto healthy = std::make_unique<MemoryAuditSink>();
  MemoryAuditSink* failing_ptr = failing.get();
  MemoryAuditSink* healthy_ptr = healthy.get();
  std::vector<std::unique_ptr<AuditSink>> sinks;
  sinks.push_back(std::move(failing));
  sinks.push_back(std::move(healthy));
  AuditLog log(clock, "vault", "n", std::move(sinks));
  failing_ptr->SetFailure(ResourceExhaustedError("disk full"));
  AuditEvent e{"card.read", "success", "p", "o", "r", "", {}};
  Status st = log.Emit(e);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(healthy_ptr->lines().size(), 1u);
  EXPECT_EQ(log.Flush().code(), StatusCode::kResourceExhausted);
  failing_ptr->SetFailure(OkStatus());
  ASSERT_TRUE(log.Emit(e).ok());
  ASSERT_TRUE(log.Flush().ok());
  // The failed event still used seq 1: the gap is visible in the good sink.
  EXPECT_EQ(boost::json::parse(failing_ptr->lines()[0]).at("seq").to_number<uint64_t>(), 2u);
}

TEST(FileAuditSinkTest, AppendsPrivateLinesAndFlushes) {
  MemoryFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/var/log/kura").ok());
  auto sink = FileAuditSink::Open(fs, "/var/log/kura/audit.jsonl");
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE((*sink)->Write("{\"a\":1}").ok());
  ASSERT_TRUE((*sink)->Write("{\"b\":2}").ok());
  ASSERT_TRUE((*sink)->Flush().ok());
  ASSERT_TRUE((*sink)->Write("{\"c\":3}").ok());
  EXPECT_EQ(*fs.ReadFile("/var/log/kura/audit.jsonl"), "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
  EXPECT_EQ(*fs.GetMode("/var/log/kura/audit.jsonl"), 0600u);
  fs.SimulateCrash();  // the unflushed line is lost, the flushed ones survive
  EXPECT_EQ(*fs.ReadFile("/var/log/kura/audit.jsonl"), "{\"a\":1}\n{\"b\":2}\n");
  EXPECT_EQ(FileAuditSink::Open(fs, "/missing/audit.jsonl").status().code(),
            StatusCode::kNotFound);
}

TEST(FileAuditSinkTest, FailsClosedAfterFsyncOrDiskFullThroughAuditLog) {
  MemoryFileSystem mem;
  FaultInjectingFileSystem fs(mem);
  FakeClock clock;
  auto sink = FileAuditSink::Open(fs, "/audit.jsonl");
  ASSERT_TRUE(sink.ok());
  std::vector<std::unique_ptr<AuditSink>> sinks;
  sinks.push_back(std::move(sink).value());
  AuditLog log(clock, "vault", "n", std::move(sinks));
  AuditEvent e{"card.store", "success", "p", "o", "r", "", {}};
  ASSERT_TRUE(log.Emit(e).ok());
  fs.FailNextSync();
  Status st = log.Flush();
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_NE(st.message().find("fsync failed"), std::string::npos);
  // Fail closed: later events are refused although the fault is gone.
  EXPECT_EQ(log.Emit(e).code(), StatusCode::kInternal);

  MemoryFileSystem mem2;
  FaultInjectingFileSystem fs2(mem2);
  auto sink2 = FileAuditSink::Open(fs2, "/audit.jsonl");
  ASSERT_TRUE(sink2.ok());
  fs2.FailWritesAfterBytes(10);
  EXPECT_EQ((*sink2)->Write("{\"this line is too long\":1}").code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(*mem2.ReadFile("/audit.jsonl"), "");
  // The fault is gone and the sink's other descriptors never failed, but
  // the sink as a whole stays closed: no later line, no flush.
  fs2.ClearFaults();
  for (size_t i = 0; i < FileAuditSink::kAuditFileHandles + 1; ++i) {
    EXPECT_EQ((*sink2)->Write("{}").code(), StatusCode::kResourceExhausted);
  }
  EXPECT_EQ((*sink2)->Flush().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(*mem2.ReadFile("/audit.jsonl"), "");
}

TEST(StreamAuditSinkTest, WritesLinesAndReportsBadStream) {
  std::ostringstream out;
  StreamAuditSink sink(out);
  ASSERT_TRUE(sink.Write("{\"a\":1}").ok());
  ASSERT_TRUE(sink.Flush().ok());
  EXPECT_EQ(out.str(), "{\"a\":1}\n");
  out.setstate(std::ios::badbit);
  EXPECT_EQ(sink.Write("{}").code(), StatusCode::kInternal);
  EXPECT_EQ(sink.Flush().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace kura
