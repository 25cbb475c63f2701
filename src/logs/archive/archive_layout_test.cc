#include "logs/archive/archive_layout.h"

#include <gtest/gtest.h>

namespace kura::logs {
namespace {

TEST(ArchiveLayoutTest, KeysArePaddedAndPartitioned) {
  EXPECT_EQ(DataKey("2026-01-01", 1, 42),
            "data/dt=2026-01-01/seg-00000000000000000001-00000000000000000042.jsonl.zst");
  EXPECT_EQ(IndexKey("2026-01-01", 1, 42),
            "index/dt=2026-01-01/seg-00000000000000000001-00000000000000000042.idx");
  EXPECT_EQ(SegmentDigestKey("2026-01-01", 1, 42),
            "digest/dt=2026-01-01/seg-00000000000000000001-00000000000000000042.json");
  EXPECT_EQ(RetentionDigestKey("2026-01-01", 42, 7),
            "digest/dt=2026-01-01/ret-00000000000000000042-00000000000000000007.json");
}

TEST(ArchiveLayoutTest, ParsesEveryKind) {
  Result<ArchiveKey> d = ParseArchiveKey(DataKey("2026-02-03", 5, 9));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->kind, ObjectKind::kData);
  EXPECT_EQ(d->dt, "2026-02-03");
  EXPECT_EQ(d->first_seq, 5u);
  EXPECT_EQ(d->last_seq, 9u);
  EXPECT_EQ(ParseArchiveKey(IndexKey("2026-02-03", 5, 9))->kind, ObjectKind::kIndex);
  EXPECT_EQ(ParseArchiveKey(SegmentDigestKey("2026-02-03", 5, 9))->kind,
            ObjectKind::kSegmentDigest);
  Result<ArchiveKey> r = ParseArchiveKey(RetentionDigestKey("2026-02-03", 9, 4));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, ObjectKind::kRetentionDigest);
  EXPECT_EQ(r->last_seq, 9u);
  EXPECT_EQ(r->number, 4u);
}

TEST(ArchiveLayoutTest, ChainOrderPutsRetentionAfterItsSegment) {
  const ArchiveKey seg = *ParseArchiveKey(SegmentDigestKey("2026-02-03", 5, 9));
  const ArchiveKey ret = *ParseArchiveKey(RetentionDigestKey("2026-02-03", 9, 4));
  const ArchiveKey next = *ParseArchiveKey(SegmentDigestKey("2026-02-03", 10, 10));
  EXPECT_LT(seg.ChainOrder(), ret.ChainOrder());
  EXPECT_LT(ret.ChainOrder(), next.ChainOrder());
}

TEST(ArchiveLayoutTest, RejectsForeignKeys) {
  for (const char* key : {
           "data/dt=2026-01-01/other.jsonl.zst",
           "data/dt=2026-13-01/seg-00000000000000000001-00000000000000000002.jsonl.zst",
           "data/dt=2026-1-01/seg-00000000000000000001-00000000000000000002.jsonl.zst",
           "data/seg-00000000000000000001-00000000000000000002.jsonl.zst",
           "data/dt=2026-01-01/seg-00000000000000000003-00000000000000000002.jsonl.zst",
           "data/dt=2026-01-01/seg-00000000000000000000-00000000000000000002.jsonl.zst",
           "data/dt=2026-01-01/seg-00000000000000000001-00000000000000000002.json",
           "data/dt=2026-01-01/ret-00000000000000000001-00000000000000000002.jsonl.zst",
           "digest/dt=2026-01-01/ret-00000000000000000001-00000000000000000000.json",
           "misc/dt=2026-01-01/seg-00000000000000000001-00000000000000000002.json",
       }) {
    Result<ArchiveKey> k = ParseArchiveKey(key);
    EXPECT_FALSE(k.ok()) << key;
    EXPECT_EQ(k.status().code(), StatusCode::kInvalidArgument) << key;
  }
}

TEST(ArchiveLayoutTest, ValidDtIsCanonical) {
  EXPECT_TRUE(IsValidDt("2026-02-28"));
  EXPECT_FALSE(IsValidDt("2026-02-30"));
  EXPECT_FALSE(IsValidDt("2026-2-28"));
  EXPECT_FALSE(IsValidDt(""));
}

}  // namespace
}  // namespace kura::logs
