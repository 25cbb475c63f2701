#include "vault/change_generation.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

#include "vault/errno_status.h"

namespace kura::vault {

namespace {

// The counter's bytes in the file (a native-endian uint64_t at offset 0).
constexpr off_t kCounterFileBytes = sizeof(uint64_t);

static_assert(std::atomic_ref<uint64_t>::is_always_lock_free,
              "the shared counter must be a lock-free (address-free) atomic");

Status OpenError(int err, std::string_view what) {
  return ErrnoStatus(err, "change generation file: " + std::string(what));
}

std::atomic_ref<uint64_t> Ref(uint64_t* p) { return std::atomic_ref<uint64_t>(*p); }

}  // namespace

Result<std::unique_ptr<ChangeGeneration>> ChangeGeneration::Open(
    const std::string& path, const std::string& database_path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return OpenError(errno, "open");
  // The mapping stays valid after the descriptor is closed.
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::fchmod(fd, 0600) != 0) return OpenError(errno, "chmod");
  struct stat st {};
  if (::fstat(fd, &st) != 0) return OpenError(errno, "stat");
  if (::geteuid() == 0) {
    // Best effort, like SQLite's for -wal/-shm: where root cannot chown
    // (NFS root_squash, an unmapped owner in a user namespace) the file
    // stays root's and the store still opens.
    struct stat db {};
    if (::stat(database_path.c_str(), &db) == 0 &&
        (db.st_uid != st.st_uid || db.st_gid != st.st_gid)) {
      (void)::fchown(fd, db.st_uid, db.st_gid);
    }
  }
  if (st.st_size != 0 && st.st_size != kCounterFileBytes) {
    return DataLossError("change generation file: unexpected size");
  }
  // A new file is empty: allocating its block zero-fills it (a stable
  // value). On an existing file this changes nothing, so two processes
  // creating it at once are fine.
  if (const int err = ::posix_fallocate(fd, 0, kCounterFileBytes); err != 0) {
    return OpenError(err, "allocate");
  }
  void* map = ::mmap(nullptr, kCounterFileBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return OpenError(errno, "map");
  return std::unique_ptr<ChangeGeneration>(new ChangeGeneration(map));
}

ChangeGeneration::~ChangeGeneration() { ::munmap(map_, kCounterFileBytes); }

uint64_t ChangeGeneration::Load() const { return Ref(counter()).load(); }

uint64_t ChangeGeneration::Begin() {
  auto ref = Ref(counter());
  uint64_t old = ref.load();
  // The next odd value: larger than any value a reader may have seen.
  while (!ref.compare_exchange_weak(old, (old | 1) + 2)) {
  }
  return (old | 1) + 2;
}

void ChangeGeneration::End(uint64_t begun) {
  uint64_t expected = begun;
  // Fails, harmlessly, if a later writer's Begin() (or a Heal()) already
  // moved the value on: that writer's End() stabilises it.
  Ref(counter()).compare_exchange_strong(expected, begun + 1);
}

void ChangeGeneration::Heal() {
  auto ref = Ref(counter());
  uint64_t old = ref.load();
  while (!IsStable(old) && !ref.compare_exchange_weak(old, old + 1)) {
  }
}

}  // namespace kura::vault
