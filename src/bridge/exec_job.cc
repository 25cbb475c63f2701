#include "bridge/exec_job.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace kura::bridge {

namespace {

constexpr int kExecFailedExitCode = 127;
constexpr size_t kReadChunk = 64 * 1024;
constexpr useconds_t kWaitPollMicros = 5000;

[[noreturn]] void ChildExec(const char* path, char* const* argv, char* const* envp,
                            const char* workdir, int out_fd, pid_t parent) {
  (void)::setpgid(0, 0);
  (void)::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(kExecFailedExitCode);
  struct rlimit no_core = {0, 0};
  (void)::setrlimit(RLIMIT_CORE, &no_core);
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(out_fd, 2) < 0) {
    ::_exit(kExecFailedExitCode);
  }
  ::syscall(SYS_close_range, 3U, ~0U, 0U);
  if (::chdir(workdir) != 0) ::_exit(kExecFailedExitCode);
  ::execve(path, argv, envp);
  ::_exit(kExecFailedExitCode);
}

}  // namespace

Result<ExecOutcome> RunExecutable(const std::vector<std::string>& argv, const std::string& workdir,
                                  std::chrono::milliseconds timeout, size_t max_output_bytes,
                                  const std::function<bool()>& should_stop) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    return InvalidArgumentError("exec: the executable must be an absolute path");
  }
  // Everything the child needs is built before fork (no allocation after).
  std::vector<std::string> env = {"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=" + workdir,
                                  "TMPDIR=" + workdir};
  std::vector<char*> c_argv;
  for (const std::string& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  std::vector<char*> c_env;
  for (const std::string& e : env) c_env.push_back(const_cast<char*>(e.c_str()));
  c_env.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return InternalError("exec: pipe failed");
  const pid_t parent = ::getpid();
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return InternalError("exec: fork failed");
  }
  if (pid == 0) {
    ::close(fds[0]);
    ChildExec(c_argv[0], c_argv.data(), c_env.data(), workdir.c_str(), fds[1], parent);
  }
  ::close(fds[1]);
  // Also from the parent, so the group exists before we might kill it.
  (void)::setpgid(pid, pid);

  ExecOutcome outcome;
  const auto deadline = start + timeout;
  char buf[kReadChunk];
  bool open = true;
  // Longest single wait: the stop check's interval when there is one.
  const int64_t max_wait_ms = should_stop ? kExecStopCheckInterval.count() : 1000;
  auto stop_now = [&] {
    if (!outcome.stopped && should_stop && should_stop()) outcome.stopped = true;
    return outcome.stopped;
  };
  while (open) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      outcome.timed_out = true;
      break;
    }
    if (stop_now()) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    struct pollfd p = {fds[0], POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count() + 1, max_wait_ms)));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) continue;
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      open = false;
      break;
    }
    const size_t room = max_output_bytes - std::min(max_output_bytes, outcome.output.size());
    const size_t take = std::min(room, static_cast<size_t>(n));
    outcome.output.append(buf, take);
    if (take < static_cast<size_t>(n)) outcome.output_truncated = true;
  }
  ::close(fds[0]);
  // Wait for the exit without reaping (WNOWAIT), so the process group id
  // still belongs to the job when its stragglers are killed.
  for (;;) {
    siginfo_t info{};
    int rc = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return InternalError("exec: waitid failed");
    if (info.si_pid == pid) break;
    if (!outcome.stopped && std::chrono::steady_clock::now() >= deadline) outcome.timed_out = true;
    if (outcome.timed_out || stop_now()) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
    }
    ::usleep(kWaitPollMicros);
  }
  ::kill(-pid, SIGKILL);
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, 0);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return InternalError("exec: waitpid failed");
  }
  if (WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.exit_code = 128 + WTERMSIG(status);
  }
  outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return outcome;
}

}  // namespace kura::bridge
