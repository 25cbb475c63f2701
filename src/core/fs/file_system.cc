#include "core/fs/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

namespace kura {
namespace {

// Thread-safe errno text (strerror is not).
std::string ErrnoText(int err) { return std::generic_category().message(err); }

Status ErrnoStatus(std::string_view op, const std::string& path, int err) {
  std::string msg(op);
  msg += " '";
  msg += path;
  msg += "': ";
  msg += ErrnoText(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return NotFoundError(std::move(msg));
    case EEXIST:
      return AlreadyExistsError(std::move(msg));
    case ENOSPC:
    case EDQUOT:
      return ResourceExhaustedError(std::move(msg));
    case EACCES:
    case EPERM:
    case EROFS:
      return PermissionDeniedError(std::move(msg));
    case EISDIR:
      return FailedPreconditionError(std::move(msg));
    default:
      return InternalError(std::move(msg));
  }
}

// Closes `fd` on scope exit unless released.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  // Closes now and reports the result (close can report deferred write errors
  // on some file systems, e.g. NFS).
  int CloseNow() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

// Creates "<dir>/.kura-tmp.XXXXXX" with O_EXCL (mkostemp), writes, fsyncs
// and closes it. Returns the temporary's name; removes it on failure.
Result<std::string> WriteTempFile(const std::string& path, std::string_view data, uint32_t mode) {
  std::string tmpl = JoinPath(DirName(path), std::string(kTempFilePrefix) + "XXXXXX");
  const int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("create temporary for", path, errno);
  FdCloser closer(fd);
  Status st;
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    st = ErrnoStatus("fchmod temporary for", path, errno);
  }
  // Errors name the target: the temporary's random name means nothing to an
  // operator.
  if (st.ok()) st = WriteAll(fd, data, path);
  // fsync (not fdatasync): the new inode's metadata must be durable too.
  if (st.ok() && ::fsync(fd) != 0) st = ErrnoStatus("fsync temporary for", path, errno);
  if (closer.CloseNow() != 0 && st.ok()) st = ErrnoStatus("close temporary for", path, errno);
  if (!st.ok()) {
    ::unlink(tmpl.c_str());
    return st;
  }
  return tmpl;
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  PosixWritableFile(const PosixWritableFile&) = delete;
  PosixWritableFile& operator=(const PosixWritableFile&) = delete;

  Status Append(std::string_view data) override {
    RETURN_IF_ERROR(CheckUsable());
    return Poison(WriteAll(fd_, data, path_));
  }

  Status Sync() override {
    RETURN_IF_ERROR(CheckUsable());
    if (::fdatasync(fd_) != 0) return Poison(ErrnoStatus("fdatasync", path_, errno));
    return OkStatus();
  }

  Status Close() override {
    if (fd_ < 0) return error_.ok() ? OkStatus() : error_;
    const int rc = ::close(fd_);
    fd_ = -1;
    if (!error_.ok()) return error_;
    if (rc != 0) return Poison(ErrnoStatus("close", path_, errno));
    return OkStatus();
  }

 private:
  Status CheckUsable() const {
    if (!error_.ok()) return error_;
    if (fd_ < 0) return FailedPreconditionError("'" + path_ + "' is closed");
    return OkStatus();
  }

  // After a failed write or fsync the kernel may have dropped dirty pages and
  // cleared the error, so a later fsync could falsely succeed: never retry.
  Status Poison(Status st) {
    if (!st.ok()) {
      error_ = Status(st.code(), st.message() + " (file is now unusable)");
    }
    return st;
  }

  int fd_;
  const std::string path_;
  Status error_;
};

}  // namespace

bool IsTempFileName(std::string_view name) { return name.starts_with(kTempFilePrefix); }

Result<std::string> PosixFileSystem::ReadFile(const std::string& path) {
  return ReadFileAtMost(path, std::numeric_limits<size_t>::max() - 1);
}

Result<std::string> PosixFileSystem::ReadFileAtMost(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  FdCloser closer(fd);
  std::string out;
  char buf[64 * 1024];
  // One byte past the limit tells a file of exactly max_bytes from a larger one.
  const size_t want = max_bytes + 1;
  while (out.size() < want) {
    const ssize_t n = ::read(fd, buf, std::min(sizeof buf, want - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", path, errno);
    }
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
  return OutOfRangeError("read '" + path + "': larger than " + std::to_string(max_bytes) +
                         " bytes");
}

Status PosixFileSystem::WriteFileAtomic(const std::string& path, std::string_view data,
                                        uint32_t mode) {
  ASSIGN_OR_RETURN(std::string tmp, WriteTempFile(path, data, mode));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus("rename", path, err);
  }
  return SyncDir(DirName(path));
}

Status PosixFileSystem::CreateFileExclusive(const std::string& path, std::string_view data,
                                            uint32_t mode) {
  // Cheap early exit; the link below is what actually guarantees exclusivity.
  if (Exists(path)) return AlreadyExistsError("create '" + path + "': file exists");
  ASSIGN_OR_RETURN(std::string tmp, WriteTempFile(path, data, mode));
  const int rc = ::link(tmp.c_str(), path.c_str());
  const int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) return ErrnoStatus("create", path, err);
  return SyncDir(DirName(path));
}

Result<std::unique_ptr<WritableFile>> PosixFileSystem::OpenAppendable(const std::string& path,
                                                                      uint32_t mode) {
  // Try an exclusive create first so we know whether the directory entry is
  // new and must be made durable.
  bool created = true;
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC,
                  static_cast<mode_t>(mode));
  if (fd < 0 && errno == EEXIST) {
    created = false;
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  }
  if (fd < 0) return ErrnoStatus("open for append", path, errno);
  auto file = std::make_unique<PosixWritableFile>(fd, path);
  if (created) {
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return ErrnoStatus("fchmod", path, errno);
    RETURN_IF_ERROR(SyncDir(DirName(path)));
  }
  return std::unique_ptr<WritableFile>(std::move(file));
}

Status PosixFileSystem::CreateDirs(const std::string& path, uint32_t mode) {
  if (path.empty()) return InvalidArgumentError("create directory: empty path");
  // Walk prefixes "a", "a/b", "a/b/c"; each one must end up a directory.
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    if (prefix.empty() || prefix.back() == '/') continue;
    struct stat st {};
    if (::stat(prefix.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        return FailedPreconditionError("create directory '" + path + "': '" + prefix +
                                       "' exists and is not a directory");
      }
      continue;
    }
    if (errno != ENOENT) return ErrnoStatus("stat", prefix, errno);
    if (::mkdir(prefix.c_str(), static_cast<mode_t>(mode)) != 0) {
      if (errno == EEXIST) continue;  // Lost a race with another creator: fine.
      return ErrnoStatus("mkdir", prefix, errno);
    }
    // The new entry is only durable once its parent directory is synced.
    RETURN_IF_ERROR(SyncDir(DirName(prefix)));
  }
  return OkStatus();
}

Result<std::vector<std::string>> PosixFileSystem::ListDir(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    if (errno == ENOTDIR) {
      return FailedPreconditionError("list '" + path + "': not a directory");
    }
    return ErrnoStatus("list", path, errno);
  }
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const struct dirent* entry = ::readdir(dir);
    if (entry == nullptr) break;
    const std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) return ErrnoStatus("list", path, err);
  std::sort(names.begin(), names.end());
  return names;
}

Status PosixFileSystem::RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) {
    // Linux reports EISDIR for unlink of a directory; POSIX says EPERM.
    if (errno == EISDIR || (errno == EPERM && IsDirectory(path).value_or(false))) {
      return FailedPreconditionError("remove '" + path + "': is a directory");
    }
    return ErrnoStatus("remove", path, errno);
  }
  return OkStatus();
}

Status PosixFileSystem::RemoveDir(const std::string& path) {
  if (::rmdir(path.c_str()) != 0) {
    const int err = errno;
    if (err == ENOTEMPTY || err == EEXIST) {
      return FailedPreconditionError("remove directory '" + path + "': not empty");
    }
    if (err == ENOTDIR && Exists(path)) {
      return FailedPreconditionError("remove directory '" + path + "': not a directory");
    }
    return ErrnoStatus("remove directory", path, err);
  }
  return OkStatus();
}

Status PosixFileSystem::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoStatus("rename to '" + to + "' from", from, errno);
  }
  return OkStatus();
}

Status PosixFileSystem::SyncDir(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open directory", path, errno);
  FdCloser closer(fd);
  if (::fsync(fd) != 0) return ErrnoStatus("fsync directory", path, errno);
  return OkStatus();
}

bool PosixFileSystem::Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Result<bool> PosixFileSystem::IsDirectory(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
  return S_ISDIR(st.st_mode);
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  if (out.back() != '/') out += '/';
  out += name;
  return out;
}

namespace {
std::string_view StripTrailingSlashes(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}
}  // namespace

std::string DirName(std::string_view path) {
  path = StripTrailingSlashes(path);
  const size_t pos = path.rfind('/');
  if (pos == std::string_view::npos) return ".";
  if (pos == 0) return "/";
  return std::string(StripTrailingSlashes(path.substr(0, pos)));
}

std::string BaseName(std::string_view path) {
  path = StripTrailingSlashes(path);
  const size_t pos = path.rfind('/');
  if (pos == std::string_view::npos || path == "/") return std::string(path);
  return std::string(path.substr(pos + 1));
}

}  // namespace kura
