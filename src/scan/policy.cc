#include "scan/policy.h"

#include "core/config/config.h"
#include "core/crypto/encoding.h"
#include "core/crypto/hash.h"

namespace kura::scan {
namespace {

Status ParseAllow(const ConfigTable& t, const std::string& entry, Expectation& e) {
  size_t slash = entry.find('/');
  std::string proto = entry.substr(0, slash == std::string::npos ? 0 : slash);
  if (slash == std::string::npos || (proto != "tcp" && proto != "udp")) {
    return t.Error("allow", "entries must look like \"tcp/443\" or \"udp/53\"");
  }
  Result<PortSet> ports = PortSet::Parse(std::string_view(entry).substr(slash + 1));
  if (!ports.ok()) return t.Error("allow", ports.status().message());
  PortSet& target = proto == "tcp" ? e.allow_tcp : e.allow_udp;
  for (uint16_t p : ports->ToVector()) target.Add(p);
  e.allow_text.push_back(entry);
  return OkStatus();
}

Result<Segment> ParseSegment(const ConfigTable& segs, const std::string& name) {
  ASSIGN_OR_RETURN(ConfigTable t, segs.Table(name));
  Segment s;
  s.name = name;
  ASSIGN_OR_RETURN(std::vector<std::string> cidrs, t.StringArray("cidrs"));
  if (cidrs.empty()) return t.Error("cidrs", "a segment needs at least one CIDR");
  if (cidrs.size() > kMaxCidrsPerSegment) return t.Error("cidrs", "too many CIDRs");
  for (const std::string& c : cidrs) {
    Result<Cidr> cidr = Cidr::Parse(c);
    if (!cidr.ok()) return t.Error("cidrs", cidr.status().message());
    s.cidrs.push_back(*cidr);
  }
  ASSIGN_OR_RETURN(std::vector<std::string> hosts, t.StringArrayOr("hosts", {}));
  if (hosts.size() > kMaxHostsPerSegment) return t.Error("hosts", "too many hosts");
  for (const std::string& h : hosts) {
    Result<Ipv4> a = ParseIpv4(h);
    if (!a.ok()) return t.Error("hosts", a.status().message());
    if (!s.Contains(*a)) return t.Error("hosts", "host is outside the segment's CIDRs");
    s.hosts.push_back(*a);
  }
  return s;
}

}  // namespace

bool Segment::Contains(Ipv4 a) const {
  for (const Cidr& c : cidrs) {
    if (c.Contains(a)) return true;
  }
  return false;
}

std::string Expectation::Describe() const {
  std::string out = from + " -> " + to + ": ";
  if (allow_text.empty()) return out + "deny all";
  out += "allow ";
  for (size_t i = 0; i < allow_text.size(); ++i) out += (i ? ", " : "") + allow_text[i];
  return out + "; deny all else";
}

const Segment* Policy::FindSegment(std::string_view n) const {
  for (const Segment& s : segments) {
    if (s.name == n) return &s;
  }
  return nullptr;
}

const Segment* Policy::SegmentOf(Ipv4 a) const {
  for (const Segment& s : segments) {
    if (s.Contains(a)) return &s;
  }
  return nullptr;
}

Result<Policy> ParsePolicy(std::string_view text, std::string source_name) {
  ASSIGN_OR_RETURN(ConfigDocument doc, ConfigDocument::Parse(text, std::move(source_name)));
  Policy p;
  p.sha256_hex = crypto::HexEncode(crypto::Sha256(text));
  ASSIGN_OR_RETURN(std::optional<ConfigTable> meta, doc.Root().OptionalTable("policy"));
  if (meta) {
    ASSIGN_OR_RETURN(p.name, meta->StringOr("name", ""));
  }
  ASSIGN_OR_RETURN(ConfigTable segs, doc.Root().Table("segments"));
  std::vector<std::string> names = segs.Keys();
  if (names.empty()) return segs.Error("", "the policy needs at least one segment");
  if (names.size() > kMaxSegments) return segs.Error("", "too many segments");
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(Segment s, ParseSegment(segs, name));
    for (const Segment& other : p.segments) {
      for (const Cidr& a : s.cidrs) {
        for (const Cidr& b : other.cidrs) {
          if (a.Overlaps(b)) {
            ASSIGN_OR_RETURN(ConfigTable t, segs.Table(name));
            return t.Error("cidrs", "overlaps segment '" + other.name + "'");
          }
        }
      }
    }
    p.segments.push_back(std::move(s));
  }
  ASSIGN_OR_RETURN(std::vector<ConfigTable> expects, doc.Root().TableArray("expect"));
  if (expects.empty()) return doc.Root().Error("expect", "the policy needs at least one [[expect]]");
  if (expects.size() > kMaxExpectations) return doc.Root().Error("expect", "too many expectations");
  for (const ConfigTable& t : expects) {
    Expectation e;
    ASSIGN_OR_RETURN(e.from, t.String("from"));
    if (!p.FindSegment(e.from)) return t.Error("from", "unknown segment");
    ASSIGN_OR_RETURN(e.to, t.String("to"));
    if (!p.FindSegment(e.to)) return t.Error("to", "unknown segment");
    if (e.from == e.to) return t.Error("to", "an expectation needs two different segments");
    if (p.FindSegment(e.to)->hosts.empty()) {
      return t.Error("to", "the target segment lists no hosts to scan");
    }
    ASSIGN_OR_RETURN(std::vector<std::string> allow, t.StringArrayOr("allow", {}));
    for (const std::string& a : allow) RETURN_IF_ERROR(ParseAllow(t, a, e));
    for (const Expectation& other : p.expectations) {
      if (other.from == e.from && other.to == e.to) {
        return t.Error("to", "duplicate expectation for this pair of segments");
      }
    }
    p.expectations.push_back(std::move(e));
  }
  RETURN_IF_ERROR(doc.CheckAllKeysUsed());
  return p;
}

Result<Policy> LoadPolicy(FileSystem& fs, const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, fs.ReadFile(path));
  if (text.size() > kMaxConfigFileBytes) return InvalidArgumentError(path + ": policy too large");
  return ParsePolicy(text, path);
}

}  // namespace kura::scan
