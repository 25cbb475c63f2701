// Termination signals for Kura daemons.
//
// main() calls BlockTerminationSignals() before creating any thread, so
// every thread inherits a mask blocking SIGTERM and SIGINT; then, once the
// server is started, it calls WaitForTerminationSignal() and shuts down
// gracefully. No signal handler runs, so nothing async-signal-unsafe can
// happen.
#ifndef KURA_CORE_HTTP_SIGNALS_H_
#define KURA_CORE_HTTP_SIGNALS_H_

namespace kura::http {

// Blocks SIGTERM and SIGINT in the calling thread (and threads it creates
// afterwards). SIGPIPE needs no handling: Asio sends with MSG_NOSIGNAL.
void BlockTerminationSignals();

// Waits until SIGTERM or SIGINT is delivered and returns its number.
// Precondition: BlockTerminationSignals() was called in this process before
// threads were created (otherwise another thread may take the signal).
int WaitForTerminationSignal();

}  // namespace kura::http

#endif  // KURA_CORE_HTTP_SIGNALS_H_
