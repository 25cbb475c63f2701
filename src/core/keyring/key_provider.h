// KeyProvider: where the master key (KEK) comes from when a keyring opens.
//
// The KEK is never stored whole. In production it is rebuilt from custodians'
// components (key_component.h), either read from files the custodians bring
// (ComponentFilesKeyProvider, e.g. from removable media) or pasted at a
// prompt (PromptKeyProvider). StaticKeyProvider is for tests and development.
//
// Every provider that combines components enforces the same rules
// (CombineComponents): at least `threshold` distinct components of one key-id,
// and the rebuilt KEK must match the components' kek-kcv.
//
// Thread safety: LoadKek is not safe to call concurrently on one provider
// (PromptKeyProvider reads a stream); distinct providers are independent.
#ifndef KURA_CORE_KEYRING_KEY_PROVIDER_H_
#define KURA_CORE_KEYRING_KEY_PROVIDER_H_

#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "core/base/secret.h"
#include "core/base/status.h"
#include "core/fs/file_system.h"
#include "core/keyring/key_component.h"

namespace kura::keyring {

class KeyProvider {
 public:
  virtual ~KeyProvider() = default;
  // Returns the KEK (kKekSize bytes); the caller owns it and should keep it
  // no longer than needed. Errors are provider-specific (below); none ever
  // carries key material.
  virtual Result<SecretBytes> LoadKek() = 0;
};

// Rebuilds a KEK from custodians' components. Components with the same index
// and the same share count once.
// Errors:
//   kFailedPrecondition  no components; components of different key-ids
//                        ("components belong to different keys"); fewer
//                        distinct components than the threshold
//                        ("need K components, have M");
//   kDataLoss            components of one key-id that disagree on
//                        threshold, custodians or kek-kcv, or give two
//                        different shares for one index; the rebuilt KEK
//                        does not match kek-kcv.
Result<SecretBytes> CombineComponents(const std::vector<KeyComponent>& components);

// Returns a copy of a fixed KEK. For tests and development only.
class StaticKeyProvider final : public KeyProvider {
 public:
  explicit StaticKeyProvider(SecretBytes kek) : kek_(std::move(kek)) {}
  // Never fails.
  Result<SecretBytes> LoadKek() override;

 private:
  const SecretBytes kek_;
};

// Reads one component file per path through `fs` (which must outlive the
// provider) and combines them.
// Errors: those of FileSystem::ReadFile (e.g. kNotFound) and ParseComponent
// (kInvalidArgument, kDataLoss), prefixed with the path; then those of
// CombineComponents.
class ComponentFilesKeyProvider final : public KeyProvider {
 public:
  ComponentFilesKeyProvider(FileSystem& fs, std::vector<std::string> paths)
      : fs_(fs), paths_(std::move(paths)) {}
  Result<SecretBytes> LoadKek() override;

 private:
  FileSystem& fs_;
  const std::vector<std::string> paths_;
};

// Asks custodians for their components one at a time on `out` and reads them
// from `in` (both borrowed; they must outlive the provider). Works with a
// terminal or a pipe.
//
// Protocol: each custodian pastes the whole component file. A component ends
// at an empty line, after its 8th `field: value` line, or at end of input;
// leading empty lines and '#' comments are skipped. Each component is checked
// as it arrives (ParseComponent); a rejected one (malformed, check value
// mismatch, another key-id than the first accepted component, or an index
// already entered) is reported on `out` with the reason, and the custodian
// may try again. Once `threshold` distinct components are in, they are
// combined (CombineComponents). Nothing secret is ever written to `out`.
//
// The provider cannot turn off terminal echo; a CLI using it on a TTY should
// (termios) before calling LoadKek. Input buffers are wiped after use, on a
// best-effort basis (std::istream may keep its own copies).
//
// Errors: kFailedPrecondition "need K components, have M" if input ends
// early; after more than `max_rejected` rejections, the last rejection's
// error; then those of CombineComponents.
class PromptKeyProvider final : public KeyProvider {
 public:
  static constexpr int kMaxRejectedComponents = 5;

  PromptKeyProvider(std::istream& in, std::ostream& out, int max_rejected = kMaxRejectedComponents)
      : in_(in), out_(out), max_rejected_(max_rejected) {}
  Result<SecretBytes> LoadKek() override;

 private:
  std::istream& in_;
  std::ostream& out_;
  const int max_rejected_;
};

}  // namespace kura::keyring

#endif  // KURA_CORE_KEYRING_KEY_PROVIDER_H_
