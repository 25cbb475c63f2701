#include "core/blob/blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "core/fs/file_system.h"

namespace kura {
namespace {

// Checks the characters of `s`; `what` is "key" or "prefix".
Status CheckBytes(std::string_view s, std::string_view what) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return InvalidArgumentError("blob " + std::string(what) +
                                  " must not contain NUL or control characters");
    }
    if (c == '\\') {
      return InvalidArgumentError("blob " + std::string(what) + " must not contain '\\'");
    }
  }
  return OkStatus();
}

// Checks complete segments of `s` (split on '/'). When `last_is_partial`,
// the text after the final '/' is only a name prefix and may be empty.
Status CheckSegments(std::string_view s, std::string_view what, bool last_is_partial) {
  const std::string w(what);
  size_t begin = 0;
  for (;;) {
    const size_t end = s.find('/', begin);
    const bool last = end == std::string_view::npos;
    const std::string_view seg = s.substr(begin, last ? std::string_view::npos : end - begin);
    if (!(last && last_is_partial)) {
      if (seg.empty()) return InvalidArgumentError("blob " + w + " has an empty segment");
      if (seg == "." || seg == "..") {
        return InvalidArgumentError("blob " + w + " must not contain '.' or '..' segments");
      }
    }
    if (seg.size() > kMaxBlobKeySegmentBytes) {
      return InvalidArgumentError("blob " + w + " has a segment longer than " +
                                  std::to_string(kMaxBlobKeySegmentBytes) + " bytes");
    }
    if (IsTempFileName(seg)) {
      return InvalidArgumentError("blob " + w + " segments must not start with '" +
                                  std::string(kTempFilePrefix) + "' (reserved)");
    }
    if (last) return OkStatus();
    begin = end + 1;
  }
}

Status CheckCommon(std::string_view s, std::string_view what) {
  if (s.size() > kMaxBlobKeyBytes) {
    return InvalidArgumentError("blob " + std::string(what) + " is longer than " +
                                std::to_string(kMaxBlobKeyBytes) + " bytes");
  }
  if (s.starts_with('/')) {
    return InvalidArgumentError("blob " + std::string(what) + " must be relative (no leading '/')");
  }
  return CheckBytes(s, what);
}

}  // namespace

Status ValidateBlobKey(std::string_view key) {
  if (key.empty()) return InvalidArgumentError("blob key must not be empty");
  RETURN_IF_ERROR(CheckCommon(key, "key"));
  return CheckSegments(key, "key", /*last_is_partial=*/false);
}

Status ValidateBlobPrefix(std::string_view prefix) {
  if (prefix.empty()) return OkStatus();
  RETURN_IF_ERROR(CheckCommon(prefix, "prefix"));
  return CheckSegments(prefix, "prefix", /*last_is_partial=*/true);
}

Result<std::unique_ptr<FileBlobSource>> FileBlobSource::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return NotFoundError("blob source: not found: " + path);
    if (err == EACCES || err == EPERM) {
      return PermissionDeniedError("blob source: permission denied: " + path);
    }
    return InternalError("blob source: cannot open: " + path);
  }
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<FileBlobSource>(new FileBlobSource(fd, path));
}

FileBlobSource::~FileBlobSource() { ::close(fd_); }

Result<size_t> FileBlobSource::Read(char* buf, size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd_, buf, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return InternalError("blob source: read failed: " + path_);
  }
}

Status BlobStore::PutFile(std::string_view key, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<FileBlobSource> source, FileBlobSource::Open(path));
  return PutStream(key, *source);
}

}  // namespace kura
