// How `kura` commands that need the master key get it: component files named
// on the command line (--component, repeatable), those listed in the config's
// [keys] components, or an interactive prompt (--prompt-components) where
// each custodian pastes their component in turn.
#ifndef KURA_CLI_KEY_SOURCE_H_
#define KURA_CLI_KEY_SOURCE_H_

#include <memory>
#include <string>
#include <vector>

#include "cli/cli_context.h"
#include "core/keyring/key_provider.h"
#include "vault/vault_config.h"

namespace kura::cli {

struct KeySourceFlags {
  std::vector<std::string> component_files;
  bool prompt = false;
};

void AddKeySourceFlags(CLI::App& cmd, KeySourceFlags& flags);

// Errors: kFailedPrecondition when no source is given at all.
Result<std::unique_ptr<keyring::KeyProvider>> MakeKeyProvider(CliContext& ctx,
                                                              const vault::VaultConfig& config,
                                                              const KeySourceFlags& flags);

}  // namespace kura::cli

#endif  // KURA_CLI_KEY_SOURCE_H_
