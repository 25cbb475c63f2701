#include "core/fs/memory_file_system.h"

#include <limits>
#include <utility>

namespace kura {

struct MemoryFileSystem::Node {
  std::string contents;
  size_t synced_size = 0;
  uint32_t mode = 0600;
};

namespace {

// Collapses "//" and "/./", drops trailing "/"; keeps a leading "/" so
// absolute and relative paths stay distinct. ".." is kept verbatim: tests
// have no reason to use it and resolving it lexically would be wrong for
// symlinks anyway.
std::string Normalize(std::string_view path) {
  const bool absolute = path.starts_with('/');
  std::string out = absolute ? "/" : "";
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    const std::string_view seg = path.substr(i, j - i);
    if (!seg.empty() && seg != ".") {
      if (!out.empty() && out.back() != '/') out += '/';
      out += seg;
    }
    i = j + 1;
  }
  if (out.empty()) out = ".";
  return out;
}

class MemoryWritableFile final : public WritableFile {
 public:
  MemoryWritableFile(std::mutex& mu, std::shared_ptr<MemoryFileSystem::Node> node,
                     std::string path)
      : mu_(mu), node_(std::move(node)), path_(std::move(path)) {}

  Status Append(std::string_view data) override {
    if (closed_) return FailedPreconditionError("'" + path_ + "' is closed");
    std::lock_guard<std::mutex> lock(mu_);
    node_->contents.append(data);
    return OkStatus();
  }
  Status Sync() override {
    if (closed_) return FailedPreconditionError("'" + path_ + "' is closed");
    std::lock_guard<std::mutex> lock(mu_);
    node_->synced_size = node_->contents.size();
    return OkStatus();
  }
  Status Close() override {
    closed_ = true;
    return OkStatus();
  }

 private:
  std::mutex& mu_;
  const std::shared_ptr<MemoryFileSystem::Node> node_;
  const std::string path_;
  bool closed_ = false;
};

}  // namespace

MemoryFileSystem::MemoryFileSystem() {
  dirs_["/"] = 0755;
  dirs_["."] = 0755;
}

Status MemoryFileSystem::CheckParentLocked(const std::string& norm, std::string_view op) const {
  const std::string parent = DirName(norm);
  if (dirs_.count(parent) != 0) return OkStatus();
  std::string msg(op);
  msg += " '" + norm + "': ";
  if (files_.count(parent) != 0) return NotFoundError(msg + "Not a directory");
  return NotFoundError(msg + "No such file or directory");
}

Result<std::string> MemoryFileSystem::ReadFile(const std::string& path) {
  return ReadFileAtMost(path, std::numeric_limits<size_t>::max());
}

Result<std::string> MemoryFileSystem::ReadFileAtMost(const std::string& path, size_t max_bytes) {
  const std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(norm);
  if (it != files_.end()) {
    if (it->second->contents.size() > max_bytes) {
      return OutOfRangeError("read '" + norm + "': larger than " + std::to_string(max_bytes) +
                             " bytes");
    }
    return it->second->contents;
  }
  if (dirs_.count(norm) != 0) return FailedPreconditionError("read '" + norm + "': Is a directory");
  return NotFoundError("open '" + norm + "': No such file or directory");
}

Status MemoryFileSystem::WriteFileAtomic(const std::string& path, std::string_view data,
                                         uint32_t mode) {
  const std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckParentLocked(norm, "create temporary for"));
  if (dirs_.count(norm) != 0) return FailedPreconditionError("rename '" + norm + "': Is a directory");
  // A fresh node, like rename(2) of a new inode: open WritableFiles on the
  // old file keep writing to the old, now unlinked, node.
  auto node = std::make_shared<Node>();
  node->contents.assign(data);
  node->synced_size = node->contents.size();
  node->mode = mode;
  files_[norm] = std::move(node);
  return OkStatus();
}

Status MemoryFileSystem::CreateFileExclusive(const std::string& path, std::string_view data,
                                             uint32_t mode) {
  const std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckParentLocked(norm, "create"));
  if (files_.count(norm) != 0 || dirs_.count(norm) != 0) {
    return AlreadyExistsError("create '" + norm + "': file exists");
  }
  auto node = std::make_shared<Node>();
  node->contents.assign(data);
  node->synced_size = node->contents.size();
  node->mode = mode;
  files_[norm] = std::move(node);
  return OkStatus();
}

Result<std::unique_ptr<WritableFile>> MemoryFileSystem::OpenAppendable(const std::string& path,
                                                                       uint32_t mode) {
  const std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(CheckParentLocked(norm, "open for append"));
  if (dirs_.count(norm) != 0) {
    return FailedPreconditionError("open for append '" + norm + "': Is a directory");
  }
  auto& node = files_[norm];
  if (node == nullptr) {
    node = std::make_shared<Node>();
    node->mode = mode;
  }
  return std::unique_ptr<WritableFile>(std::make_unique<MemoryWritableFile>(mu_, node, norm));
}

Status MemoryFileSystem::CreateDirs(const std::string& path, uint32_t mode) {
  if (path.empty()) return InvalidArgumentError("create directory: empty path");
  const std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = norm.find('/', pos + 1);
    const std::string prefix = norm.substr(0, pos);
    if (dirs_.count(prefix) != 0) continue;
    if (files_.count(prefix) != 0) {
      return FailedPreconditionError("create directory '" + norm + "': '" + prefix +
                                     "' exists and is not a directory");
    }
    dirs_[prefix] = mode;
  }
  return OkStatus();
}

Result<std::vector<std::string>> MemoryFileSystem::ListDir(const std::string& path) {
  const std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  if (dirs_.count(norm) == 0) {
    if (files_.count(norm) != 0) {
      return FailedPreconditionError("list '" + norm + "': not a directory");
    }
    return NotFoundError("list '" + norm + "': No such file or directory");
  }
  std::set<std::string> names;
  auto collect = [&](const std::string& entry) {
    if (entry == norm || DirName(entry) != norm) return;
    names.insert(BaseName(entry));
  };
  for (const auto& [p, node] : files_) collect(p);
  for (const auto& [p, m] : dirs_) collect(p);
  return std::vector<std::string>(names.begin(), names.end());
}

Status MemoryFileSystem::RemoveFile(const std::string& path) {
  const std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  if (files_.erase(norm) != 0) return OkStatus();
  if (dirs_.count(norm) != 0) return FailedPreconditionError("remove '" + norm + "': is a directory");
  return NotFoundError("remove '" + norm + "': No such file or directory");
}

Status MemoryFileSystem::RemoveDir(const std::string& path) {
  const std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  if (dirs_.count(norm) == 0) {
    if (files_.count(norm) != 0) {
      return FailedPreconditionError("remove directory '" + norm + "': not a directory");
    }
    return NotFoundError("remove directory '" + norm + "': No such file or directory");
  }
  if (norm == "/" || norm == ".") {
    return FailedPreconditionError("remove directory '" + norm + "': is a root");
  }
  auto is_child = [&norm](const std::string& p) { return p != norm && DirName(p) == norm; };
  for (const auto& [p, node] : files_) {
    if (is_child(p)) return FailedPreconditionError("remove directory '" + norm + "': not empty");
  }
  for (const auto& [p, m] : dirs_) {
    if (is_child(p)) return FailedPreconditionError("remove directory '" + norm + "': not empty");
  }
  dirs_.erase(norm);
  return OkStatus();
}

Status MemoryFileSystem::Rename(const std::string& from, const std::string& to) {
  const std::string f = Normalize(from);
  const std::string t = Normalize(to);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(f);
  if (it == files_.end()) {
    // Renaming directories is not needed by Kura; refuse rather than fake it.
    if (dirs_.count(f) != 0) return UnimplementedError("rename of directory '" + f + "'");
    return NotFoundError("rename to '" + t + "' from '" + f + "': No such file or directory");
  }
  RETURN_IF_ERROR(CheckParentLocked(t, "rename to"));
  if (dirs_.count(t) != 0) return FailedPreconditionError("rename '" + t + "': Is a directory");
  auto node = it->second;
  files_.erase(it);
  files_[t] = std::move(node);
  return OkStatus();
}

Status MemoryFileSystem::SyncDir(const std::string& path) {
  const std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  if (dirs_.count(norm) != 0) return OkStatus();
  return NotFoundError("open directory '" + norm + "': No such file or directory");
}

bool MemoryFileSystem::Exists(const std::string& path) {
  const std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  return files_.count(norm) != 0 || dirs_.count(norm) != 0;
}

Result<bool> MemoryFileSystem::IsDirectory(const std::string& path) {
  const std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  if (dirs_.count(norm) != 0) return true;
  if (files_.count(norm) != 0) return false;
  return NotFoundError("stat '" + norm + "': No such file or directory");
}

Result<uint32_t> MemoryFileSystem::GetMode(const std::string& path) {
  const std::string norm = Normalize(path);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = files_.find(norm); it != files_.end()) return it->second->mode;
  if (auto it = dirs_.find(norm); it != dirs_.end()) return it->second;
  return NotFoundError("stat '" + norm + "': No such file or directory");
}

void MemoryFileSystem::SimulateCrash() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [p, node] : files_) node->contents.resize(node->synced_size);
}

}  // namespace kura
