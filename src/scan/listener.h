// Listener: tiny TCP/UDP services for the zones demo and tests
// (`kura scan listen`), so the scan has open ports to find without extra
// packages. TCP: accepts and immediately closes. UDP: echoes each datagram.
//
// Thread safety: Run() on one thread; Stop() from any thread.
#ifndef KURA_SCAN_LISTENER_H_
#define KURA_SCAN_LISTENER_H_

#include <atomic>
#include <memory>
#include <vector>

#include "core/base/status.h"
#include "scan/cidr.h"
#include "scan/port_set.h"

namespace kura::scan {

class Listener {
 public:
  // Binds every port on `bind` (0.0.0.0 for all addresses). Errors:
  // kUnavailable naming the port if a bind fails (in use, no permission).
  static Result<std::unique_ptr<Listener>> Bind(Ipv4 bind, const PortSet& tcp, const PortSet& udp);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Serves until Stop(). Errors: kInternal if polling fails.
  Status Run();
  void Stop() { stop_.store(true); }

 private:
  Listener() = default;
  std::vector<int> tcp_fds_;
  std::vector<int> udp_fds_;
  std::atomic<bool> stop_{false};
};

}  // namespace kura::scan

#endif  // KURA_SCAN_LISTENER_H_
