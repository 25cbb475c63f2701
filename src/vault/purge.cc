#include "vault/purge.h"

#include <algorithm>

namespace kura::vault {

Result<PurgeReport> PurgeExpiredCards(CardStore& store, const Clock& clock,
                                      std::chrono::hours grace, size_t batch_limit,
                                      int64_t after_id) {
  PurgeReport report;
  const TimePoint cutoff = clock.Now() - grace;
  ASSIGN_OR_RETURN(std::vector<CardRecord> expired,
                   store.ListExpired(cutoff, batch_limit, after_id));
  report.next_after_id = expired.empty() ? after_id : expired.back().id;
  // A full page (the store clamps the limit to kMaxListLimit).
  report.more = expired.size() >= std::min(batch_limit, kMaxListLimit);
  for (const CardRecord& rec : expired) {
    Status s = store.Delete(rec.token, rec.id);
    if (s.code() == StatusCode::kNotFound) continue;  // deleted concurrently
    RETURN_IF_ERROR(s);
    report.tokens.push_back(rec.token);
    ++report.deleted;
  }
  ASSIGN_OR_RETURN(report.nonces_purged, store.PurgeNonces(clock.NowUnixMillis()));
  return report;
}

}  // namespace kura::vault
