#include "scan/tcp_connect_scanner.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <thread>
#include <unordered_map>

namespace kura::scan {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Micros = std::chrono::microseconds;

// File descriptors kept free for everything else the process does.
constexpr int kReservedFds = 64;
constexpr int kMaxEventsPerWait = 512;
// Connects started per loop turn: answers are collected between batches, so
// their measured RTT is not inflated by a long run of connect() calls.
constexpr int kMaxLaunchPerTurn = 256;
// How long to back off when the kernel has no ephemeral port or fd left.
constexpr std::chrono::milliseconds kBackoff{10};

// Raises the soft open-file limit to the hard limit (a scan needs one fd per
// probe in flight) and returns how many probes may be in flight.
int UsableFds() {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 256;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) getrlimit(RLIMIT_NOFILE, &rl);
  }
  const rlim_t cap = std::min<rlim_t>(rl.rlim_cur, 1 << 20);
  return std::max(1, static_cast<int>(cap) - kReservedFds);
}

// nmap's mapping of a connect() errno (scan_engine_connect.cc).
void Classify(int err, PortState& state, std::string& reason) {
  switch (err) {
    case 0:
      state = PortState::kOpen;
      reason = "syn-ack";
      return;
    case ECONNREFUSED:
      state = PortState::kClosed;
      reason = "conn-refused";
      return;
    case EHOSTUNREACH:
    case EHOSTDOWN:
      reason = "host-unreach";
      break;
    case ENETUNREACH:
    case ENETDOWN:
      reason = "net-unreach";
      break;
    case EACCES:
    case EPERM:
      reason = "admin-prohibited";
      break;
    case ETIMEDOUT:
      reason = "no-response";
      break;
    default:
      reason = "error-" + std::to_string(err);
      break;
  }
  state = PortState::kFiltered;
}

struct Probe {
  size_t job = 0;
  uint64_t seq = 0;
  SteadyClock::time_point sent;
};

class ScanRun {
 public:
  ScanRun(const TargetGuard& guard, const TcpScanOptions& o, const std::vector<Ipv4>& targets,
          const std::vector<uint16_t>& ports, int epfd)
      : guard_(guard), o_(o), targets_(targets), ports_(ports), epfd_(epfd) {
    results_.resize(targets.size());
    for (size_t t = 0; t < targets.size(); ++t) {
      results_[t].address = targets[t];
      results_[t].ports.resize(ports.size());
      for (size_t p = 0; p < ports.size(); ++p) results_[t].ports[p].port = ports[p];
    }
    jobs_ = targets.size() * ports.size();
    cap_ = std::max(1, std::min(o.max_in_flight, UsableFds()));
    timeout_ = Micros(o.initial_timeout);
  }

  ~ScanRun() {
    for (auto& [fd, probe] : inflight_) close(fd);
  }
  ScanRun(const ScanRun&) = delete;
  ScanRun& operator=(const ScanRun&) = delete;

  Status Run(TcpScanStats* stats) {
    const auto start = SteadyClock::now();
    rate_epoch_ = start;
    std::vector<epoll_event> events(kMaxEventsPerWait);
    while (next_job_ < jobs_ || !retry_.empty() || !inflight_.empty()) {
      RETURN_IF_ERROR(Launch());
      int wait_ms = WaitMillis();
      int n = epoll_wait(epfd_, events.data(), kMaxEventsPerWait, wait_ms);
      if (n < 0) {
        if (errno == EINTR) continue;
        return InternalError("epoll_wait failed");
      }
      const auto now = SteadyClock::now();
      for (int i = 0; i < n; ++i) {
        const int fd = events[static_cast<size_t>(i)].data.fd;
        auto it = inflight_.find(fd);
        if (it == inflight_.end()) continue;
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err == 0 || err == ECONNREFUSED) UpdateRtt(now - it->second.sent);
        const size_t job = it->second.job;
        CloseProbe(it);
        Finish(job, err);
      }
      Expire(SteadyClock::now());
    }
    if (stats) {
      stats->probes_sent = probes_sent_;
      stats->srtt_us = have_rtt_ ? srtt_.count() : 0;
      stats->timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout_).count();
      stats->effective_in_flight = cap_;
      stats->elapsed =
          std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
    }
    return OkStatus();
  }

  std::vector<TargetResult> TakeResults() { return std::move(results_); }

 private:
  PortResult& ResultOf(size_t job) {
    return results_[job % targets_.size()].ports[job / targets_.size()];
  }

  bool HaveWork() const { return !retry_.empty() || next_job_ < jobs_; }

  int64_t RateCredit(SteadyClock::time_point now) {
    if (o_.max_rate <= 0) return INT64_MAX;
    const int64_t burst = std::max<int64_t>(1, o_.max_rate / 100);
    const int64_t elapsed_us = std::chrono::duration_cast<Micros>(now - rate_epoch_).count();
    int64_t allowed = elapsed_us * o_.max_rate / 1'000'000 - sent_since_epoch_;
    if (allowed > burst) {
      // Idle time does not turn into an unbounded burst.
      rate_epoch_ = now - Micros(burst * 1'000'000 / o_.max_rate);
      sent_since_epoch_ = 0;
      allowed = burst;
    }
    return allowed;
  }

  Status Launch() {
    for (int launched = 0;
         launched < kMaxLaunchPerTurn && static_cast<int>(inflight_.size()) < cap_ && HaveWork();
         ++launched) {
      const auto now = SteadyClock::now();
      if (RateCredit(now) < 1) return OkStatus();
      size_t job;
      bool from_retry = !retry_.empty();
      if (from_retry) {
        job = retry_.front();
        retry_.pop_front();
      } else {
        job = next_job_++;
      }
      const Ipv4 target = targets_[job % targets_.size()];
      RETURN_IF_ERROR(guard_.Check(target));
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          retry_.push_front(job);
          cap_ = std::max(1, static_cast<int>(inflight_.size()));
          if (inflight_.empty()) return ResourceExhaustedError("cannot open sockets");
          return OkStatus();
        }
        return InternalError("socket() failed");
      }
      // Close with RST, leaving no TIME_WAIT behind for open ports.
      struct linger lg {1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(ports_[job / targets_.size()]);
      sa.sin_addr.s_addr = htonl(target.value);
      ++probes_sent_;
      ++sent_since_epoch_;
      ++ResultOf(job).probes;
      int rc = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
      if (rc == 0 || errno != EINPROGRESS) {
        const int err = rc == 0 ? 0 : errno;
        close(fd);
        if (err == EAGAIN || err == EADDRNOTAVAIL) {
          // No ephemeral port free right now: not an answer from the target.
          --ResultOf(job).probes;
          retry_.push_front(job);
          if (inflight_.empty()) std::this_thread::sleep_for(kBackoff);
          return OkStatus();
        }
        Finish(job, err);
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLOUT | EPOLLERR | EPOLLHUP;
      ev.data.fd = fd;
      if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        return InternalError("epoll_ctl failed");
      }
      const uint64_t seq = ++seq_;
      inflight_[fd] = Probe{job, seq, now};
      sent_order_.push_back({now, fd, seq});
    }
    return OkStatus();
  }

  int WaitMillis() {
    const auto now = SteadyClock::now();
    int64_t wait_us = 1'000'000;
    if (!sent_order_.empty()) {
      wait_us = std::min<int64_t>(
          wait_us,
          std::chrono::duration_cast<Micros>(sent_order_.front().sent + timeout_ - now).count());
    }
    if (HaveWork() && static_cast<int>(inflight_.size()) < cap_) {
      // More to launch now, or waiting for rate credit.
      const int64_t per_send = o_.max_rate > 0 ? 1'000'000 / o_.max_rate : 0;
      wait_us = std::min<int64_t>(wait_us, std::max<int64_t>(per_send, 0));
    }
    if (wait_us <= 0) return 0;
    return static_cast<int>((wait_us + 999) / 1000);
  }

  void UpdateRtt(SteadyClock::duration d) {
    const Micros r = std::chrono::duration_cast<Micros>(d);
    if (!have_rtt_) {
      srtt_ = r;
      rttvar_ = r / 2;
      have_rtt_ = true;
    } else {
      const Micros diff = srtt_ > r ? srtt_ - r : r - srtt_;
      rttvar_ = (rttvar_ * 3 + diff) / 4;
      srtt_ = (srtt_ * 7 + r) / 8;
    }
    timeout_ = std::clamp<Micros>(srtt_ + rttvar_ * 4, Micros(o_.min_timeout),
                                  Micros(o_.max_timeout));
  }

  void CloseProbe(std::unordered_map<int, Probe>::iterator it) {
    epoll_ctl(epfd_, EPOLL_CTL_DEL, it->first, nullptr);
    close(it->first);
    inflight_.erase(it);
  }

  void Finish(size_t job, int err) {
    PortResult& r = ResultOf(job);
    Classify(err, r.state, r.reason);
    if (r.state == PortState::kFiltered && r.probes < o_.attempts) retry_.push_back(job);
  }

  void Expire(SteadyClock::time_point now) {
    // Probes are sent in time order and share one current timeout, so the
    // oldest probe always expires first; a shorter timeout from a fresh RTT
    // measurement applies to probes already in flight (as nmap does).
    while (!sent_order_.empty() && sent_order_.front().sent + timeout_ <= now) {
      const Sent d = sent_order_.front();
      sent_order_.pop_front();
      auto it = inflight_.find(d.fd);
      if (it == inflight_.end() || it->second.seq != d.seq) continue;
      const size_t job = it->second.job;
      CloseProbe(it);
      Finish(job, ETIMEDOUT);
    }
  }

  struct Sent {
    SteadyClock::time_point sent;
    int fd;
    uint64_t seq;
  };

  const TargetGuard& guard_;
  const TcpScanOptions& o_;
  const std::vector<Ipv4>& targets_;
  const std::vector<uint16_t>& ports_;
  const int epfd_;
  std::vector<TargetResult> results_;
  size_t jobs_ = 0;
  size_t next_job_ = 0;
  std::deque<size_t> retry_;
  std::unordered_map<int, Probe> inflight_;
  std::deque<Sent> sent_order_;
  int cap_ = 1;
  uint64_t seq_ = 0;
  int64_t probes_sent_ = 0;
  SteadyClock::time_point rate_epoch_;
  int64_t sent_since_epoch_ = 0;
  bool have_rtt_ = false;
  Micros srtt_{0};
  Micros rttvar_{0};
  Micros timeout_{0};
};

}  // namespace

std::string_view PortStateName(PortState s) {
  switch (s) {
    case PortState::kOpen:
      return "open";
    case PortState::kClosed:
      return "closed";
    case PortState::kFiltered:
      return "filtered";
  }
  return "filtered";
}

Result<TcpConnectScanner> TcpConnectScanner::Create(const TargetGuard& guard,
                                                    TcpScanOptions options) {
  if (options.attempts < kMinAttempts || options.attempts > 10) {
    return InvalidArgumentError("attempts must be 2..10 (never call a port filtered on one probe)");
  }
  if (options.max_in_flight < 1) return InvalidArgumentError("concurrency must be >= 1");
  if (options.max_rate < 0) return InvalidArgumentError("rate must be >= 0");
  if (options.min_timeout.count() < 1 || options.min_timeout > options.initial_timeout ||
      options.initial_timeout > options.max_timeout) {
    return InvalidArgumentError("timeouts must satisfy 1ms <= min <= initial <= max");
  }
  return TcpConnectScanner(guard, options);
}

Result<std::vector<TargetResult>> TcpConnectScanner::Scan(const std::vector<Ipv4>& targets,
                                                          const PortSet& ports,
                                                          TcpScanStats* stats) const {
  if (ports.empty()) return InvalidArgumentError("no ports to scan");
  if (targets.empty()) return InvalidArgumentError("no targets to scan");
  // Every target is checked before the first packet.
  for (Ipv4 t : targets) RETURN_IF_ERROR(guard_->Check(t));
  const std::vector<uint16_t> port_list = ports.ToVector();
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return InternalError("epoll_create1 failed");
  ScanRun run(*guard_, options_, targets, port_list, epfd);
  Status s = run.Run(stats);
  close(epfd);
  RETURN_IF_ERROR(s);
  return run.TakeResults();
}

}  // namespace kura::scan
