// ErrnoStatus: the Status for a failed system call on the vault's own files
// (the database, its change counter), with `message` (which names the
// operation, never file contents) followed by the errno text.
#ifndef KURA_VAULT_ERRNO_STATUS_H_
#define KURA_VAULT_ERRNO_STATUS_H_

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include "core/base/status.h"

namespace kura::vault {

inline Status ErrnoStatus(int err, std::string message) {
  message.append(": ");
  message.append(std::generic_category().message(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return NotFoundError(std::move(message));
    case EACCES:
    case EPERM:
    case EROFS:
    case ELOOP:  // O_NOFOLLOW met a symlink
      return PermissionDeniedError(std::move(message));
    case ENOSPC:
    case EDQUOT:
    case ENOMEM:
      return ResourceExhaustedError(std::move(message));
    default:
      return UnavailableError(std::move(message));
  }
}

}  // namespace kura::vault

#endif  // KURA_VAULT_ERRNO_STATUS_H_
