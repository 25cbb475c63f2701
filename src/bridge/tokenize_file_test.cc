#include "bridge/tokenize_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "bridge/test_util.h"
#include "core/pan/luhn.h"
#include "core/pan/pan_scanner.h"

namespace kura::bridge {
namespace {

// A fake vault: valid PANs become "tok_<n>".
class FakeTokenizer {
 public:
  CardTokenizer Fn() {
    return [this](std::string_view pan, int month, int) -> Result<TokenizedCard> {
      if (!pan::LuhnValid(pan) || pan.size() < 13 || pan.size() > 19) {
        return InvalidArgumentError("pan fails the Luhn check");
      }
      if (month < 1 || month > 12) return InvalidArgumentError("bad month");
      if (fail_storage) return UnavailableError("storage down");
      ++calls;
      return TokenizedCard{"tok_" + std::to_string(calls), pan::MaskPan(pan),
                           std::string(pan.substr(pan.size() - 4))};
    };
  }
  int calls = 0;
  bool fail_storage = false;
};

TokenizeOptions Options() {
  TokenizeOptions o;
  o.pan_column = "pan";
  o.exp_column = "exp";
  return o;
}

TEST(TokenizeFileTest, ReplacesPanColumnAndKeepsQuoting) {
  std::istringstream in(
      "id,pan,exp,note\r\n"
      "1,4111111111111111,12/30,\"hello, world\"\r\n"
      "2,5500000000000004,01/2031,\"multi\nline \"\"quoted\"\"\"\n"
      "3,4111111111111111,12/30,\"line\nbreak\"\n"
      "4,4111111111111111,12/30,\"carriage\rreturn\"\n"
      "5,4111111111111111,12/30,\"say \"\"hi\"\"\"\n");
  std::ostringstream out;
  FakeTokenizer fake;
  TokenizeOptions o = Options();
  o.add_masked = true;
  o.add_last4 = true;
  Result<TokenizeReport> r = TokenizeCsv(in, out, o, fake.Fn());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 5);
  EXPECT_EQ(r->tokenized, 5);
  // A field with a separator, a quote, a line break or a carriage return
  // (each on its own) is quoted again.
  EXPECT_EQ(out.str(),
            "id,pan,exp,note,pan_masked,pan_last4\n"
            "1,tok_1,12/30,\"hello, world\",411111******1111,1111\n"
            "2,tok_2,01/2031,\"multi\nline \"\"quoted\"\"\",550000******0004,0004\n"
            "3,tok_3,12/30,\"line\nbreak\",411111******1111,1111\n"
            "4,tok_4,12/30,\"carriage\rreturn\",411111******1111,1111\n"
            "5,tok_5,12/30,\"say \"\"hi\"\"\",411111******1111,1111\n");
  EXPECT_FALSE(pan::ContainsPan(out.str()));
}

// The input is read a chunk at a time: with chunks of 1 to 7 bytes every
// kind of boundary falls inside a record (a PAN, a quoted field, an escaped
// quote, a CRLF, a lone CR, a line break in quotes), and the output and the
// line numbers are the same as with one read.
TEST(TokenizeFileTest, RecordsSpanningReadsParseAlike) {
  const std::string input =
      "id,pan,exp,note\r\n"
      "1,4111111111111111,12/30,\"hello, world\"\r\n"
      "2,5500000000000004,01/2031,\"multi\nline \"\"quoted\"\"\"\n"
      "3,4111111111111112,12/30,plain\rcr\n"
      "\n"
      "4,4111111111111111,12/30,\"say \"\"hi\"\"\"\n"
      "5,5500000000000004,13/30,x\"y\n"
      "6,4111111111111111,12/30,last";
  const auto run = [&input](size_t chunk, std::string& output) {
    std::istringstream in(input);
    std::ostringstream out;
    FakeTokenizer fake;
    TokenizeOptions o = Options();
    o.read_chunk_bytes = chunk;
    Result<TokenizeReport> r = TokenizeCsv(in, out, o, fake.Fn());
    output = out.str();
    return r;
  };
  std::string whole;
  Result<TokenizeReport> expected = run(kTokenizeReadChunkBytes, whole);
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  EXPECT_EQ(expected->rows, 6);
  EXPECT_EQ(expected->invalid_lines, (std::vector<int64_t>{5, 8}));
  for (size_t chunk = 1; chunk <= 7; ++chunk) {
    std::string output;
    Result<TokenizeReport> r = run(chunk, output);
    ASSERT_TRUE(r.ok()) << chunk << ": " << r.status().ToString();
    EXPECT_EQ(output, whole) << chunk;
    EXPECT_EQ(r->rows, expected->rows) << chunk;
    EXPECT_EQ(r->invalid_lines, expected->invalid_lines) << chunk;
  }
  std::string unused;
  EXPECT_EQ(run(0, unused).status().code(), StatusCode::kInvalidArgument);
}

TEST(TokenizeFileTest, InvalidRowsAreReportedByLineAndNeverEchoed) {
  std::istringstream in(
      "pan,exp\n"
      "4111111111111111,12/30\n"
      "4111111111111112,12/30\n"   // Luhn fails
      "\"4111\n1111\",12/30\n"     // spans lines 4-5
      "5500000000000004,13/30\n"   // bad month
      "5500000000000004,soon\n");  // bad expiry
  std::ostringstream out;
  FakeTokenizer fake;
  Result<TokenizeReport> r = TokenizeCsv(in, out, Options(), fake.Fn());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->invalid, 4);
  EXPECT_EQ(r->invalid_lines, (std::vector<int64_t>{3, 4, 6, 7}));
  EXPECT_EQ(r->Summary(), "rows=5 tokenized=1 invalid=4 invalid_lines=[3,4,6,7]");
  EXPECT_EQ(out.str().find("4111111111111112"), std::string::npos);
  EXPECT_EQ(out.str().find("5500000000000004"), std::string::npos);
}

TEST(TokenizeFileTest, StructuralErrorsNameTheLineOnly) {
  FakeTokenizer fake;
  auto run = [&](const std::string& text) {
    std::istringstream in(text);
    std::ostringstream out;
    return TokenizeCsv(in, out, Options(), fake.Fn()).status();
  };
  EXPECT_EQ(run("").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run("card,exp\n").code(), StatusCode::kInvalidArgument);
  Status s = run("pan,exp\n4111111111111111,12/30,extra\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "line 2: wrong number of fields");
  EXPECT_EQ(run("pan,exp\n\"4111111111111111,12/30\n").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run("pan,exp\n" + std::string(kMaxCsvRecordBytes + 1, '1') + "\n").code(),
            StatusCode::kInvalidArgument);
}

// A stream buffer that serves `text` and then fails, as a file's buffer
// does on a read error (libstdc++'s filebuf throws std::ios_base::failure).
class FailingBuffer final : public std::streambuf {
 public:
  explicit FailingBuffer(std::string text) : text_(std::move(text)) {
    setg(text_.data(), text_.data(), text_.data() + text_.size());
  }

 protected:
  int_type underflow() override { throw std::ios_base::failure("read error"); }

 private:
  std::string text_;
};

TEST(TokenizeFileTest, ReadErrorsFailTheFileWithoutEchoingIt) {
  FakeTokenizer fake;
  // Mid-record: the row read so far holds a PAN.
  FailingBuffer buffer("pan,exp\n4111111111111111,12/30\n5555555555554444,1");
  std::istream in(&buffer);
  std::ostringstream out;
  Result<TokenizeReport> r = TokenizeCsv(in, out, Options(), fake.Fn());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_EQ(r.status().message(), "read failed");
  EXPECT_EQ(out.str().find("5555"), std::string::npos);
  EXPECT_EQ(out.str().find("4111"), std::string::npos);
  // Failing on the header's first byte is the same error, not "empty file".
  FailingBuffer empty("");
  std::istream in_empty(&empty);
  EXPECT_EQ(TokenizeCsv(in_empty, out, Options(), fake.Fn()).status().message(), "read failed");
}

TEST(TokenizeFileTest, StorageErrorsAbort) {
  FakeTokenizer fake;
  fake.fail_storage = true;
  std::istringstream in("pan,exp\n4111111111111111,12/30\n");
  std::ostringstream out;
  EXPECT_EQ(TokenizeCsv(in, out, Options(), fake.Fn()).status().code(), StatusCode::kUnavailable);
}

// A batch tokenizer recording each call's size; the same rules as
// FakeTokenizer, with the same PAN getting the same token (dedup).
class FakeBatchTokenizer {
 public:
  BatchCardTokenizer Fn() {
    return [this](const std::vector<CardToTokenize>& cards)
               -> Result<std::vector<Result<TokenizedCard>>> {
      batch_sizes.push_back(cards.size());
      if (fail_call_after >= 0 && static_cast<int>(batch_sizes.size()) > fail_call_after) {
        return UnavailableError("storage down");
      }
      std::vector<Result<TokenizedCard>> out;
      for (const CardToTokenize& c : cards) {
        if (!pan::LuhnValid(c.pan)) {
          out.push_back(InvalidArgumentError("pan fails the Luhn check"));
          continue;
        }
        auto [it, fresh] = tokens.emplace(std::string(c.pan), "tok_" + std::to_string(tokens.size()));
        TokenizedCard card{it->second, "masked", std::string(c.pan.substr(c.pan.size() - 4))};
        out.emplace_back(std::move(card));
      }
      return out;
    };
  }
  std::vector<size_t> batch_sizes;
  std::map<std::string, std::string> tokens;
  int fail_call_after = -1;
};

std::string CsvOfRows(int rows) {
  std::string csv = "id,pan,exp\n";
  for (int i = 1; i <= rows; ++i) {
    // Every 4th row repeats PAN 1; every 5th has a bad expiry; every 7th a
    // Luhn failure.
    std::string pan = i % 4 == 0 ? "4111111111111111" : "5555555555554444";
    if (i % 2 == 1) pan = i % 7 == 0 ? "4111111111111112" : "378282246310005";
    csv += std::to_string(i) + "," + pan + "," + (i % 5 == 0 ? "-" : "12/30") + "\n";
  }
  return csv;
}

TEST(TokenizeFileTest, BatchesKeepRowOrderLineNumbersAndDedup) {
  const std::string csv = CsvOfRows(23);
  // Reference: everything in one batch.
  FakeBatchTokenizer whole;
  TokenizeOptions big = Options();
  big.batch_rows = 1000;
  std::istringstream in1(csv);
  std::ostringstream out1;
  Result<TokenizeReport> r1 = TokenizeCsv(in1, out1, big, whole.Fn());
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(whole.batch_sizes, (std::vector<size_t>{19}));  // 23 rows, 4 bad expiries
  // Batches of 4 rows: the same output and report.
  FakeBatchTokenizer small;
  TokenizeOptions o = Options();
  o.batch_rows = 4;
  std::istringstream in2(csv);
  std::ostringstream out2;
  Result<TokenizeReport> r2 = TokenizeCsv(in2, out2, o, small.Fn());
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(out2.str(), out1.str());
  EXPECT_EQ(r2->Summary(), r1->Summary());
  EXPECT_EQ(r2->rows, 23);
  EXPECT_EQ(r2->invalid, 4 + 2);  // bad expiry (rows 5, 10, 15, 20), Luhn (7, 21)
  EXPECT_EQ(small.batch_sizes.size(), 6u);
  for (size_t n : small.batch_sizes) EXPECT_LE(n, 4u);
  // Rows 4 and 8 (same PAN, different batches) carry the same token.
  EXPECT_NE(out2.str().find("\n4,tok_"), std::string::npos);
  const std::string& text = out2.str();
  auto token_of = [&text](const std::string& id) {
    size_t at = text.find("\n" + id + ",") + id.size() + 2;
    return text.substr(at, text.find(',', at) - at);
  };
  EXPECT_EQ(token_of("4"), token_of("8"));
  EXPECT_EQ(token_of("4"), token_of("12"));
  EXPECT_EQ(token_of("2"), token_of("22"));
  EXPECT_NE(token_of("2"), token_of("4"));
  EXPECT_FALSE(pan::ContainsPan(text));
}

// Thread-safe, and its tokens depend only on the PAN, so output does not
// depend on which batch finished first.
class ConcurrentFakeTokenizer {
 public:
  BatchCardTokenizer Fn() {
    return [this](const std::vector<CardToTokenize>& cards)
               -> Result<std::vector<Result<TokenizedCard>>> {
      const int now = ++running;
      int seen = max_running.load();
      while (now > seen && !max_running.compare_exchange_weak(seen, now)) {
      }
      // Long enough for the next batch to be launched meanwhile.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::vector<Result<TokenizedCard>> out;
      for (const CardToTokenize& c : cards) {
        if (!pan::LuhnValid(c.pan)) {
          out.push_back(InvalidArgumentError("pan fails the Luhn check"));
        } else {
          const std::string last4(c.pan.substr(c.pan.size() - 4));
          TokenizedCard card{"tok_" + std::to_string(c.pan.size()) + "_" + last4, "masked", last4};
          out.emplace_back(std::move(card));
        }
      }
      ++calls;
      --running;
      return out;
    };
  }
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  std::atomic<int> calls{0};
};

// TokenizeCsv over an in-memory CSV: the report and the output text.
struct Tokenized {
  Result<TokenizeReport> report;
  std::string out;
};
Tokenized TokenizeText(const std::string& csv, const TokenizeOptions& options,
                       const BatchCardTokenizer& tokenizer) {
  std::istringstream in(csv);
  std::ostringstream out;
  Result<TokenizeReport> report = TokenizeCsv(in, out, options, tokenizer);
  return Tokenized{std::move(report), out.str()};
}

TEST(TokenizeFileTest, OverlappingBatchesWriteTheSameOutputInOrder) {
  const std::string csv = CsvOfRows(60);
  ConcurrentFakeTokenizer one_fake;
  TokenizeOptions one = Options();
  one.batch_rows = 5;
  const Tokenized sequential = TokenizeText(csv, one, one_fake.Fn());
  ASSERT_TRUE(sequential.report.ok()) << sequential.report.status().ToString();
  EXPECT_EQ(one_fake.max_running.load(), 1);  // calls never overlap by default

  ConcurrentFakeTokenizer fake;
  TokenizeOptions three = one;
  three.max_batches_in_flight = 3;
  const Tokenized overlapping = TokenizeText(csv, three, fake.Fn());
  ASSERT_TRUE(overlapping.report.ok()) << overlapping.report.status().ToString();
  EXPECT_EQ(overlapping.out, sequential.out);
  EXPECT_EQ(overlapping.report->Summary(), sequential.report->Summary());
  EXPECT_EQ(fake.calls.load(), 12);
  EXPECT_GE(fake.max_running.load(), 2);  // batches did overlap
  EXPECT_LE(fake.max_running.load(), 3);

  TokenizeOptions zero = Options();
  zero.max_batches_in_flight = 0;
  EXPECT_EQ(TokenizeText(csv, zero, fake.Fn()).report.status().code(),
            StatusCode::kInvalidArgument);
}

TEST(TokenizeFileTest, CheckBetweenBatchesStopsTheFile) {
  FakeBatchTokenizer fake;
  TokenizeOptions o = Options();
  o.batch_rows = 5;
  int checks = 0;
  o.check_continue = [&checks]() -> Status {
    return ++checks > 2 ? DeadlineExceededError("timed out") : OkStatus();
  };
  std::istringstream in(CsvOfRows(40));
  std::ostringstream out;
  EXPECT_EQ(TokenizeCsv(in, out, o, fake.Fn()).status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(fake.batch_sizes.size(), 2u);  // no batch after the check failed
  // The file form removes its partial output.
  testing::TempDir dir;
  std::ofstream(dir.Sub("in.csv")) << CsvOfRows(40);
  checks = 0;
  EXPECT_EQ(TokenizeCsvFile(dir.Sub("in.csv"), dir.Sub("out.csv"), o, fake.Fn()).status().code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(std::ifstream(dir.Sub("out.csv")).good());
}

TEST(TokenizeFileTest, BatchStorageErrorAbortsWithoutWritingThatBatch) {
  FakeBatchTokenizer fake;
  fake.fail_call_after = 1;
  TokenizeOptions o = Options();
  o.batch_rows = 3;
  std::istringstream in(CsvOfRows(9));
  std::ostringstream out;
  EXPECT_EQ(TokenizeCsv(in, out, o, fake.Fn()).status().code(), StatusCode::kUnavailable);
  // Header and the first batch only.
  const std::string written = out.str();
  EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 1 + 3);
  TokenizeOptions zero = Options();
  zero.batch_rows = 0;
  std::istringstream in2("id,pan,exp\n");
  std::ostringstream out2;
  EXPECT_EQ(TokenizeCsv(in2, out2, zero, fake.Fn()).status().code(), StatusCode::kInvalidArgument);
}

// A batch tokenizer must answer for every card: one that answers for fewer
// fails the file at the first row left without a token (by line), and a
// row with a bad expiry (no card) is still only an invalid row.
TEST(TokenizeFileTest, ATokenizerAnsweringForTooFewCardsFailsTheFile) {
  const BatchCardTokenizer short_answer = [](const std::vector<CardToTokenize>& cards)
      -> Result<std::vector<Result<TokenizedCard>>> {
    std::vector<Result<TokenizedCard>> out;
    out.emplace_back(TokenizedCard{"tok_1", "masked", "1111"});
    EXPECT_EQ(cards.size(), 2u);
    return out;
  };
  std::istringstream in("pan,exp\n4111111111111111,12/30\n4000000000000002,bad\n"
                        "5555555555554444,12/30\n");
  std::ostringstream out;
  const Result<TokenizeReport> r = TokenizeCsv(in, out, Options(), short_answer);
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("line 4"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find("5555"), std::string::npos);
}

// A batch whose rows come to more than the write chunk (1 MiB) is written
// whole and in order, across several stream writes.
TEST(TokenizeFileTest, ABatchLargerThanAWriteChunkIsWrittenWhole) {
  const std::string note(700, 'x');
  std::string csv = "id,pan,exp,note\n";
  std::string expected = "id,pan,exp,note\n";
  for (int i = 1; i <= 4000; ++i) {
    csv += std::to_string(i) + ",4111111111111111,12/30," + note + "\n";
    expected += std::to_string(i) + ",tok_" + std::to_string(i) + ",12/30," + note + "\n";
  }
  std::istringstream in(csv);
  std::ostringstream out;
  FakeTokenizer fake;
  const Result<TokenizeReport> r = TokenizeCsv(in, out, Options(), fake.Fn());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->tokenized, 4000);
  EXPECT_GT(expected.size(), size_t{2} << 20);
  EXPECT_EQ(out.str(), expected);
}

}  // namespace
}  // namespace kura::bridge
