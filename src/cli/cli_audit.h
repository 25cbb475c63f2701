// Audit events for administrative CLI actions (key ceremony, rotation, API
// keys, purge): appended to the vault's own audit file, so the trail of the
// service and of the commands run against it is one.
#ifndef KURA_CLI_CLI_AUDIT_H_
#define KURA_CLI_CLI_AUDIT_H_

#include <string_view>

#include "cli/cli_context.h"
#include "core/audit/audit_event.h"
#include "vault/vault_config.h"

namespace kura::cli {

// Appends `event` (service `service`, node from the config) and fsyncs it.
// OK without writing anything when the config disables the audit file.
Status AppendCliAuditEvent(CliContext& ctx, const vault::VaultConfig& config,
                           std::string_view service, const AuditEvent& event);

}  // namespace kura::cli

#endif  // KURA_CLI_CLI_AUDIT_H_
