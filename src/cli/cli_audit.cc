#include "cli/cli_audit.h"

#include <memory>
#include <vector>

#include "core/audit/audit_log.h"
#include "core/audit/audit_sink.h"

namespace kura::cli {

Status AppendCliAuditEvent(CliContext& ctx, const vault::VaultConfig& config,
                           std::string_view service, const AuditEvent& event) {
  if (config.audit_file.empty()) return OkStatus();
  std::vector<std::unique_ptr<AuditSink>> sinks;
  ASSIGN_OR_RETURN(auto sink,
                   FileAuditSink::Open(ctx.fs, config.InDataDir(config.audit_file)));
  sinks.push_back(std::move(sink));
  AuditLog log(ctx.clock, std::string(service), config.node_id, std::move(sinks));
  RETURN_IF_ERROR(log.Emit(event));
  return log.Flush();
}

}  // namespace kura::cli
