#include "logs/archive/digest.h"

#include <boost/json.hpp>

#include "core/crypto/encoding.h"
#include "core/crypto/hash.h"
#include "logs/record/log_record.h"
#include "logs/record/timestamp.h"

namespace kura::logs {
namespace {

namespace json = boost::json;

constexpr std::string_view kKindSegment = "segment";
constexpr std::string_view kKindRetention = "retention";

void Key(std::string_view k, std::string* out) {
  out->push_back(',');
  AppendJsonString(k, out);
  out->push_back(':');
}
void Str(std::string_view k, std::string_view v, std::string* out) {
  Key(k, out);
  AppendJsonString(v, out);
}
void Num(std::string_view k, uint64_t v, std::string* out) {
  Key(k, out);
  *out += std::to_string(v);
}
void SNum(std::string_view k, int64_t v, std::string* out) {
  Key(k, out);
  *out += std::to_string(v);
}
void Time(std::string_view k, int64_t ms, std::string* out) { Str(k, FormatTimestamp(ms), out); }
void Hash(std::string_view k, const ChainHash& h, std::string* out) {
  Str(k, ChainHashHex(h), out);
}

// Field readers for ParseDigest: false on a missing field or a wrong type.
struct Reader {
  const json::object& o;

  const json::value* Find(std::string_view k) const { return o.if_contains(k); }
  bool Str(std::string_view k, std::string* out) const {
    const json::value* v = Find(k);
    if (v == nullptr || !v->is_string()) return false;
    *out = std::string(v->get_string());
    return true;
  }
  bool U64(std::string_view k, uint64_t* out) const {
    const json::value* v = Find(k);
    if (v == nullptr) return false;
    if (v->is_uint64()) {
      *out = v->get_uint64();
      return true;
    }
    if (v->is_int64() && v->get_int64() >= 0) {
      *out = static_cast<uint64_t>(v->get_int64());
      return true;
    }
    return false;
  }
  bool I64(std::string_view k, int64_t* out) const {
    const json::value* v = Find(k);
    if (v == nullptr || !v->is_int64()) return false;
    *out = v->get_int64();
    return true;
  }
  bool Time(std::string_view k, int64_t* out) const {
    std::string s;
    if (!Str(k, &s)) return false;
    Result<int64_t> t = ParseTimestamp(s);
    if (!t.ok()) return false;
    *out = *t;
    return true;
  }
  bool Hash(std::string_view k, ChainHash* out) const {
    std::string s;
    if (!Str(k, &s)) return false;
    Result<ChainHash> h = ChainHashFromHex(s);
    if (!h.ok()) return false;
    *out = *h;
    return true;
  }
};

Status Malformed(std::string_view what) {
  return DataLossError("digest is malformed: " + std::string(what));
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  const crypto::Digest256 d = crypto::Sha256(bytes);
  return crypto::HexEncode(std::span<const uint8_t>(d.data(), d.size()));
}

std::string DigestKeyId(const crypto::Ed25519PublicKey& key) {
  return Sha256Hex(key.Raw()).substr(0, 32);
}

std::string CanonicalDigestBytes(const Digest& d) {
  std::string out = "{\"version\":" + std::to_string(kDigestVersion);
  const bool segment = d.kind == DigestKind::kSegment;
  Str("kind", segment ? kKindSegment : kKindRetention, &out);
  Num("number", d.number, &out);
  Time("created", d.created_ms, &out);
  Str("key_id", d.key_id, &out);
  Str("dt", d.dt, &out);
  if (segment) {
    Str("segment", d.segment, &out);
    Str("index", d.index, &out);
    Num("first_seq", d.first_seq, &out);
    Num("last_seq", d.last_seq, &out);
    Num("record_count", d.record_count, &out);
    Time("min_received", d.min_received_ms, &out);
    Time("max_received", d.max_received_ms, &out);
    Hash("chain_before", d.chain_before, &out);
    Hash("chain_last", d.chain_last, &out);
    Str("data_sha256", d.data_sha256, &out);
    Num("data_bytes", d.data_bytes, &out);
    Str("index_sha256", d.index_sha256, &out);
    Num("index_bytes", d.index_bytes, &out);
  } else {
    SNum("retention_days", d.retention_days, &out);
    Time("cutoff", d.cutoff_ms, &out);
    Num("last_seq", d.last_seq, &out);
    Hash("chain_last", d.chain_last, &out);
    Time("max_received", d.max_received_ms, &out);
    Key("deleted", &out);
    out.push_back('[');
    for (size_t i = 0; i < d.deleted.size(); ++i) {
      const DeletedSegment& s = d.deleted[i];
      if (i > 0) out.push_back(',');
      out += "{\"segment\":";
      AppendJsonString(s.segment, &out);
      Num("first_seq", s.first_seq, &out);
      Num("last_seq", s.last_seq, &out);
      Num("record_count", s.record_count, &out);
      Time("max_received", s.max_received_ms, &out);
      Str("data_sha256", s.data_sha256, &out);
      Str("digest", s.digest, &out);
      out.push_back('}');
    }
    out.push_back(']');
  }
  Str("prev_digest", d.prev_digest, &out);
  Str("prev_digest_sha256", d.prev_digest_sha256, &out);
  Str("prev_digest_signature", d.prev_digest_signature, &out);
  out.push_back('}');
  return out;
}

std::string EncodeDigest(const Digest& d) {
  std::string out = CanonicalDigestBytes(d);
  out.pop_back();  // '}'
  Str("signature", d.signature, &out);
  out += "}\n";
  return out;
}

Result<Digest> ParseDigest(std::string_view file) {
  if (file.size() > kMaxDigestBytes) return Malformed("larger than the digest size limit");
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(file.data(), file.size()), ec);
  if (ec || !v.is_object()) return Malformed("not a JSON object");
  const Reader r{v.get_object()};
  Digest d;
  std::string kind;
  uint64_t version = 0;
  if (!r.U64("version", &version) || version != kDigestVersion) {
    return Malformed("unsupported version");
  }
  if (!r.Str("kind", &kind)) return Malformed("no kind");
  bool ok = r.U64("number", &d.number) && r.Time("created", &d.created_ms) &&
            r.Str("key_id", &d.key_id) && r.Str("dt", &d.dt) &&
            r.U64("last_seq", &d.last_seq) && r.Hash("chain_last", &d.chain_last) &&
            r.Time("max_received", &d.max_received_ms) &&
            r.Str("prev_digest", &d.prev_digest) &&
            r.Str("prev_digest_sha256", &d.prev_digest_sha256) &&
            r.Str("prev_digest_signature", &d.prev_digest_signature) &&
            r.Str("signature", &d.signature);
  if (kind == kKindSegment) {
    d.kind = DigestKind::kSegment;
    ok = ok && r.Str("segment", &d.segment) && r.Str("index", &d.index) &&
         r.U64("first_seq", &d.first_seq) && r.U64("record_count", &d.record_count) &&
         r.Time("min_received", &d.min_received_ms) &&
         r.Hash("chain_before", &d.chain_before) && r.Str("data_sha256", &d.data_sha256) &&
         r.U64("data_bytes", &d.data_bytes) && r.Str("index_sha256", &d.index_sha256) &&
         r.U64("index_bytes", &d.index_bytes);
  } else if (kind == kKindRetention) {
    d.kind = DigestKind::kRetention;
    ok = ok && r.I64("retention_days", &d.retention_days) && r.Time("cutoff", &d.cutoff_ms);
    const json::value* del = r.Find("deleted");
    if (ok && (del == nullptr || !del->is_array())) ok = false;
    if (ok) {
      for (const json::value& e : del->get_array()) {
        if (!e.is_object()) return Malformed("a deleted entry is not an object");
        const Reader er{e.get_object()};
        DeletedSegment s;
        if (!er.Str("segment", &s.segment) || !er.U64("first_seq", &s.first_seq) ||
            !er.U64("last_seq", &s.last_seq) || !er.U64("record_count", &s.record_count) ||
            !er.Time("max_received", &s.max_received_ms) ||
            !er.Str("data_sha256", &s.data_sha256) || !er.Str("digest", &s.digest)) {
          return Malformed("a deleted entry misses a field");
        }
        d.deleted.push_back(std::move(s));
      }
    }
  } else {
    return Malformed("unknown kind");
  }
  if (!ok) return Malformed("a field is missing or has the wrong type");
  // Re-encoding must give the same bytes: this refuses extra fields, other
  // field orders, whitespace and non-canonical numbers or times, so the
  // file is exactly what was signed.
  if (EncodeDigest(d) != file) return Malformed("not in canonical form (edited)");
  return d;
}

Status SignDigest(const crypto::Ed25519PrivateKey& key, Digest* d) {
  d->key_id = DigestKeyId(key.PublicKey());
  ASSIGN_OR_RETURN(std::string sig, key.Sign(CanonicalDigestBytes(*d)));
  d->signature = crypto::Base64Encode(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(sig.data()), sig.size()));
  return OkStatus();
}

Status VerifyDigestSignature(const crypto::Ed25519PublicKey& key, const Digest& d) {
  if (d.key_id != DigestKeyId(key)) {
    return UnauthenticatedError("digest is signed by another key (key id " + d.key_id + ")");
  }
  Result<std::string> sig = crypto::Base64Decode(d.signature);
  if (!sig.ok() || sig->size() != crypto::kEd25519SignatureSize) {
    return UnauthenticatedError("digest signature is malformed");
  }
  Status st = key.Verify(CanonicalDigestBytes(d), *sig);
  if (!st.ok()) return UnauthenticatedError("digest signature does not verify");
  return OkStatus();
}

}  // namespace kura::logs
