#include "bridge/vault_jobs.h"

#include "core/fs/file_system.h"

namespace kura::bridge {

namespace {

std::string Param(const BridgeRequest& r, const std::string& name, std::string fallback = "") {
  auto it = r.params.find(name);
  return it == r.params.end() ? fallback : it->second;
}

}  // namespace

Result<std::string> ReencryptAndRetire(vault::CardVault& vault, keyring::Keyring& keyring,
                                       bool start_new_version, size_t batch,
                                       const ContinueCheck& check_continue) {
  if (start_new_version) RETURN_IF_ERROR(keyring.Rotate().status());
  int64_t total = 0;
  std::string retired;
  for (const keyring::DekInfo& info : keyring.List()) {
    if (info.state != keyring::DekState::kDecryptOnly) continue;
    for (;;) {
      if (check_continue) RETURN_IF_ERROR(check_continue());
      ASSIGN_OR_RETURN(vault::ReencryptReport r, vault.Reencrypt(info.version, batch));
      total += r.reencrypted;
      if (r.remaining == 0) break;
      if (r.reencrypted == 0) return InternalError("rotate-keys: no progress re-encrypting");
    }
    RETURN_IF_ERROR(keyring.Retire(info.version));
    retired += (retired.empty() ? "" : ",") + std::to_string(info.version);
  }
  return "reencrypted=" + std::to_string(total) + " retired=[" + retired +
         "] active=" + std::to_string(keyring.active_version());
}

Result<std::string> PurgeAll(vault::CardVault& vault, const ContinueCheck& check_continue) {
  int64_t deleted = 0;
  int64_t nonces = 0;
  int64_t after_id = 0;  // one pass over the vault, batch by batch
  for (;;) {
    if (check_continue) RETURN_IF_ERROR(check_continue());
    ASSIGN_OR_RETURN(vault::PurgeReport r, vault.Purge(vault::kDefaultPurgeBatch, after_id));
    deleted += r.deleted;
    nonces += r.nonces_purged;
    if (!r.more) break;
    after_id = r.next_after_id;
  }
  return "deleted=" + std::to_string(deleted) + " grant_ids_purged=" + std::to_string(nonces);
}

std::map<std::string, BuiltinJob> MakeVaultJobs(vault::CardVault& vault, keyring::Keyring& keyring,
                                                std::string tokenize_input_dir) {
  std::map<std::string, BuiltinJob> jobs;
  jobs["tokenize-file"] =
      [&vault, dir = std::move(tokenize_input_dir)](const JobContext& ctx) -> Result<JobOutput> {
    if (dir.empty()) return FailedPreconditionError("tokenize-file: no input directory configured");
    const std::string input = Param(ctx.request, "input");
    // Defence in depth on top of the catalog pattern: a plain file name.
    if (input.empty() || input.find('/') != std::string::npos || input.front() == '.') {
      return InvalidArgumentError("tokenize-file: input must be a plain file name");
    }
    TokenizeOptions options;
    options.pan_column = Param(ctx.request, "pan_column", "pan");
    options.exp_column = Param(ctx.request, "exp_column", "exp");
    options.add_masked = Param(ctx.request, "masked") == "true";
    options.add_last4 = Param(ctx.request, "last4") == "true";
    options.check_continue = ctx.check_continue;
    options.max_batches_in_flight = kVaultBatchesInFlight;
    ASSIGN_OR_RETURN(TokenizeReport report,
                     TokenizeCsvFile(JoinPath(dir, input),
                                     JoinPath(ctx.workdir, std::string(kTokenizedArtifactName)),
                                     options, VaultBatchTokenizer(vault)));
    return JobOutput{true, "", -1, report.Summary(), {std::string(kTokenizedArtifactName)}};
  };
  jobs["purge-expired"] = [&vault](const JobContext& ctx) -> Result<JobOutput> {
    ASSIGN_OR_RETURN(std::string summary, PurgeAll(vault, ctx.check_continue));
    return JobOutput{true, "", -1, summary, {}};
  };
  jobs["rotate-keys"] = [&vault, &keyring](const JobContext& ctx) -> Result<JobOutput> {
    ASSIGN_OR_RETURN(
        std::string summary,
        ReencryptAndRetire(vault, keyring, Param(ctx.request, "start_new_version") == "true",
                           kRotateBatch, ctx.check_continue));
    return JobOutput{true, "", -1, summary, {}};
  };
  return jobs;
}

}  // namespace kura::bridge
