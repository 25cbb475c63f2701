#include "logs/archive/digest.h"

#include <gtest/gtest.h>

#include "logs/archive/archive_test_util.h"

namespace kura::logs {
namespace {

Digest SampleSegmentDigest() {
  Digest d;
  d.kind = DigestKind::kSegment;
  d.number = 3;
  d.created_ms = testing::kDay0 + 5;
  d.dt = "2026-01-01";
  d.segment = "data/dt=2026-01-01/seg-00000000000000000011-00000000000000000020.jsonl.zst";
  d.index = "index/dt=2026-01-01/seg-00000000000000000011-00000000000000000020.idx";
  d.first_seq = 11;
  d.last_seq = 20;
  d.record_count = 10;
  d.min_received_ms = testing::kDay0;
  d.max_received_ms = testing::kDay0 + 9000;
  d.chain_before = NextChainHash(kGenesisChainHash, "a");
  d.chain_last = NextChainHash(d.chain_before, "b");
  d.data_sha256 = Sha256Hex("data");
  d.data_bytes = 4;
  d.index_sha256 = Sha256Hex("index");
  d.index_bytes = 5;
  d.prev_digest = "digest/dt=2026-01-01/seg-00000000000000000001-00000000000000000010.json";
  d.prev_digest_sha256 = Sha256Hex("prev");
  d.prev_digest_signature = "c2ln";
  return d;
}

TEST(DigestTest, SignedSegmentDigestRoundTrips) {
  const crypto::Ed25519PrivateKey key = testing::NewKey();
  Digest d = SampleSegmentDigest();
  ASSERT_TRUE(SignDigest(key, &d).ok());
  EXPECT_EQ(d.key_id, DigestKeyId(key.PublicKey()));
  const std::string file = EncodeDigest(d);
  EXPECT_EQ(file.back(), '\n');
  Result<Digest> parsed = ParseDigest(file);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(EncodeDigest(*parsed), file);
  EXPECT_EQ(parsed->chain_last, d.chain_last);
  EXPECT_EQ(parsed->record_count, 10u);
  EXPECT_TRUE(VerifyDigestSignature(key.PublicKey(), *parsed).ok());
}

TEST(DigestTest, RetentionDigestRoundTrips) {
  const crypto::Ed25519PrivateKey key = testing::NewKey();
  Digest d;
  d.kind = DigestKind::kRetention;
  d.number = 9;
  d.dt = "2027-01-05";
  d.last_seq = 100;
  d.retention_days = 365;
  d.cutoff_ms = testing::kDay0;
  d.deleted.push_back({"data/dt=2025-12-01/seg-00000000000000000001-00000000000000000002.jsonl.zst",
                       1, 2, 2, testing::kDay0 - 1000, Sha256Hex("x"),
                       "digest/dt=2025-12-01/seg-00000000000000000001-00000000000000000002.json"});
  ASSERT_TRUE(SignDigest(key, &d).ok());
  Result<Digest> parsed = ParseDigest(EncodeDigest(d));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->kind, DigestKind::kRetention);
  EXPECT_EQ(parsed->deleted, d.deleted);
  EXPECT_TRUE(VerifyDigestSignature(key.PublicKey(), *parsed).ok());
}

TEST(DigestTest, AnyChangedFieldBreaksTheSignature) {
  const crypto::Ed25519PrivateKey key = testing::NewKey();
  Digest d = SampleSegmentDigest();
  ASSERT_TRUE(SignDigest(key, &d).ok());
  Digest changed = d;
  changed.record_count = 9;
  Status st = VerifyDigestSignature(key.PublicKey(), changed);
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  changed = d;
  changed.prev_digest_sha256 = Sha256Hex("other");
  EXPECT_EQ(VerifyDigestSignature(key.PublicKey(), changed).code(),
            StatusCode::kUnauthenticated);
}

TEST(DigestTest, AnotherKeyIsRefusedByKeyId) {
  const crypto::Ed25519PrivateKey key = testing::NewKey();
  const crypto::Ed25519PrivateKey other = testing::NewKey();
  Digest d = SampleSegmentDigest();
  ASSERT_TRUE(SignDigest(other, &d).ok());
  Status st = VerifyDigestSignature(key.PublicKey(), d);
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(st.message().find("another key"), std::string::npos);
  // Same key id, forged signature bytes.
  d.key_id = DigestKeyId(key.PublicKey());
  EXPECT_EQ(VerifyDigestSignature(key.PublicKey(), d).code(), StatusCode::kUnauthenticated);
}

TEST(DigestTest, NonCanonicalFilesAreRefused) {
  const crypto::Ed25519PrivateKey key = testing::NewKey();
  Digest d = SampleSegmentDigest();
  ASSERT_TRUE(SignDigest(key, &d).ok());
  const std::string file = EncodeDigest(d);
  // Whitespace, an extra field, a missing newline, reordered fields.
  std::string spaced = file;
  spaced.insert(1, " ");
  std::string extra = file;
  extra.insert(1, "\"x\":1,");
  std::string no_newline = file.substr(0, file.size() - 1);
  for (const std::string& bad : {spaced, extra, no_newline, std::string("{}"),
                                 std::string("not json"), std::string()}) {
    Result<Digest> p = ParseDigest(bad);
    EXPECT_EQ(p.status().code(), StatusCode::kDataLoss) << bad;
  }
}

}  // namespace
}  // namespace kura::logs
