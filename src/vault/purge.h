// Retention purge (PCI DSS 3.2.1): deletes cards whose expiry (end of the
// expiry month, UTC) lies further in the past than the grace period, plus
// reveal-grant ids whose grants have expired.
//
// Needs no key material: it only deletes, so it can run as a batch job
// without unlocking the keyring. Reports tokens and counts, never PANs.
#ifndef KURA_VAULT_PURGE_H_
#define KURA_VAULT_PURGE_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "vault/card_store.h"

namespace kura::vault {

// Largest number of cards deleted by one call; run again for more.
inline constexpr size_t kDefaultPurgeBatch = 10'000;

struct PurgeReport {
  int64_t deleted = 0;
  std::vector<std::string> tokens;  // tokens only, never PANs
  int64_t nonces_purged = 0;
  // Where the next call goes on (its `after_id`): the last id this call
  // listed, or the `after_id` it was given if it listed none.
  int64_t next_after_id = 0;
  // Whether cards after next_after_id may still be expired (this call
  // listed a full batch); false once the scan reached the last card.
  bool more = false;
};

// Deletes up to `batch_limit` expired cards with an id above `after_id` (in
// id order; CardStore::ListExpired), then the expired grant ids. A whole
// purge is a loop that passes each report's next_after_id to the next call
// while `more`: one pass over the store. Cards stored meanwhile under ids
// the pass went by are left for the next purge.
Result<PurgeReport> PurgeExpiredCards(CardStore& store, const Clock& clock,
                                      std::chrono::hours grace,
                                      size_t batch_limit = kDefaultPurgeBatch,
                                      int64_t after_id = 0);

}  // namespace kura::vault

#endif  // KURA_VAULT_PURGE_H_
