// The fast syslog parser (SyslogParser, MayHoldPan) against the reference
// implementation it replaced: same records, byte for byte, on a generated
// corpus that covers the header forms, structured data (escapes, repeated
// names), JSON messages, PANs in every field, and bad input.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/pan/pan_scanner.h"
#include "logs/ingest/syslog_parser.h"
#include "logs/ingest/syslog_parser_reference_test_util.h"

namespace kura::logs {
namespace {

constexpr int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
const EventContext kCtx{kNow, "n1", "syslog"};

// A PAN (Luhn-valid test numbers) in one of its written forms.
std::string Pan(std::mt19937& rng) {
  static const char* const kPans[] = {"4111111111111111", "4111 1111 1111 1111",
                                      "4111-1111-1111-1111", "5555555555554444",
                                      "378282246310005", "6011111111111117"};
  return kPans[rng() % std::size(kPans)];
}

std::string Piece(std::mt19937& rng) {
  static const char* const kWords[] = {"alice", "card.reveal", "10.0.0.1:443", "2026", "12 34",
                                       "1-2-3", "tok_9f", "x=1", "\\\"", "\\]", "\\\\", "é",
                                       "   ", "0000 0000", "12345678901234567890"};
  if (rng() % 7 == 0) return Pan(rng);
  return kWords[rng() % std::size(kWords)];
}

std::string Text(std::mt19937& rng, int pieces) {
  std::string s;
  for (int i = 0; i < pieces; ++i) {
    if (i > 0) s += (rng() % 4 == 0) ? "-" : " ";
    s += Piece(rng);
  }
  return s;
}

std::string SdValue(std::mt19937& rng) {
  std::string v = Text(rng, 1 + static_cast<int>(rng() % 3));
  // Escape what RFC 5424 requires inside PARAM-VALUE.
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size() && (v[i + 1] == '"' || v[i + 1] == '\\' || v[i + 1] == ']')) {
      out += v.substr(i, 2);
      ++i;
    } else if (v[i] == '"' || v[i] == ']') {
      out += '\\';
      out += v[i];
    } else {
      out += v[i];
    }
  }
  return out;
}

std::string Message(std::mt19937& rng) {
  const int pri = static_cast<int>(rng() % 192);
  std::string m = "<" + std::to_string(pri) + ">";
  switch (rng() % 4) {
    case 0:
    case 1: {  // RFC 5424
      m += "1 ";
      m += rng() % 5 == 0 ? "-" : "2026-03-04T05:06:07.123+01:00";
      m += rng() % 6 == 0 ? " " + Pan(rng).substr(0, 16) : " host-" + std::to_string(rng() % 40);
      m += rng() % 5 == 0 ? " -" : " app";
      m += rng() % 3 == 0 ? " -" : " " + std::to_string(rng() % 100000);
      m += rng() % 3 == 0 ? " -" : " ID" + std::to_string(rng() % 100);
      if (rng() % 3 == 0) {
        m += " -";
      } else {
        m += " ";
        const int elements = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < elements; ++e) {
          m += "[" + std::string(rng() % 2 ? "audit@32473" : "origin");
          const int params = static_cast<int>(rng() % 4);
          for (int p = 0; p < params; ++p) {
            m += " " + std::string(rng() % 3 ? "k" : "principal") + "=\"" + SdValue(rng) + "\"";
          }
          m += "]";
        }
      }
      if (rng() % 4 != 0) {
        m += " ";
        if (rng() % 5 == 0) m += "\xEF\xBB\xBF";
        if (rng() % 5 == 0) {
          m += R"({"event":"card.reveal","principal":"bob","details":{"n":")" + Piece(rng) +
               R"("},"facility":"x"})";
        } else {
          m += Text(rng, 1 + static_cast<int>(rng() % 8));
        }
      }
      break;
    }
    case 2:  // RFC 3164
      m += "Oct 11 22:14:15 host" + std::to_string(rng() % 9) + " su[" + std::to_string(rng() % 999) +
           "]: " + Text(rng, 1 + static_cast<int>(rng() % 6));
      break;
    default:  // free-form, sometimes broken
      m += Text(rng, static_cast<int>(rng() % 6));
      if (rng() % 10 == 0) m += "\xC3";  // invalid UTF-8
      break;
  }
  return m;
}

TEST(SyslogParserFastTest, MatchesTheReferenceParserOnAGeneratedCorpus) {
  std::mt19937 rng(20261130);
  SyslogParser parser;
  LogRecord reused;  // one record reused across messages, like a connection does
  int ok = 0, errors = 0, redacted = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string m = Message(rng);
    Result<LogRecord> want = reference::ReferenceParse(m, kCtx);
    const Status got = parser.Parse(m, kCtx, &reused);
    ASSERT_EQ(got.ok(), want.ok()) << m;
    if (!want.ok()) {
      EXPECT_EQ(got.ToString(), want.status().ToString()) << m;
      ++errors;
      continue;
    }
    ++ok;
    if (want->pan_redacted > 0) ++redacted;
    ASSERT_EQ(EncodeRecord(reused), EncodeRecord(*want)) << m;
  }
  // The corpus exercised all three outcomes.
  EXPECT_GT(ok, 10000);
  EXPECT_GT(errors, 100);
  EXPECT_GT(redacted, 1000);
}

TEST(SyslogParserFastTest, MayHoldPanIsTrueWheneverAnyPartHoldsAPan) {
  // Every substring of every string: if the PAN scanner finds a match in a
  // part, MayHoldPan must be true for the whole (the parser's skip is safe).
  std::mt19937 rng(7);
  const std::string alphabet = "0123456789 -a\\\"]";
  int with_pan = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    const size_t len = 10 + rng() % 30;
    for (size_t k = 0; k < len; ++k) {
      // Mostly digits, so PAN-like runs are common.
      s += rng() % 3 ? static_cast<char>('0' + rng() % 10) : alphabet[rng() % alphabet.size()];
    }
    bool part_has_pan = false;
    for (size_t a = 0; a < s.size() && !part_has_pan; ++a) {
      for (size_t b = a + 1; b <= s.size() && !part_has_pan; ++b) {
        part_has_pan = pan::ContainsPan(std::string_view(s).substr(a, b - a));
      }
    }
    if (part_has_pan) {
      ++with_pan;
      EXPECT_TRUE(MayHoldPan(s)) << s;
    }
  }
  EXPECT_GT(with_pan, 100);
}

// MayHoldPan's contract spelled out byte by byte: a chain of digit groups
// joined by single ' ' or '-' with at least kMinPanDigits digits.
bool ReferenceMayHoldPan(std::string_view s) {
  auto digit = [&](size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
  for (size_t start = 0; start < s.size(); ++start) {
    if (!digit(start) || (start > 0 && digit(start - 1))) continue;
    size_t digits = 0;
    for (size_t i = start; i < s.size(); ++i) {
      if (digit(i)) {
        if (++digits >= pan::kMinPanDigits) return true;
      } else if ((s[i] == ' ' || s[i] == '-') && digit(i + 1)) {
        continue;  // the byte before is a digit (the loop only gets here after one)
      } else {
        break;
      }
    }
  }
  return false;
}

TEST(SyslogParserFastTest, MayHoldPanMatchesItsContract) {
  // Random text over the bytes that matter, at every length around the
  // 8-byte steps, plus the chain at every offset of a longer line.
  std::mt19937 rng(11);
  const std::string alphabet = "0123456789 -  --aT.:\xff";
  int positives = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string s;
    const size_t len = rng() % 48;
    const unsigned digit_share = 1 + rng() % 4;  // 1 in 2..5 bytes is not a digit
    for (size_t k = 0; k < len; ++k) {
      s += rng() % (digit_share + 1) ? static_cast<char>('0' + rng() % 10)
                                     : alphabet[rng() % alphabet.size()];
    }
    const bool want = ReferenceMayHoldPan(s);
    positives += want;
    ASSERT_EQ(MayHoldPan(s), want) << s;
  }
  EXPECT_GT(positives, 10000);
  const std::string line =
      "<165>1 2026-12-31T00:00:00.000Z app-14.issuer.example vault 30610 key.rotate "
      "[audit@32473 principal=\"u03628\"] from 10.193.153.220:59331 latency_ms=249276";
  for (const std::string chain : {"4111 1111 1111 1", "1234567890123", "12-34-56-78-90-12-3",
                                  "123456789012", "1 2 3 4 5 6 7 8 9 0 1 2"}) {
    for (size_t at = 0; at <= line.size(); ++at) {
      std::string s = line;
      s.insert(at, chain);
      ASSERT_EQ(MayHoldPan(s), ReferenceMayHoldPan(s)) << s;
    }
  }
}

TEST(SyslogParserFastTest, MayHoldPanCases) {
  EXPECT_FALSE(MayHoldPan(""));
  EXPECT_FALSE(MayHoldPan("<165>1 2026-12-31T00:00:00.000Z app-14.issuer.example vault 30610"));
  EXPECT_FALSE(MayHoldPan("123456789012"));           // 12 digits
  EXPECT_TRUE(MayHoldPan("1234567890123"));           // 13
  EXPECT_TRUE(MayHoldPan("x 1234 5678-9012 3 y"));    // a chain of 13
  EXPECT_FALSE(MayHoldPan("1234  5678 9012 3"));      // two spaces break the chain
  EXPECT_FALSE(MayHoldPan("123456 abcdefgh 1234567"));  // an 8-byte gap without digits
  EXPECT_TRUE(MayHoldPan("abcdefghijklmnop4111111111111111qrstuvwxyz"));
}

}  // namespace
}  // namespace kura::logs
