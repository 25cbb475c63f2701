// RunExecutable: runs one allow-listed program for the bridge, never
// through a shell.
//
//   * argv is passed to execve as is (argv[0] is the absolute executable);
//   * the environment is replaced by a clean one: PATH=/usr/bin:/bin,
//     LC_ALL=C, HOME and TMPDIR = the working directory;
//   * the child runs in `workdir` (which must exist), in its own process
//     group, with stdin from /dev/null, no core dumps, every inherited file
//     descriptor above 2 closed, and is killed if the runner dies
//     (PR_SET_PDEATHSIG);
//   * stdout and stderr share one pipe; at most `max_output_bytes` are kept
//     (the rest is read and dropped, so the child never blocks on a full pipe);
//   * after `timeout` the whole process group gets SIGKILL;
//   * so does it as soon as `should_stop` (if given) returns true: it is
//     asked at least every kExecStopCheckInterval while the job runs (the
//     runner passes "this runner lost the job's lease").
//
// Errors (Status): kInvalidArgument for an empty argv or a relative
// executable; kInternal if the pipe or fork fails. A program that cannot be
// executed is NOT an error: it exits 127 like under a shell.
//
// Thread safety: safe to call from several threads (only async-signal-safe
// calls happen between fork and exec).
#ifndef KURA_BRIDGE_EXEC_JOB_H_
#define KURA_BRIDGE_EXEC_JOB_H_

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace kura::bridge {

// Longest time between two should_stop() calls while a job runs.
inline constexpr std::chrono::milliseconds kExecStopCheckInterval{200};

struct ExecOutcome {
  int exit_code = -1;  // exit status, or 128 + signal if killed
  bool timed_out = false;
  bool stopped = false;  // killed because should_stop() returned true
  std::string output;  // first max_output_bytes of stdout+stderr
  bool output_truncated = false;
  std::chrono::milliseconds elapsed{0};
};

Result<ExecOutcome> RunExecutable(const std::vector<std::string>& argv, const std::string& workdir,
                                  std::chrono::milliseconds timeout, size_t max_output_bytes,
                                  const std::function<bool()>& should_stop = {});

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_EXEC_JOB_H_
