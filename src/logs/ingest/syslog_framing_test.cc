#include "logs/ingest/syslog_framing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace kura::logs {
namespace {

struct Collect : SyslogFramer::Sink {
  std::vector<std::string> messages;
  std::vector<std::string> errors;
  void OnMessage(std::string_view m) override { messages.emplace_back(m); }
  void OnFramingError(const Status& e) override {
    EXPECT_EQ(e.code(), StatusCode::kInvalidArgument);
    errors.push_back(e.message());
  }
};

using Strings = std::vector<std::string>;

TEST(SyslogFramingTest, OctetCountingAndNewlinesMixed) {
  SyslogFramer f;
  Collect c;
  EXPECT_TRUE(f.Feed("5 <1>ab<2>line one\n\r\n10 <3>with\nnl<4>crlf\r\n", c));
  EXPECT_EQ(c.messages, (Strings{"<1>ab", "<2>line one", "<3>with\nnl", "<4>crlf"}));
  EXPECT_TRUE(c.errors.empty());
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(SyslogFramingTest, FramesSplitAcrossReadsAtEveryByte) {
  const std::string stream = "12 <1>octet one<2>lf two\n8 <3>three";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SyslogFramer f;
    Collect c;
    EXPECT_TRUE(f.Feed(stream.substr(0, cut), c));
    EXPECT_TRUE(f.Feed(stream.substr(cut), c));
    EXPECT_EQ(c.messages, (Strings{"<1>octet one", "<2>lf two", "<3>three"})) << cut;
  }
}

TEST(SyslogFramingTest, AnyChunkingGivesTheSameMessagesAndErrors) {
  // Octet-counted and LF frames, CRLF, empty lines, an over-long line that
  // is discarded, and a final unterminated line, cut into random chunks:
  // every chunking must give what one Feed of the whole stream gives.
  const std::string too_long(70, 'x');
  const std::string stream = "12 <1>octet one<2>lf two\n8 <3>three\r\n\n" + too_long +
                             "\n60 " + std::string(60, 'y') + "<5>crlf\r\n3 abc<6>tail";
  auto run = [&](const std::vector<size_t>& cuts, Collect& c) {
    SyslogFramer f(/*max_message_bytes=*/64);
    size_t at = 0;
    for (size_t cut : cuts) {
      EXPECT_TRUE(f.Feed(std::string_view(stream).substr(at, cut - at), c));
      at = cut;
    }
    EXPECT_TRUE(f.Feed(std::string_view(stream).substr(at), c));
    f.Finish(c);
  };
  Collect whole;
  run({}, whole);
  ASSERT_EQ(whole.messages.size(), 7u);
  ASSERT_EQ(whole.errors.size(), 1u);  // the 70-byte line is over the limit: discarded
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::vector<size_t> cuts;
    const size_t pieces = 1 + rng() % 12;
    for (size_t k = 0; k < pieces; ++k) cuts.push_back(rng() % (stream.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    Collect c;
    run(cuts, c);
    EXPECT_EQ(c.messages, whole.messages) << round;
    EXPECT_EQ(c.errors.size(), whole.errors.size()) << round;
  }
}

TEST(SyslogFramingTest, BadOctetCountKeepsEarlierFramesAndStops) {
  for (const std::string bad : {"12x <1>a", "0 <1>", "99999999999 <1>", "70000 <1>"}) {
    SyslogFramer f;
    Collect c;
    EXPECT_FALSE(f.Feed("4 <1>a<2>b\n" + bad + "\n<3>after\n", c)) << bad;
    EXPECT_EQ(c.messages, (Strings{"<1>a", "<2>b"}));
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_NE(c.errors[0].find("closing the connection"), std::string::npos);
    EXPECT_FALSE(f.Feed("<4>more\n", c));  // stays failed
    EXPECT_EQ(c.messages.size(), 2u);
  }
}

TEST(SyslogFramingTest, TenMegabyteLineIsDiscardedAndFramingResumes) {
  SyslogFramer f(64 << 10);
  Collect c;
  EXPECT_TRUE(f.Feed("<1>before\n<2>", c));
  const std::string chunk(1 << 20, 'x');
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(f.Feed(chunk, c));
  EXPECT_LE(f.buffered(), size_t{64 << 10});
  EXPECT_TRUE(f.Feed("tail\n<3>after\n", c));
  EXPECT_EQ(c.messages, (Strings{"<1>before", "<3>after"}));
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_NE(c.errors[0].find("longer than 65536 bytes"), std::string::npos);
}

TEST(SyslogFramingTest, LongLineInOneReadIsDiscarded) {
  SyslogFramer f(100);
  Collect c;
  EXPECT_TRUE(f.Feed("<1>ok\n<2>" + std::string(200, 'y') + "\n<3>ok too\n", c));
  EXPECT_EQ(c.messages, (Strings{"<1>ok", "<3>ok too"}));
  EXPECT_EQ(c.errors.size(), 1u);
}

TEST(SyslogFramingTest, FinishDeliversUnterminatedLineButNotPartialFrame) {
  SyslogFramer f;
  Collect c;
  EXPECT_TRUE(f.Feed("<1>no newline at the end", c));
  EXPECT_TRUE(c.messages.empty());
  f.Finish(c);
  EXPECT_EQ(c.messages, Strings{"<1>no newline at the end"});

  SyslogFramer g;
  Collect d;
  EXPECT_TRUE(g.Feed("20 <1>short", d));
  g.Finish(d);
  EXPECT_TRUE(d.messages.empty());
  EXPECT_EQ(d.errors.size(), 1u);
}

}  // namespace
}  // namespace kura::logs
