// InitKeys: the ceremony behind `kura keys init`.
//
// Generates a fresh master key (KEK), splits it among custodians (Shamir,
// threshold >= 2 so no single custodian can rebuild it), writes one component
// file per custodian, creates the keyring wrapped under the KEK, and forgets
// the KEK. Afterwards the KEK exists only as the sum of the components.
//
// Thread safety: thread-safe with respect to distinct paths; two concurrent
// ceremonies on the same paths fail cleanly (exclusive creates).
#ifndef KURA_CORE_KEYRING_INIT_KEYS_H_
#define KURA_CORE_KEYRING_INIT_KEYS_H_

#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/base/status.h"
#include "core/fs/file_system.h"

namespace kura::keyring {

struct InitResult {
  std::string key_id;                        // "kek-YYYYMMDD-xxxxxx" (UTC date, 6 random hex).
  std::string kek_kcv;                       // For the ceremony record; safe to print.
  std::vector<std::string> component_paths;  // custodian-1.key .. custodian-N.key
};

// Runs the ceremony. `components_dir` is created (0700) if missing; component
// files are `<components_dir>/custodian-<i>.key`, mode 0600, created
// exclusively (never overwriting). The caller hands each file to its
// custodian and removes it from this machine.
//
// On any error, component files this call created are removed again (a
// component of a KEK that guards no keyring is useless and a liability).
// Errors: kInvalidArgument unless 2 <= threshold <= custodians <= 16;
// kAlreadyExists if the keyring or any component file already exists; errors
// of `random` and of the file system.
Result<InitResult> InitKeys(FileSystem& fs, const std::string& keyring_path,
                            const std::string& components_dir, int custodians, int threshold,
                            const Clock& clock, Random& random);

}  // namespace kura::keyring

#endif  // KURA_CORE_KEYRING_INIT_KEYS_H_
