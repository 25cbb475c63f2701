#include "logs/segment/segment_reader.h"

#include <algorithm>

#include <gtest/gtest.h>
#include <zstd.h>

#include "logs/segment/segment_builder.h"
#include "logs/segment/segment_index.h"
#include "logs/segment/segment_test_util.h"

namespace kura::logs {
namespace {

using testing::kTestEpochMs;
using testing::MakeChainedRecords;

std::string Frame(std::string_view raw, bool with_size = true) {
  if (!with_size) {
    // No content size field (compressing in one ZSTD_e_end call would
    // otherwise write one).
    ZSTD_CCtx* c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
    std::string out(ZSTD_compressBound(raw.size()) + 64, '\0');
    ZSTD_inBuffer in{raw.data(), raw.size(), 0};
    ZSTD_outBuffer o{out.data(), out.size(), 0};
    size_t r = ZSTD_compressStream2(c, &o, &in, ZSTD_e_end);
    EXPECT_EQ(r, 0u);
    ZSTD_freeCCtx(c);
    out.resize(o.pos);
    return out;
  }
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 3);
  out.resize(n);
  return out;
}

std::string BuildData(size_t n, size_t block_bytes) {
  SegmentBuilder builder(SegmentOptions{.block_bytes = block_bytes, .zstd_level = 3});
  for (const auto& r : MakeChainedRecords(1, n, kTestEpochMs)) EXPECT_TRUE(builder.Add(r).ok());
  auto seg = builder.Finish();
  EXPECT_TRUE(seg.ok());
  return seg->data;
}

TEST(SegmentReaderTest, IteratesEveryRecordAcrossFrames) {
  const std::string data = BuildData(300, 2048);
  SegmentReader reader(data);
  std::string_view rec;
  uint64_t n = 0;
  while (true) {
    auto more = reader.Next(&rec);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    ++n;
    EXPECT_NE(rec.find("\"seq\":" + std::to_string(n) + ","), std::string_view::npos);
  }
  EXPECT_EQ(n, 300u);
  EXPECT_GT(reader.frames(), 5u);
}

TEST(SegmentReaderTest, EmptyObjectHasNoRecords) {
  auto all = ReadAllRecords("");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST(SegmentReaderTest, JoinsARecordSplitAcrossFramesAndReadsFramesWithoutSize) {
  const std::string data = Frame("{\"a\":1}\n{\"b\"") + Frame(":2}\n{\"c\":3}\n", false);
  auto all = ReadAllRecords(data);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"}));
}

TEST(SegmentReaderTest, AFlippedByteIsDataLossNamingTheFrame) {
  std::string data = BuildData(300, 2048);
  data[data.size() / 2] ^= 0x01;
  auto all = ReadAllRecords(data);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(all.status().message().find("at byte "), std::string::npos);
}

TEST(SegmentReaderTest, TruncationIsDataLoss) {
  const std::string data = BuildData(300, 2048);
  for (size_t cut : {data.size() - 1, data.size() - 7, data.size() / 2, size_t{3}}) {
    auto all = ReadAllRecords(std::string_view(data).substr(0, cut));
    ASSERT_FALSE(all.ok()) << cut;
    EXPECT_EQ(all.status().code(), StatusCode::kDataLoss) << cut;
  }
}

TEST(SegmentReaderTest, MissingFinalNewlineAndEmptyLinesAreDataLoss) {
  auto a = ReadAllRecords(Frame("{\"a\":1}\n{\"b\":2}"));
  EXPECT_EQ(a.status().code(), StatusCode::kDataLoss);
  auto b = ReadAllRecords(Frame("{\"a\":1}\n\n{\"b\":2}\n"));
  EXPECT_EQ(b.status().code(), StatusCode::kDataLoss);
  auto c = ReadAllRecords("garbage that is not zstd");
  EXPECT_EQ(c.status().code(), StatusCode::kDataLoss);
}

TEST(SegmentReaderTest, DecompressBlockWantsExactlyOneFrame) {
  const std::string f = Frame("{\"a\":1}\n");
  std::string raw;
  ASSERT_TRUE(DecompressBlock(f, &raw).ok());
  EXPECT_EQ(raw, "{\"a\":1}\n");
  EXPECT_EQ(DecompressBlock(f + f, &raw).code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecompressBlock(std::string_view(f).substr(0, f.size() - 1), &raw).code(),
            StatusCode::kDataLoss);
}

// One frame with its content size and a content checksum, as SegmentBuilder
// writes blocks.
std::string ChecksummedFrame(std::string_view raw) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  const size_t n = ZSTD_compress2(c, out.data(), out.size(), raw.data(), raw.size());
  ZSTD_freeCCtx(c);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// Lines of poorly compressible text: a frame of many kPrefixStepInputBytes.
std::string ManyLines(size_t n) {
  std::string text;
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    text += "{\"n\":" + std::to_string(i) + ",\"x\":\"" + std::to_string(x) + "\"}\n";
  }
  return text;
}

TEST(SegmentReaderTest, DecompressPrefixGivesGrowingPrefixesAndCanStop) {
  const std::string text = ManyLines(40'000);
  const std::string f = ChecksummedFrame(text);
  ASSERT_GT(f.size(), 4 * kPrefixStepInputBytes);
  BlockDecompressor d;
  std::string raw;
  std::vector<size_t> sizes;
  auto whole = d.DecompressPrefix(f, BlockFrameHash(f), &raw, [&](std::string_view ready) {
    EXPECT_EQ(ready, std::string_view(text).substr(0, ready.size()));
    sizes.push_back(ready.size());
    return false;
  });
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_TRUE(*whole);
  EXPECT_EQ(raw, text);
  ASSERT_GT(sizes.size(), 3u);
  EXPECT_TRUE(std::is_sorted(sizes.begin(), sizes.end()));
  EXPECT_EQ(std::adjacent_find(sizes.begin(), sizes.end()), sizes.end());  // strictly growing
  EXPECT_EQ(sizes.back(), text.size());

  // Stopped after the second step: a prefix, and the context is reusable.
  int calls = 0;
  auto stopped =
      d.DecompressPrefix(f, BlockFrameHash(f), &raw, [&](std::string_view) { return ++calls == 2; });
  ASSERT_TRUE(stopped.ok());
  EXPECT_FALSE(*stopped);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(raw.size(), sizes[1]);
  EXPECT_EQ(raw, text.substr(0, raw.size()));
  ASSERT_TRUE(d.Decompress(f, &raw).ok());
  EXPECT_EQ(raw, text);
  // Also for a frame without a content size, which Decompress streams (a
  // stable-output-buffer setting left behind would break that path).
  ASSERT_TRUE(d.DecompressPrefix(f, BlockFrameHash(f), &raw, [](std::string_view) {
                 return true;
               }).ok());
  const std::string unsized = Frame(text, /*with_size=*/false);
  ASSERT_EQ(ZSTD_getFrameContentSize(unsized.data(), unsized.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  ASSERT_TRUE(d.Decompress(unsized, &raw).ok());
  EXPECT_EQ(raw, text);
}

// A frame damaged anywhere (also past where a caller would stop) is refused
// by its frame hash before anything is decoded; the zstd checks still apply
// to what is decoded.
TEST(SegmentReaderTest, DecompressPrefixRefusesADamagedFrameBeforeDecoding) {
  const std::string text = ManyLines(40'000);
  const std::string f = ChecksummedFrame(text);
  const uint64_t hash = BlockFrameHash(f);
  BlockDecompressor d;
  std::string raw = "left over";
  int calls = 0;
  auto count = [&](std::string_view) {
    ++calls;
    return true;  // would stop at the first step
  };
  for (size_t at : {size_t{20}, f.size() / 2, f.size() - 2}) {
    std::string bad = f;
    bad[at] ^= 0x40;
    auto r = d.DecompressPrefix(bad, hash, &raw, count);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(r.status().message().find("frame checksum mismatch"), std::string::npos);
    EXPECT_TRUE(raw.empty());
  }
  EXPECT_EQ(calls, 0);
  // Trailing bytes, a cut frame, not zstd at all: refused by the hash too.
  for (const std::string& bad : {f + "x", f.substr(0, f.size() - 1), std::string("not zstd")}) {
    EXPECT_EQ(d.DecompressPrefix(bad, hash, &raw, count).status().code(), StatusCode::kDataLoss);
  }
  // A frame whose hash matches but whose content checksum does not (the
  // index describing a damaged frame) is caught when decoded to its end.
  std::string bad = f;
  bad[bad.size() - 2] ^= 0x40;
  auto r = d.DecompressPrefix(bad, BlockFrameHash(bad), &raw, [](std::string_view) {
    return false;
  });
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(raw.empty());
  EXPECT_EQ(calls, 0);
}

TEST(SegmentReaderTest, ForEachRecordInBlockChecksFraming) {
  std::vector<std::string> got;
  auto collect = [&](std::string_view r) {
    got.emplace_back(r);
    return OkStatus();
  };
  ASSERT_TRUE(ForEachRecordInBlock("a\nb\n", collect).ok());
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ForEachRecordInBlock("a\nb", collect).code(), StatusCode::kDataLoss);
  EXPECT_EQ(ForEachRecordInBlock("a\n\n", collect).code(), StatusCode::kDataLoss);
  EXPECT_EQ(ForEachRecordInBlock("a\n", [](std::string_view) { return CancelledError("stop"); })
                .code(),
            StatusCode::kCancelled);
}

}  // namespace
}  // namespace kura::logs
