// Generates a realistic audit-event data set for bench/logs_search_bench.sh:
// NDJSON events (the shape `kura logs import` and POST /v1/events take),
// one file per UTC day: <out>/dt=YYYY-MM-DD/events.jsonl, in time order.
//
//   gen_events --out DIR --bytes N --days D --end YYYY-MM-DD [--seed S]
//              [--needle PRINCIPAL]
//
// Mix: 5,000 principals with a Zipf(1.0) popularity, 30 event types with
// skewed weights, ~4% failures with reasons, 12 services, 40 hosts, client
// addresses per principal, random token/resource ids, request ids, latencies
// and free-text messages from templates. Prints the number of events, the
// raw bytes and how many events the --needle principal has (so the script
// can check every engine finds exactly those).
//
// Standalone (no Kura code): compiled by the benchmark script with g++ -O2.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace {

struct Rng {  // xorshift64*: fast and reproducible
  uint64_t s;
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ULL;
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
  double Unit() { return static_cast<double>(Next() >> 11) / 9007199254740992.0; }
};

const char* kFirst[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
                        "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert",
                        "sybil", "trent", "victor", "walter", "yara", "zoe", "omar", "li",
                        "sven", "ana", "kofi", "mei", "raj", "lena", "tomas"};
const char* kServices[] = {"vault", "bridge", "otp", "scan", "logs", "api-gateway",
                           "issuing", "disputes", "kyc", "ledger", "notify", "admin"};
struct EventType {
  const char* name;
  int service;
  int weight;
  const char* tmpl;  // %P principal, %R resource, %I ip, %N number, %Q request id
};
const EventType kEvents[] = {
    {"card.tokenize", 0, 220, "Tokenized card for merchant batch %N as %R"},
    {"card.detokenize", 0, 90, "Detokenized %R for settlement run %N"},
    {"card.reveal", 0, 12, "Operator %P revealed card behind %R under grant g_%N"},
    {"card.delete", 0, 6, "Deleted card %R after retention review %N"},
    {"auth.login", 11, 120, "Login by %P from %I using password and otp"},
    {"auth.logout", 11, 80, "Session of %P ended after %N seconds"},
    {"auth.failed", 11, 25, "Failed login for %P from %I: wrong password"},
    {"key.rotate", 0, 2, "Rotated data key %R; %N cards rewrapped"},
    {"key.access", 0, 15, "Key %R unwrapped for request %Q"},
    {"otp.issue", 2, 60, "Issued one-time code for %P via sms, request %Q"},
    {"otp.verify", 2, 58, "Verified one-time code for %P in %N ms"},
    {"scan.start", 3, 3, "Segmentation scan %R started against %N targets"},
    {"scan.finish", 3, 3, "Segmentation scan %R finished: %N ports checked"},
    {"bridge.upload", 1, 30, "File %R uploaded by %P, %N lines"},
    {"bridge.tokenize_file", 1, 20, "File %R tokenized: %N card numbers replaced"},
    {"logs.search", 4, 10, "Search by %P returned %N results"},
    {"logs.seal", 4, 8, "Sealed segment %R with %N records"},
    {"api.request", 5, 400, "GET /v1/accounts/%R answered 200 in %N ms for %Q"},
    {"api.error", 5, 20, "POST /v1/payments failed with 502 after %N ms for %Q"},
    {"issuing.card_create", 6, 40, "Created card %R for account a_%N"},
    {"issuing.card_block", 6, 8, "Blocked card %R: reported stolen by %P"},
    {"issuing.limit_change", 6, 12, "Limit of %R changed to %N by %P"},
    {"dispute.open", 7, 6, "Dispute %R opened for transaction t_%N"},
    {"dispute.resolve", 7, 5, "Dispute %R resolved in favour of cardholder"},
    {"kyc.check", 8, 35, "KYC check %R passed with score %N"},
    {"ledger.post", 9, 150, "Posted journal entry %R amount %N cents"},
    {"notify.send", 10, 70, "Notification %R sent to %P by email"},
    {"admin.role_grant", 11, 2, "Role auditor granted to %P by security officer"},
    {"admin.config_change", 11, 2, "Configuration %R changed by %P"},
    {"admin.user_create", 11, 3, "User %P created with id %R"},
};
const char* kReasons[] = {"permission denied", "invalid token", "rate limited",
                          "upstream timeout", "expired grant", "bad signature"};
const char* kSeverities[] = {"info", "notice", "warning", "err"};

constexpr int kPrincipals = 5000;
constexpr int kHosts = 40;
constexpr int64_t kDayMs = 86400000;

std::string PrincipalName(int i) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s.%c%d", kFirst[i % 30], 'a' + (i / 30) % 26, i);
  return buf;
}

void Hex(Rng& rng, int n, std::string* out) {
  static const char k[] = "0123456789abcdef";
  uint64_t v = rng.Next();
  for (int i = 0; i < n; ++i) {
    if (i == 16) v = rng.Next();
    out->push_back(k[v & 15]);
    v >>= 4;
  }
}

void AppendNum(uint64_t v, std::string* out) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
  out->append(buf, static_cast<size_t>(n));
}

void AppendTs(int64_t ms, std::string* out) {
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm t;
  gmtime_r(&secs, &t);
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                        t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                        static_cast<int>(ms % 1000));
  out->append(buf, static_cast<size_t>(n));
}

int64_t ParseDay(const char* s) {
  struct tm t {};
  if (std::sscanf(s, "%d-%d-%d", &t.tm_year, &t.tm_mon, &t.tm_mday) != 3) {
    std::fprintf(stderr, "bad date %s\n", s);
    std::exit(2);
  }
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&t)) * 1000;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir, needle = PrincipalName(1234), end = "2026-01-01";
  uint64_t bytes = 1ULL << 30, seed = 42;
  int days = 90;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--out") out_dir = argv[i + 1];
    else if (k == "--bytes") bytes = std::strtoull(argv[i + 1], nullptr, 10);
    else if (k == "--days") days = std::atoi(argv[i + 1]);
    else if (k == "--end") end = argv[i + 1];
    else if (k == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (k == "--needle") needle = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (out_dir.empty() || days < 1) {
    std::fprintf(stderr, "usage: gen_events --out DIR --bytes N --days D --end YYYY-MM-DD\n");
    return 2;
  }
  Rng rng{seed * 0x9E3779B97F4A7C15ULL + 1};

  // Zipf(1.0) over principals: cumulative weights 1/rank.
  std::vector<double> pcdf(kPrincipals);
  double acc = 0;
  for (int i = 0; i < kPrincipals; ++i) pcdf[i] = (acc += 1.0 / (i + 1));
  for (double& c : pcdf) c /= acc;
  std::vector<std::string> principals;
  for (int i = 0; i < kPrincipals; ++i) principals.push_back(PrincipalName(i));
  std::vector<int> ecdf;
  int wsum = 0;
  for (const EventType& e : kEvents) ecdf.push_back(wsum += e.weight);

  const double avg_line = 330;  // measured mean of the lines below
  const uint64_t total = static_cast<uint64_t>(static_cast<double>(bytes) / avg_line);
  const uint64_t per_day = total / static_cast<uint64_t>(days) + 1;
  const int64_t first_day = ParseDay(end.c_str()) - static_cast<int64_t>(days - 1) * kDayMs;

  mkdir(out_dir.c_str(), 0755);
  uint64_t written = 0, events = 0, needle_events = 0;
  std::string line, buf;
  for (int d = 0; d < days; ++d) {
    const int64_t day_ms = first_day + d * kDayMs;
    std::string dt;
    AppendTs(day_ms, &dt);
    dt.resize(10);
    std::string dir = out_dir + "/dt=" + dt;
    mkdir(dir.c_str(), 0755);
    FILE* f = std::fopen((dir + "/events.jsonl").c_str(), "w");
    if (f == nullptr) {
      std::perror("fopen");
      return 1;
    }
    const double step = static_cast<double>(kDayMs) / static_cast<double>(per_day);
    for (uint64_t i = 0; i < per_day; ++i) {
      const int64_t ts = day_ms + static_cast<int64_t>(static_cast<double>(i) * step);
      const int p = static_cast<int>(std::lower_bound(pcdf.begin(), pcdf.end(), rng.Unit()) -
                                     pcdf.begin());
      const int ew = static_cast<int>(rng.Below(static_cast<uint64_t>(wsum)));
      const EventType& ev =
          kEvents[std::upper_bound(ecdf.begin(), ecdf.end(), ew) - ecdf.begin()];
      const bool failure = rng.Below(100) < 4;
      std::string resource = "tok_";
      Hex(rng, 16, &resource);
      std::string ip = "10." + std::to_string(p % 200) + "." + std::to_string(p / 200 % 250) +
                       "." + std::to_string(1 + p % 7);
      std::string request = "req_";
      Hex(rng, 12, &request);
      const uint64_t num = rng.Below(rng.Below(10) == 0 ? 100000 : 1000);

      line.clear();
      line += "{\"ts\":\"";
      AppendTs(ts, &line);
      line += "\",\"service\":\"";
      line += kServices[ev.service];
      line += "\",\"event\":\"";
      line += ev.name;
      line += "\",\"outcome\":\"";
      line += failure ? "failure" : "success";
      line += "\",\"principal\":\"";
      line += principals[static_cast<size_t>(p)];
      line += "\",\"origin\":\"";
      line += ip;
      line += ':';
      AppendNum(1024 + rng.Below(60000), &line);
      line += "\",\"resource\":\"";
      line += resource;
      if (failure) {
        line += "\",\"reason\":\"";
        line += kReasons[rng.Below(6)];
      }
      line += "\",\"host\":\"web-";
      AppendNum(1 + rng.Below(kHosts), &line);
      line += "\",\"severity\":\"";
      line += failure ? kSeverities[2 + rng.Below(2)] : kSeverities[rng.Below(10) == 0 ? 1 : 0];
      line += "\",\"message\":\"";
      for (const char* t = ev.tmpl; *t; ++t) {
        if (*t != '%') {
          line.push_back(*t);
          continue;
        }
        switch (*++t) {
          case 'P': line += principals[static_cast<size_t>(p)]; break;
          case 'R': line += resource; break;
          case 'I': line += ip; break;
          case 'N': AppendNum(num, &line); break;
          case 'Q': line += request; break;
        }
      }
      if (failure) {
        line += " (";
        line += kReasons[rng.Below(6)];
        line += ')';
      }
      line += "\",\"request_id\":\"";
      line += request;
      line += "\",\"latency_ms\":";
      AppendNum(1 + rng.Below(rng.Below(20) == 0 ? 5000 : 200), &line);
      line += "}\n";
      buf += line;
      if (buf.size() > (1 << 20)) {
        std::fwrite(buf.data(), 1, buf.size(), f);
        buf.clear();
      }
      written += line.size();
      ++events;
      if (principals[static_cast<size_t>(p)] == needle) ++needle_events;
    }
    std::fwrite(buf.data(), 1, buf.size(), f);
    buf.clear();
    std::fclose(f);
  }
  std::printf("events=%llu bytes=%llu needle=%s needle_events=%llu\n",
              static_cast<unsigned long long>(events), static_cast<unsigned long long>(written),
              needle.c_str(), static_cast<unsigned long long>(needle_events));
  return 0;
}
