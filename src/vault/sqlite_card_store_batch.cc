// SqliteCardStore's bulk insert (InsertBatch): validation and ordering on
// the calling thread, the items on the writer, and the merge of the recent
// fingerprint slots that follows (see sqlite_card_store.h and
// sqlite_card_index.h).
#include "vault/sqlite_card_store.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "vault/sqlite_card_index.h"
#include "vault/sqlite_card_rows.h"
#include "vault/sqlite_connection.h"

namespace kura::vault {

using sqlite::Connection;

namespace {

// A slots filter is (re)built once the bulk-insert items looked up without
// one reach 1/kSlotsFilterRebuildRatio of the cards (ids handed out): a
// scan of the slot table costs much less than that many look-ups, and a
// small job into a large vault never pays for one.
constexpr int64_t kSlotsFilterRebuildRatio = 8;
// A new filter has room for kSlotsFilterGrowth times the ids handed out
// (cards, roughly), at least kSlotsFilterMinCapacity: the merges that follow
// add to it, and it is rebuilt larger once over capacity (a scan of the
// table, ~0.3 µs per slot here: growing 4x at a time, a 10^7-card job into
// an empty vault scans ~4 * 10^6 slots in all).
constexpr int64_t kSlotsFilterGrowth = 4;
constexpr int64_t kSlotsFilterMinCapacity = int64_t{1} << 20;

// The filter of fingerprint_recent is rebuilt (one scan of that table,
// which holds at most a merge threshold of entries) once the bulk items
// looked up without it reach 1/kRecentFilterRebuildRatio of its entries.
// It has room for kRecentFilterGrowth merge thresholds: it is emptied at
// each merge.
constexpr int64_t kRecentFilterRebuildRatio = 4;
constexpr int64_t kRecentFilterGrowth = 2;

// Keeps `kept` if it is valid at `version`. Otherwise drops it and, once the
// bulk items looked up without one reach 1/`ratio` of `entries` (or the last
// one was dropped for being full), builds one of `capacity` keys with `fill`.
Status RefreshFilter(KeptSlotFilter& kept, int64_t version, size_t items, int64_t ratio,
                     int64_t entries, int64_t capacity,
                     Status (*fill)(Connection&, SlotFilter&), Connection& c) {
  if (kept.filter != nullptr && kept.valid_at == version) return OkStatus();
  kept.filter.reset();
  kept.items_without += static_cast<int64_t>(items);
  if (!kept.outgrown && kept.items_without * ratio < entries) return OkStatus();
  auto filter = std::make_unique<SlotFilter>(static_cast<size_t>(capacity));
  RETURN_IF_ERROR(fill(c, *filter));
  kept.filter = std::move(filter);
  kept.valid_at = version;
  kept.items_without = 0;
  kept.outgrown = false;
  return OkStatus();
}

}  // namespace

Result<std::vector<Result<InsertOutcome>>> SqliteCardStore::InsertBatch(
    std::vector<BatchInsertItem> items) {
  // Every outcome is set below, by validation or by InsertItems (a short
  // placeholder message: no allocation per item).
  std::vector<Result<InsertOutcome>> out(items.size(), InternalError("not run"));
  std::vector<size_t> order;  // the valid items, in the order they are applied
  order.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (Status s = ValidateRecord(items[i].record); !s.ok()) {
      out[i] = std::move(s);
    } else {
      order.push_back(i);
    }
  }
  if (order.empty()) return out;
  // Items whose fingerprint is unique in the batch do not interact, so they
  // go in fingerprint order: consecutive look-ups and inserts then walk the
  // fingerprint index from left to right instead of hopping between random
  // pages (rows themselves are appended). Items sharing a fingerprint follow,
  // each fingerprint's in their own order, so de-duplication within the
  // batch is exactly that of one call after the other. CardVault passes
  // batches sorted already: checked first, in one pass.
  const auto fingerprint = [&items](size_t i) -> const std::string& {
    return items[i].record.fingerprint;
  };
  const auto by_fingerprint = [&fingerprint](size_t a, size_t b) {
    return fingerprint(a) < fingerprint(b);
  };
  if (!std::is_sorted(order.begin(), order.end(), by_fingerprint)) {
    std::stable_sort(order.begin(), order.end(), by_fingerprint);
  }
  std::vector<size_t> shared;  // runs of one fingerprint, each in item order
  size_t unique_end = 0;
  for (size_t k = 0; k < order.size();) {
    size_t run_end = k + 1;
    while (run_end < order.size() && fingerprint(order[run_end]) == fingerprint(order[k])) {
      ++run_end;
    }
    if (run_end - k == 1) {
      order[unique_end++] = order[k];
    } else {
      shared.insert(shared.end(), order.begin() + static_cast<std::ptrdiff_t>(k),
                    order.begin() + static_cast<std::ptrdiff_t>(run_end));
    }
    k = run_end;
  }
  order.resize(unique_end);
  order.insert(order.end(), shared.begin(), shared.end());
  std::vector<uint8_t> fresh_stored(items.size(), 0);
  const Status s = Submit(
      [this, &items, &order, &out, &fresh_stored](Connection& c) -> Status {
        return InsertItems(c, items, order, out, fresh_stored);
      },
      /*scrub=*/false, PageCacheUse::kBatch);
  if (!s.ok()) return s;
  // The inserted records: each item's own, moved here rather than on the
  // writer.
  for (size_t i : order) {
    if (fresh_stored[i] != 0) {
      InsertOutcome& o = out[i].EmplaceDefault();
      o.record = std::move(items[i].record);
      o.inserted = true;
      continue;
    }
    if (!out[i].ok() || !out[i]->inserted) continue;
    const int64_t id = out[i]->record.id;
    out[i]->record = std::move(items[i].record);
    out[i]->record.id = id;
  }
  return out;
}

Status SqliteCardStore::InsertItems(Connection& c, const std::vector<BatchInsertItem>& items,
                                    const std::vector<size_t>& order,
                                    std::vector<Result<InsertOutcome>>& out,
                                    std::vector<uint8_t>& fresh_stored) {
  ASSIGN_OR_RETURN(index_.overflow_empty, OverflowIsEmpty(c));
  RETURN_IF_ERROR(RefreshSlotFilters(c, order.size()));
  // Large enough for a run of its own (sqlite_card_index.h): its slots are
  // then appended, in fingerprint order.
  ASSIGN_OR_RETURN(const int64_t threshold, RecentSlotsMergeThreshold(c));
  index_.own_recent_run = static_cast<int64_t>(order.size()) * kMaxRecentRuns >= threshold;
  if (index_.own_recent_run) index_.recent_run = 0;  // its first slot starts the run
  // For this operation's items only (a single insert looks up without, and
  // writes its slot at once).
  index_.bulk = true;
  const int64_t slots_before = index_.slots_skipped;
  const int64_t recent_before = index_.recent_skipped;
  Status s = InsertEachItem(c, items, order, out, fresh_stored);
  // The slots still pending, before the merge check reads the table (on
  // failure the operation is undone: they are dropped).
  if (s.ok()) {
    s = FlushRecentSlots(c, index_.pending_recent);
  } else {
    index_.pending_recent.entries.clear();
  }
  index_.bulk = false;
  slots_skipped_.fetch_add(static_cast<uint64_t>(index_.slots_skipped - slots_before));
  recent_skipped_.fetch_add(static_cast<uint64_t>(index_.recent_skipped - recent_before));
  return s;  // RunBatch merges the recent slots if due
}

Status SqliteCardStore::InsertEachItem(Connection& c, const std::vector<BatchInsertItem>& items,
                                       const std::vector<size_t>& order,
                                       std::vector<Result<InsertOutcome>>& out,
                                       std::vector<uint8_t>& fresh_stored) {
  // An item's own failure (a constraint: that statement alone was undone)
  // is its outcome; anything else fails the operation.
  const auto settle = [&c, &out](size_t i, Result<InsertOutcome> r) -> Status {
    const StatusCode code = r.status().code();
    if (code == StatusCode::kAlreadyExists || code == StatusCode::kInvalidArgument) {
      // The transaction goes on (unless SQLite ended it).
      if (c.InAutocommit()) return InternalError("card store: transaction rolled back");
    } else if (!r.ok()) {
      return r.status();
    }
    out[i] = std::move(r);
    return OkStatus();
  };
  // New cards with reserved ids (nearly all of a bulk job) wait here, probed,
  // and are inserted kCardsPerInsert at a time; any other item first writes
  // them, so items are applied in order. A probe is not affected by waiting
  // cards unless it shares a prefix with one: those are written first.
  std::vector<const CardRecord*> fresh;
  std::vector<size_t> fresh_items;  // their items
  std::vector<int64_t> fresh_prefixes;
  fresh.reserve(kCardsPerInsert);
  fresh_items.reserve(kCardsPerInsert);
  fresh_prefixes.reserve(kCardsPerInsert);
  const auto write_fresh = [&]() -> Status {
    if (fresh.empty()) return OkStatus();
    ASSIGN_OR_RETURN(const bool inserted, InsertFreshCards(c, fresh, index_));
    for (size_t j = 0; j < fresh.size(); ++j) {
      const size_t i = fresh_items[j];
      if (inserted) {
        fresh_stored[i] = 1;  // InsertBatch fills its outcome in
      } else {
        // A constraint failed and nothing was stored: one at a time, to
        // tell which.
        RETURN_IF_ERROR(settle(
            i, InsertOrFindCard(c, items[i].record, items[i].dedup, index_)));
      }
    }
    fresh.clear();
    fresh_items.clear();
    fresh_prefixes.clear();
    return OkStatus();
  };
  if (index_.id_limit == 0) {
    ASSIGN_OR_RETURN(index_.id_limit, FirstUnreservedId(c));
  }
  for (size_t k = 0; k < order.size(); ++k) {
    // The filters' blocks of an item a few ahead (cache misses otherwise:
    // see SlotFilter::Prefetch).
    if (k + kSlotFilterPrefetchDistance < order.size()) {
      const int64_t ahead =
          FingerprintPrefix(items[order[k + kSlotFilterPrefetchDistance]].record.fingerprint);
      if (index_.slots.filter != nullptr) index_.slots.filter->Prefetch(ahead);
      if (index_.recent.filter != nullptr) index_.recent.filter->Prefetch(ahead);
    }
    const size_t i = order[k];
    const CardRecord& r = items[i].record;
    const int64_t prefix = FingerprintPrefix(r.fingerprint);
    if (std::find(fresh_prefixes.begin(), fresh_prefixes.end(), prefix) != fresh_prefixes.end()) {
      RETURN_IF_ERROR(write_fresh());
    }
    // Earlier items of this batch are visible to the look-up (same
    // transaction), except waiting fresh cards (none with this prefix).
    ASSIGN_OR_RETURN(const FingerprintProbe probe, ProbeForInsert(c, r.fingerprint, index_));
    if (probe.found_id == 0 && !probe.slot_taken && r.id > 0 && r.id < index_.id_limit) {
      fresh.push_back(&r);
      fresh_items.push_back(i);
      fresh_prefixes.push_back(prefix);
      if (fresh.size() == kCardsPerInsert) RETURN_IF_ERROR(write_fresh());
      continue;
    }
    RETURN_IF_ERROR(write_fresh());
    RETURN_IF_ERROR(settle(
        i, InsertOrFindProbedCard(c, r, items[i].dedup, probe, index_)));
  }
  return write_fresh();
}

void SqliteCardStore::ForgetSlotFilters() {
  index_.slots.filter.reset();
  index_.recent.filter.reset();
}

Status SqliteCardStore::RefreshSlotFilters(Connection& c, size_t items) {
  // fingerprint_slots: another process merged since (or this one lost
  // track) once slots_generation moved. Its size is bounded by the ids
  // handed out, which this transaction reads anyway (InsertRow).
  ASSIGN_OR_RETURN(const int64_t generation, SlotsGeneration(c));
  if (index_.id_limit == 0) {
    ASSIGN_OR_RETURN(index_.id_limit, FirstUnreservedId(c));
  }
  RETURN_IF_ERROR(RefreshFilter(
      index_.slots, generation, items, kSlotsFilterRebuildRatio, index_.id_limit,
      kSlotsFilterGrowth * std::max(index_.id_limit, kSlotsFilterMinCapacity), AddSlotPrefixes,
      c));
  // fingerprint_recent: another connection committed since (it may have
  // added recent slots) once data_version moved. index_.recent_slots is an
  // estimate (another process's inserts are not in it), good enough to
  // weigh the scan.
  ASSIGN_OR_RETURN(const int64_t data_version, DataVersion(c));
  ASSIGN_OR_RETURN(const int64_t threshold, RecentSlotsMergeThreshold(c));
  return RefreshFilter(index_.recent, data_version, items, kRecentFilterRebuildRatio,
                       index_.recent_slots,
                       kRecentFilterGrowth * std::max(threshold, index_.recent_slots),
                       AddRecentSlotPrefixes, c);
}

Result<bool> SqliteCardStore::RecentSlotsAtThreshold(Connection& c) {
  if (index_.recent_slots < options_.recent_slots_merge_at) return false;  // no read
  ASSIGN_OR_RETURN(const int64_t threshold, RecentSlotsMergeThreshold(c));
  return index_.recent_slots >= threshold;
}

Status SqliteCardStore::NoteMergeDue(Connection& c) {
  ASSIGN_OR_RETURN(merge_due_, RecentSlotsAtThreshold(c));
  return OkStatus();
}

Status SqliteCardStore::MergeDueRecentSlots(Connection& c) {
  Status s = BeginWrite(c);
  if (s.ok()) s = MaybeMergeRecentSlots(c);
  if (s.ok()) s = c.Exec("COMMIT", "commit");
  if (s.ok()) {
    merge_due_ = false;
  } else {
    AbandonWrite(c);
  }
  return s;
}

Status SqliteCardStore::MaybeMergeRecentSlots(Connection& c) {
  ASSIGN_OR_RETURN(bool due, RecentSlotsAtThreshold(c));
  if (!due) return OkStatus();
  // The counter is this process's estimate: counted again before the merge.
  ASSIGN_OR_RETURN(index_.recent_slots, CountRecentSlots(c));
  ASSIGN_OR_RETURN(due, RecentSlotsAtThreshold(c));
  if (!due) return OkStatus();
  KeptSlotFilter& slots = index_.slots;
  if (slots.filter != nullptr) {
    // Kept through the merge only if it is valid in this transaction (a
    // single insert's merge did not check it first) and not over capacity.
    ASSIGN_OR_RETURN(const int64_t generation, SlotsGeneration(c));
    bool keep = generation == slots.valid_at;
    if (keep) {
      RETURN_IF_ERROR(AddRecentSlotPrefixes(c, *slots.filter));
      // Full, but in use: the next bulk insert builds a larger one at once.
      slots.outgrown = slots.filter->over_capacity();
      keep = !slots.outgrown;
    }
    if (keep) {
      slots.valid_at = generation + 1;  // MergeRecentSlots raises it by one
      slots_merge_uncommitted_ = true;  // RunBatch drops the filter if this is undone
    } else {
      slots.filter.reset();
    }
  }
  RETURN_IF_ERROR(MergeRecentSlots(c));
  index_.recent_slots = 0;
  index_.recent_run = 0;  // the merge ended every run
  KeptSlotFilter& recent = index_.recent;
  if (recent.filter != nullptr) {
    // fingerprint_recent is empty now. RunBatch drops this filter if the
    // merge is undone (the table's entries would be back).
    recent.outgrown = recent.filter->over_capacity();
    const size_t capacity = recent.filter->capacity();
    recent.filter.reset();
    if (!recent.outgrown) recent.filter = std::make_unique<SlotFilter>(capacity);
    slots_merge_uncommitted_ = true;
  }
  return OkStatus();
}

Result<int64_t> SqliteCardStore::RecentSlotsMergeThreshold(Connection& c) {
  const int64_t floor = options_.recent_slots_merge_at;
  if (options_.recent_slots_merge_scale <= 0) return floor;
  // Every card took an id, so the ids reserved so far bound the card count
  // from above (unused reserved ids and deleted cards make it an estimate).
  // The transaction's id limit is that number, if it was read already.
  if (index_.id_limit == 0) {
    ASSIGN_OR_RETURN(index_.id_limit, FirstUnreservedId(c));
  }
  const int64_t ids = index_.id_limit;
  const double scaled = std::sqrt(static_cast<double>(options_.recent_slots_merge_scale) *
                                  static_cast<double>(std::max<int64_t>(ids - 1, 0)));
  return std::max(floor, static_cast<int64_t>(scaled));
}

}  // namespace kura::vault
