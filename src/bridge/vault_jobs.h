// The bridge's built-in CDE jobs that work on the vault directly (its
// storage and keyring, no HTTP): each is also a plain `kura bridge` CLI
// command.
//
// Each checks JobContext::check_continue between batches, so a built-in
// stops soon after its catalog timeout (or a lost lease); tokenize-file
// uses the vault's batch store (one durable commit per
// kTokenizeBatchRows rows).
//
//   tokenize-file  params: input (a file name inside input_dir, no '/'),
//                  pan_column, exp_column, masked ("true"/"false", optional),
//                  last4 (optional). Artifact: tokenized.csv.
//   purge-expired  the vault's retention purge (CardVault::Purge), batch
//                  after batch in one pass over the vault (id order).
//   rotate-keys    optional param start_new_version ("true"/"false"): first
//                  Keyring::Rotate; then re-encrypts, in batches, every card
//                  still under a decrypt-only DEK and retires that version.
//                  Resumable: a killed run leaves fewer cards to re-encrypt.
//
// Summaries carry counts and line numbers only, never PANs or tokens.
//
// Thread safety: the jobs run one at a time; the vault and keyring are
// thread-safe themselves.
#ifndef KURA_BRIDGE_VAULT_JOBS_H_
#define KURA_BRIDGE_VAULT_JOBS_H_

#include <functional>
#include <map>
#include <string>

#include "bridge/runner.h"
#include "bridge/tokenize_file.h"
#include "core/keyring/keyring.h"
#include "vault/card_vault.h"

namespace kura::bridge {

inline constexpr size_t kRotateBatch = 500;
inline constexpr std::string_view kTokenizedArtifactName = "tokenized.csv";

// Asked before every batch of a built-in; a non-OK status stops the job
// with that status (JobContext::check_continue). Empty: never stops.
using ContinueCheck = std::function<Status()>;

// Re-encrypts and retires old DEK versions (see rotate-keys). Returns a
// summary ("reencrypted=N retired=[1,2]").
Result<std::string> ReencryptAndRetire(vault::CardVault& vault, keyring::Keyring& keyring,
                                       bool start_new_version, size_t batch = kRotateBatch,
                                       const ContinueCheck& check_continue = {});

// Runs CardVault::Purge until nothing is left. Returns a summary.
Result<std::string> PurgeAll(vault::CardVault& vault, const ContinueCheck& check_continue = {});

// The built-ins keyed by the catalog's `builtin` name. References must
// outlive the returned jobs.
std::map<std::string, BuiltinJob> MakeVaultJobs(vault::CardVault& vault, keyring::Keyring& keyring,
                                                std::string tokenize_input_dir);

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_VAULT_JOBS_H_
