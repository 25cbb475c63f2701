// Load generator for bench/logs_ingest_bench.sh: sends the same stream of N
// audit-style RFC 5424 messages over C TCP connections to 127.0.0.1:PORT and
// measures the time from the first byte sent until the receiver has the last
// message (durable for Kura, written to its output file for the peers).
//
// The whole stream is generated (deterministically from --seed) before the
// clock starts, so the sender only calls write(2) while it is timed; each
// connection is one thread writing 256 KiB at a time. "Has the last message"
// is observed by polling every 2 ms:
//   --wait-kura FILE   the `kura logs: stats ... syslog_received=S` lines that
//                      `kura logs serve --stats-interval-ms` prints (S counts
//                      durable messages) until S >= N;
//   --wait-lines FILE  the peer's output file, counting '\n' incrementally,
//                      until it holds N lines.
// Output (one line, stdout):
//   events=N bytes=B seconds=T events_per_s=E mb_per_s=M
// where B is the bytes sent (messages plus framing) and MB = 10^6 bytes.
// Exit 1 on any error or when --timeout passes first.
//
// Built by the bench script with g++ -O2 -pthread; not part of the Kura build.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  int port = 0;
  int connections = 4;
  uint64_t count = 1000000;
  bool octet = true;
  uint64_t seed = 1;
  std::string wait_kura;
  std::string wait_lines;
  std::string dump;
  double timeout_s = 600;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "loadgen: %s\n", what.c_str());
  std::exit(1);
}

const char* const kEvents[] = {
    "card.store",        "card.reveal",       "card.read",        "card.delete",
    "auth.login",        "auth.logout",       "auth.failure",     "apikey.create",
    "apikey.revoke",     "key.rotate",        "grant.create",     "grant.use",
    "bridge.job.start",  "bridge.job.finish", "config.change",    "user.create",
    "user.role.change",  "export.request",    "session.timeout",  "policy.evaluate"};
const char* const kApps[] = {"vault", "bridge", "console", "gateway", "keyring", "auth"};
const char* const kWords[] = {
    "customer", "call",    "batch",   "nightly", "dispute", "chargeback", "review",
    "manual",   "support", "ticket",  "renewal", "replace", "fraud",      "check",
    "limit",    "update",  "request", "approved", "pending", "escalated"};

// One message (without framing), ~200-300 bytes, syslog severity info/notice
// (failures warning), facility local4 or authpriv.
std::string Message(std::mt19937_64& rng, uint64_t id, int64_t t_ms) {
  auto pick = [&](uint64_t n) { return static_cast<uint64_t>(rng() % n); };
  const bool failure = pick(100) < 6;
  const int facility = pick(4) == 0 ? 10 : 20;
  const int severity = failure ? 4 : (pick(3) == 0 ? 5 : 6);
  const uint64_t host = pick(32);
  const char* app = kApps[pick(std::size(kApps))];
  const char* event = kEvents[pick(std::size(kEvents))];
  const uint64_t principal = pick(5000);
  const uint64_t token = rng();
  const time_t secs = static_cast<time_t>(t_ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char ts[80];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(t_ms % 1000));
  char buf[640];
  int n = std::snprintf(
      buf, sizeof buf,
      "<%d>1 %s app-%02" PRIu64 ".issuer.example %s %" PRIu64 " %s "
      "[audit@32473 principal=\"u%05" PRIu64 "\" outcome=\"%s\" resource=\"tok_%016" PRIx64
      "\"] %s %s by u%05" PRIu64 " from 10.%" PRIu64 ".%" PRIu64 ".%" PRIu64 ":%" PRIu64
      " id=%" PRIu64 " reason=\"%s %s %s %" PRIu64 "\" latency_ms=%" PRIu64,
      facility * 8 + severity, ts, host, app, 1000 + pick(30000), event, principal,
      failure ? "failure" : "success", token, event, failure ? "refused" : "ok", principal,
      pick(256), pick(256), pick(256), 1024 + pick(60000), id, kWords[pick(std::size(kWords))],
      kWords[pick(std::size(kWords))], kWords[pick(std::size(kWords))], pick(1000000),
      pick(900) + 1);
  if (n < 0 || static_cast<size_t>(n) >= sizeof buf) Die("message formatting");
  return std::string(buf, static_cast<size_t>(n));
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--port") o.port = std::atoi(next().c_str());
    else if (a == "--connections") o.connections = std::atoi(next().c_str());
    else if (a == "--count") o.count = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--framing") {
      const std::string f = next();
      if (f != "octet" && f != "lf") Die("--framing must be octet or lf");
      o.octet = f == "octet";
    } else if (a == "--seed") o.seed = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--wait-kura") o.wait_kura = next();
    else if (a == "--wait-lines") o.wait_lines = next();
    else if (a == "--dump") o.dump = next();
    else if (a == "--timeout") o.timeout_s = std::atof(next().c_str());
    else Die("unknown argument " + a);
  }
  if (o.port <= 0 || o.port > 65535) Die("--port is required");
  if (o.connections < 1 || o.connections > 256) Die("--connections must be 1..256");
  if (o.count == 0) Die("--count must be > 0");
  if (o.dump.empty() && o.wait_kura.empty() == o.wait_lines.empty()) {
    Die("exactly one of --wait-kura and --wait-lines is required");
  }
  return o;
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Die("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Die("connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
  }
  return fd;
}

// Newest syslog_received=N in the stats lines appended to `path`.
class KuraWatcher {
 public:
  explicit KuraWatcher(std::string path) : path_(std::move(path)) {}
  uint64_t Poll() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return last_;
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    pending_ += chunk;
    offset_ += chunk.size();
    size_t nl;
    while ((nl = pending_.find('\n')) != std::string::npos) {
      const std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      const size_t at = line.find("syslog_received=");
      if (line.rfind("kura logs: stats ", 0) == 0 && at != std::string::npos) {
        last_ = std::strtoull(line.c_str() + at + 16, nullptr, 10);
      }
    }
    return last_;
  }

 private:
  std::string path_;
  size_t offset_ = 0;
  std::string pending_;
  uint64_t last_ = 0;
};

// Lines in `path`, read incrementally.
class LineWatcher {
 public:
  explicit LineWatcher(std::string path) : path_(std::move(path)) {}
  ~LineWatcher() {
    if (f_ != nullptr) std::fclose(f_);
  }
  uint64_t Poll() {
    if (f_ == nullptr) f_ = std::fopen(path_.c_str(), "rb");
    if (f_ == nullptr) return 0;
    std::vector<char> buf(1 << 20);
    for (;;) {
      const size_t n = std::fread(buf.data(), 1, buf.size(), f_);
      for (const char* p = buf.data(); (p = static_cast<const char*>(
                                             std::memchr(p, '\n', buf.data() + n - p))) != nullptr;
           ++p) {
        ++lines_;
      }
      if (n < buf.size()) break;
    }
    std::clearerr(f_);
    return lines_;
  }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
  uint64_t lines_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);

  // The stream: message i goes to connection i % C; times start at a fixed
  // instant so every run and every peer gets identical bytes.
  std::vector<std::string> streams(static_cast<size_t>(o.connections));
  for (auto& s : streams) s.reserve(o.count / static_cast<uint64_t>(o.connections) * 300 + 4096);
  std::mt19937_64 rng(o.seed);
  const int64_t t0 = 1798675200000;  // 2026-12-31T00:00:00Z
  uint64_t bytes = 0;
  for (uint64_t i = 0; i < o.count; ++i) {
    const std::string m = Message(rng, i + 1, t0 + static_cast<int64_t>(i / 8));
    std::string& s = streams[i % streams.size()];
    const size_t before = s.size();
    if (o.octet) {
      s += std::to_string(m.size());
      s += ' ';
      s += m;
    } else {
      s += m;
      s += '\n';
    }
    bytes += s.size() - before;
  }
  if (!o.dump.empty()) {
    std::ofstream out(o.dump, std::ios::binary);
    for (const auto& s : streams) out << s;
    if (!out) Die("cannot write " + o.dump);
    if (o.wait_kura.empty() && o.wait_lines.empty()) return 0;
  }

  std::vector<int> fds;
  for (int c = 0; c < o.connections; ++c) fds.push_back(Connect(o.port));

  std::atomic<bool> go{false};
  std::atomic<int> failed{0};
  std::vector<std::thread> senders;
  for (size_t c = 0; c < fds.size(); ++c) {
    senders.emplace_back([&, c] {
      while (!go.load()) std::this_thread::yield();
      const std::string& s = streams[c];
      size_t off = 0;
      while (off < s.size()) {
        const size_t n = std::min<size_t>(256 << 10, s.size() - off);
        const ssize_t w = write(fds[c], s.data() + off, n);
        if (w < 0) {
          if (errno == EINTR) continue;
          std::fprintf(stderr, "loadgen: write: %s\n", std::strerror(errno));
          failed.fetch_add(1);
          return;
        }
        off += static_cast<size_t>(w);
      }
    });
  }

  KuraWatcher kura(o.wait_kura);
  LineWatcher lines(o.wait_lines);
  const auto start = std::chrono::steady_clock::now();
  go.store(true);
  uint64_t have = 0;
  for (;;) {
    have = o.wait_kura.empty() ? lines.Poll() : kura.Poll();
    if (have >= o.count) break;
    if (failed.load() > 0) Die("a sender failed");
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
        o.timeout_s) {
      Die("timeout: the receiver has " + std::to_string(have) + " of " +
          std::to_string(o.count) + " messages");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (auto& t : senders) t.join();
  for (int fd : fds) close(fd);
  if (have != o.count) {
    Die("the receiver has " + std::to_string(have) + " messages, expected " +
        std::to_string(o.count));
  }
  std::printf("events=%" PRIu64 " bytes=%" PRIu64 " seconds=%.4f events_per_s=%.0f mb_per_s=%.2f\n",
              o.count, bytes, seconds, static_cast<double>(o.count) / seconds,
              static_cast<double>(bytes) / seconds / 1e6);
  return 0;
}
