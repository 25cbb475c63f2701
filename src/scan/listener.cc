#include "scan/listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace kura::scan {
namespace {

constexpr int kPollMillis = 100;  // how often Run() notices Stop()
constexpr int kBacklog = 1024;
constexpr size_t kMaxDatagram = 2048;

Result<int> BindOne(Ipv4 bind, uint16_t port, int type) {
  int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return InternalError("socket() failed");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(bind.value);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
      (type == SOCK_STREAM && listen(fd, kBacklog) != 0)) {
    close(fd);
    return UnavailableError(std::string(type == SOCK_STREAM ? "tcp" : "udp") + " port " +
                            std::to_string(port) + ": bind failed");
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<Listener>> Listener::Bind(Ipv4 bind, const PortSet& tcp,
                                                 const PortSet& udp) {
  std::unique_ptr<Listener> l(new Listener());
  for (uint16_t p : tcp.ToVector()) {
    ASSIGN_OR_RETURN(int fd, BindOne(bind, p, SOCK_STREAM));
    l->tcp_fds_.push_back(fd);
  }
  for (uint16_t p : udp.ToVector()) {
    ASSIGN_OR_RETURN(int fd, BindOne(bind, p, SOCK_DGRAM));
    l->udp_fds_.push_back(fd);
  }
  return l;
}

Listener::~Listener() {
  for (int fd : tcp_fds_) close(fd);
  for (int fd : udp_fds_) close(fd);
}

Status Listener::Run() {
  std::vector<pollfd> pfds;
  for (int fd : tcp_fds_) pfds.push_back({fd, POLLIN, 0});
  for (int fd : udp_fds_) pfds.push_back({fd, POLLIN, 0});
  while (!stop_.load()) {
    int n = poll(pfds.data(), pfds.size(), kPollMillis);
    if (n < 0) {
      if (errno == EINTR) continue;
      return InternalError("poll failed");
    }
    for (size_t i = 0; i < pfds.size(); ++i) {
      if (!(pfds[i].revents & POLLIN)) continue;
      if (i < tcp_fds_.size()) {
        while (true) {
          int c = accept4(pfds[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
          if (c < 0) break;
          close(c);
        }
      } else {
        char buf[kMaxDatagram];
        sockaddr_in from{};
        socklen_t len = sizeof(from);
        ssize_t got = recvfrom(pfds[i].fd, buf, sizeof(buf), 0,
                               reinterpret_cast<sockaddr*>(&from), &len);
        if (got >= 0) {
          sendto(pfds[i].fd, buf, static_cast<size_t>(got), 0,
                 reinterpret_cast<sockaddr*>(&from), len);
        }
      }
    }
  }
  return OkStatus();
}

}  // namespace kura::scan
