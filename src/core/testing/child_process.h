// Test helper: runs the real `kura` binary (or any program) as a child
// process without a shell, captures one of its output streams, and kills and
// reaps it on destruction. Header-only; for tests only (crash tests that
// SIGKILL a server mid-stream).
#ifndef KURA_CORE_TESTING_CHILD_PROCESS_H_
#define KURA_CORE_TESTING_CHILD_PROCESS_H_

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

extern char** environ;

namespace kura::testing {

// The `kura` binary of the build the test belongs to (kura_test sets
// KURA_BINARY_DIR).
inline std::string KuraBinary() {
  const char* dir = std::getenv("KURA_BINARY_DIR");
  return std::string(dir ? dir : ".") + "/src/cli/kura";
}

class ChildProcess {
 public:
  // Spawns args[0] with `args`, the parent's environment, and `captured_fd`
  // (STDOUT_FILENO or STDERR_FILENO) connected to a pipe read by ReadUntil.
  // started() is false if the spawn failed.
  ChildProcess(std::vector<std::string> args, int captured_fd) {
    int pipefd[2];
    if (pipe(pipefd) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], captured_fd);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    fd_ = pipefd[0];
  }
  ~ChildProcess() {
    if (pid_ > 0) Kill(SIGKILL);
    if (fd_ >= 0) close(fd_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }

  // Reads the captured stream until done(everything read so far) or end of
  // stream; returns everything read.
  std::string ReadUntil(const std::function<bool(const std::string&)>& done) {
    std::string out;
    char buf[256];
    while (fd_ >= 0 && !done(out)) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  // Sends `sig` and reaps the process; returns its wait status.
  int Kill(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
};

}  // namespace kura::testing

#endif  // KURA_CORE_TESTING_CHILD_PROCESS_H_
