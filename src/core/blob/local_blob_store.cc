#include "core/blob/local_blob_store.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <utility>

namespace kura {
namespace {

constexpr int kMaxParentRaceRetries = 3;

// A directory where a blob was expected means "no such blob" to callers.
Status DirectoryMeansNotFound(const Status& st, std::string_view key) {
  if (st.code() == StatusCode::kFailedPrecondition) {
    return NotFoundError("blob '" + std::string(key) + "' not found (it is a key prefix)");
  }
  return st;
}

// A read of blob `key`'s file, its errors as Get reports them.
Result<std::string> Found(Result<std::string> data, std::string_view key) {
  if (data.ok()) return data;
  if (data.status().code() == StatusCode::kNotFound) {
    return NotFoundError("blob '" + std::string(key) + "' not found");
  }
  return DirectoryMeansNotFound(data.status(), key);
}

}  // namespace

Result<std::unique_ptr<LocalBlobStore>> LocalBlobStore::Open(FileSystem& fs, std::string root) {
  if (root.empty()) return InvalidArgumentError("blob store root must not be empty");
  RETURN_IF_ERROR(fs.CreateDirs(root, 0700));
  return std::unique_ptr<LocalBlobStore>(new LocalBlobStore(fs, std::move(root)));
}

std::string LocalBlobStore::PathOf(std::string_view key) const { return JoinPath(root_, key); }

Status LocalBlobStore::MakeParents(std::string_view key) {
  const size_t slash = key.rfind('/');
  if (slash == std::string_view::npos) return OkStatus();
  Status st = fs_.CreateDirs(PathOf(key.substr(0, slash)), 0700);
  if (st.code() == StatusCode::kFailedPrecondition) {
    return FailedPreconditionError("blob key '" + std::string(key) +
                                   "' passes through an existing blob");
  }
  return st;
}

Status LocalBlobStore::Put(std::string_view key, std::string_view data) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  Status st;
  // A concurrent Delete may prune the parent directory between MakeParents
  // and the write (kNotFound): make it again.
  for (int attempt = 0; attempt < kMaxParentRaceRetries; ++attempt) {
    RETURN_IF_ERROR(MakeParents(key));
    st = fs_.WriteFileAtomic(PathOf(key), data, 0600);
    if (st.code() != StatusCode::kNotFound) break;
  }
  if (st.code() == StatusCode::kFailedPrecondition) {
    return FailedPreconditionError("blob key '" + std::string(key) +
                                   "' is a prefix of other keys");
  }
  return st;
}

Result<std::string> LocalBlobStore::StreamToTemp(const std::string& path, BlobSource& source) {
  // Unique per process (pid), store object and call; a leftover of a
  // crashed process that had the same pid is removed first.
  char self[32];
  const auto address = static_cast<uintmax_t>(reinterpret_cast<uintptr_t>(this));
  std::snprintf(self, sizeof self, "%jx", address);
  const std::string tmp =
      JoinPath(DirName(path), std::string(kTempFilePrefix) + "stream." +
                                  std::to_string(::getpid()) + "." + self + "." +
                                  std::to_string(next_temp_.fetch_add(1)));
  fs_.RemoveFile(tmp).IgnoreError();
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, fs_.OpenAppendable(tmp, 0600));
  auto copy = [&]() -> Status {
    std::string chunk(kBlobStreamChunkBytes, '\0');
    for (;;) {
      ASSIGN_OR_RETURN(size_t n, source.Read(chunk.data(), chunk.size()));
      if (n == 0) break;
      RETURN_IF_ERROR(file->Append(std::string_view(chunk.data(), n)));
    }
    RETURN_IF_ERROR(file->Sync());
    return file->Close();
  };
  Status st = copy();
  if (!st.ok()) {
    file->Close().IgnoreError();
    fs_.RemoveFile(tmp).IgnoreError();
    return st;
  }
  return tmp;
}

Status LocalBlobStore::PutStream(std::string_view key, BlobSource& source) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  const std::string path = PathOf(key);
  Result<std::string> tmp = NotFoundError("blob directory vanished");
  // As in Put: a concurrent Delete may prune the parent directory before
  // the temporary is created. The source is only read once the temporary
  // exists, so a retry never re-reads it.
  for (int attempt = 0; attempt < kMaxParentRaceRetries; ++attempt) {
    RETURN_IF_ERROR(MakeParents(key));
    tmp = StreamToTemp(path, source);
    if (tmp.status().code() != StatusCode::kNotFound || fs_.Exists(DirName(path))) break;
  }
  RETURN_IF_ERROR(tmp.status());
  Status st = fs_.Rename(*tmp, path);
  if (!st.ok()) {
    fs_.RemoveFile(*tmp).IgnoreError();
    if (st.code() == StatusCode::kFailedPrecondition || fs_.IsDirectory(path).value_or(false)) {
      return FailedPreconditionError("blob key '" + std::string(key) +
                                     "' is a prefix of other keys");
    }
    return st;
  }
  return fs_.SyncDir(DirName(path));
}

Status LocalBlobStore::PutIfAbsent(std::string_view key, std::string_view data) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  const std::string path = PathOf(key);
  Status st;
  for (int attempt = 0; attempt < kMaxParentRaceRetries; ++attempt) {
    RETURN_IF_ERROR(MakeParents(key));
    st = fs_.CreateFileExclusive(path, data, 0600);
    if (st.code() != StatusCode::kNotFound) break;
  }
  if (st.code() == StatusCode::kAlreadyExists) {
    // Could be a directory of keys rather than a blob.
    if (fs_.IsDirectory(path).value_or(false)) {
      return FailedPreconditionError("blob key '" + std::string(key) +
                                     "' is a prefix of other keys");
    }
    return AlreadyExistsError("blob '" + std::string(key) + "' already exists");
  }
  return st;
}

Result<std::string> LocalBlobStore::Get(std::string_view key) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  return Found(fs_.ReadFile(PathOf(key)), key);
}

Result<std::string> LocalBlobStore::GetAtMost(std::string_view key, size_t max_bytes) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  Result<std::string> data = fs_.ReadFileAtMost(PathOf(key), max_bytes);
  if (data.status().code() == StatusCode::kOutOfRange) {
    return OutOfRangeError("blob '" + std::string(key) + "' is larger than " +
                           std::to_string(max_bytes) + " bytes");
  }
  return Found(std::move(data), key);
}

Status LocalBlobStore::Delete(std::string_view key) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  const std::string path = PathOf(key);
  Status st = fs_.RemoveFile(path);
  if (st.code() == StatusCode::kNotFound) {
    return NotFoundError("blob '" + std::string(key) + "' not found");
  }
  RETURN_IF_ERROR(DirectoryMeansNotFound(st, key));
  RETURN_IF_ERROR(fs_.SyncDir(DirName(path)));
  PruneEmptyParents(key);
  return OkStatus();
}

void LocalBlobStore::PruneEmptyParents(std::string_view key) {
  // Without this, deleting "a/b" would leave a directory "a" that blocks a
  // later Put("a") (MemoryBlobStore has no such leftovers). Best effort: a
  // non-empty directory or a concurrent writer just stops the pruning.
  for (size_t slash = key.rfind('/'); slash != std::string_view::npos;
       slash = key.rfind('/', slash - 1)) {
    const std::string dir = PathOf(key.substr(0, slash));
    if (!fs_.RemoveDir(dir).ok()) return;
    fs_.SyncDir(DirName(dir)).IgnoreError();
    if (slash == 0) return;
  }
}

Status LocalBlobStore::Walk(const std::string& rel, std::vector<std::string>& out) {
  const std::string dir = rel.empty() ? root_ : PathOf(rel);
  Result<std::vector<std::string>> names = fs_.ListDir(dir);
  if (!names.ok()) {
    // A directory removed or replaced while we walk simply has no keys.
    const StatusCode code = names.status().code();
    if (code == StatusCode::kNotFound || code == StatusCode::kFailedPrecondition) {
      return OkStatus();
    }
    return names.status();
  }
  for (const std::string& name : *names) {
    if (IsTempFileName(name)) continue;
    std::string key = rel.empty() ? name : rel + "/" + name;
    // Deeper paths cannot be valid keys; stopping here also ends symlink
    // loops.
    if (key.size() > kMaxBlobKeyBytes) continue;
    Result<bool> is_dir = fs_.IsDirectory(PathOf(key));
    if (!is_dir.ok()) {
      if (is_dir.status().code() == StatusCode::kNotFound) continue;  // deleted meanwhile
      return is_dir.status();
    }
    if (*is_dir) {
      RETURN_IF_ERROR(Walk(key, out));
    } else if (ValidateBlobKey(key).ok()) {
      out.push_back(std::move(key));
    }
  }
  return OkStatus();
}

Result<std::vector<std::string>> LocalBlobStore::List(std::string_view prefix) {
  RETURN_IF_ERROR(ValidateBlobPrefix(prefix));
  // Only the directory fully named by the prefix needs walking.
  const size_t slash = prefix.rfind('/');
  const std::string start(slash == std::string_view::npos ? std::string_view()
                                                          : prefix.substr(0, slash));
  std::vector<std::string> keys;
  RETURN_IF_ERROR(Walk(start, keys));
  std::erase_if(keys, [prefix](const std::string& k) { return !k.starts_with(prefix); });
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace kura
