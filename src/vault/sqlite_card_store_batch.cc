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

}  // namespace

Result<std::vector<Result<InsertOutcome>>> SqliteCardStore::InsertBatch(
    std::vector<BatchInsertItem> items) {
  // Every outcome is set below, by validation or by InsertItems (a short
  // placeholder message: no allocation per item).
  std::vector<Result<InsertOutcome>> out(items.size(), InternalError("not run"));
  std::vector<std::string> fingerprints(items.size());  // stored bytes, per valid item
  std::vector<size_t> order;  // the valid items, in the order they are applied
  order.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    Result<std::string> fingerprint = ValidateRecord(items[i].record);
    if (!fingerprint.ok()) {
      out[i] = fingerprint.status();
    } else {
      fingerprints[i] = std::move(*fingerprint);
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
  const auto by_fingerprint = [&fingerprints](size_t a, size_t b) {
    return fingerprints[a] < fingerprints[b];
  };
  if (!std::is_sorted(order.begin(), order.end(), by_fingerprint)) {
    std::stable_sort(order.begin(), order.end(), by_fingerprint);
  }
  std::vector<size_t> shared;  // runs of one fingerprint, each in item order
  size_t unique_end = 0;
  for (size_t k = 0; k < order.size();) {
    size_t run_end = k + 1;
    while (run_end < order.size() && fingerprints[order[run_end]] == fingerprints[order[k]]) {
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
  const Status s = Submit(
      [this, &items, &fingerprints, &order, &out](Connection& c) -> Status {
        return InsertItems(c, items, fingerprints, order, out);
      },
      /*scrub=*/false, PageCacheUse::kBatch);
  if (!s.ok()) return s;
  // The inserted records: each item's own, moved here rather than on the
  // writer.
  for (size_t i : order) {
    if (!out[i].ok() || !out[i]->inserted) continue;
    const int64_t id = out[i]->record.id;
    out[i]->record = std::move(items[i].record);
    out[i]->record.id = id;
  }
  return out;
}

Status SqliteCardStore::InsertItems(Connection& c, const std::vector<BatchInsertItem>& items,
                                    const std::vector<std::string>& fingerprints,
                                    const std::vector<size_t>& order,
                                    std::vector<Result<InsertOutcome>>& out) {
  ASSIGN_OR_RETURN(index_.overflow_empty, OverflowIsEmpty(c));
  RETURN_IF_ERROR(RefreshSlotsFilter(c, order.size()));
  RETURN_IF_ERROR(RefreshRecentFilter(c, order.size()));
  // For this operation's items only (a single insert looks up without).
  index_.slots_filter = slots_filter_.get();
  index_.recent_filter_valid = index_.recent_filter != nullptr;
  const int64_t slots_before = index_.slots_skipped;
  const int64_t recent_before = index_.recent_skipped;
  const Status s = InsertEachItem(c, items, fingerprints, order, out);
  index_.slots_filter = nullptr;
  index_.recent_filter_valid = false;
  slots_skipped_.fetch_add(static_cast<uint64_t>(index_.slots_skipped - slots_before));
  recent_skipped_.fetch_add(static_cast<uint64_t>(index_.recent_skipped - recent_before));
  RETURN_IF_ERROR(s);
  return MaybeMergeRecentSlots(c);
}

Status SqliteCardStore::InsertEachItem(Connection& c, const std::vector<BatchInsertItem>& items,
                                       const std::vector<std::string>& fingerprints,
                                       const std::vector<size_t>& order,
                                       std::vector<Result<InsertOutcome>>& out) {
  for (size_t i : order) {
    // Earlier items of this batch are visible to the look-up (same
    // transaction).
    Result<InsertOutcome> r =
        InsertOrFindCard(c, items[i].record, fingerprints[i], items[i].dedup, index_);
    const StatusCode code = r.status().code();
    if (code == StatusCode::kAlreadyExists || code == StatusCode::kInvalidArgument) {
      // A constraint failure undoes only that statement; the transaction
      // goes on (unless SQLite ended it).
      if (c.InAutocommit()) return InternalError("card store: transaction rolled back");
    } else if (!r.ok()) {
      return r.status();
    }
    out[i] = std::move(r);
  }
  return OkStatus();
}

void SqliteCardStore::ForgetSlotFilters() {
  slots_filter_.reset();
  index_.recent_filter.reset();
}

Status SqliteCardStore::RefreshRecentFilter(Connection& c, size_t items) {
  ASSIGN_OR_RETURN(const int64_t data_version, DataVersion(c));
  if (index_.recent_filter != nullptr && recent_filter_data_version_ == data_version) {
    return OkStatus();
  }
  // Another connection committed since: it may have added recent slots.
  index_.recent_filter.reset();
  items_without_recent_filter_ += static_cast<int64_t>(items);
  // index_.recent_slots is an estimate (another process's inserts are not
  // in it), good enough to weigh the scan.
  if (!recent_filter_outgrown_ &&
      items_without_recent_filter_ * kRecentFilterRebuildRatio < index_.recent_slots) {
    return OkStatus();
  }
  ASSIGN_OR_RETURN(const int64_t threshold, RecentSlotsMergeThreshold(c));
  auto filter = std::make_unique<SlotFilter>(
      static_cast<size_t>(kRecentFilterGrowth * std::max(threshold, index_.recent_slots)));
  RETURN_IF_ERROR(AddRecentSlotPrefixes(c, *filter));
  index_.recent_filter = std::move(filter);
  recent_filter_data_version_ = data_version;
  items_without_recent_filter_ = 0;
  recent_filter_outgrown_ = false;
  return OkStatus();
}

Status SqliteCardStore::RefreshSlotsFilter(Connection& c, size_t items) {
  ASSIGN_OR_RETURN(const int64_t generation, SlotsGeneration(c));
  if (slots_filter_ != nullptr && slots_filter_generation_ == generation) return OkStatus();
  // Another process merged slots since (or this one lost track): rebuilt
  // below, or looked up without until that pays.
  slots_filter_.reset();
  items_without_slots_filter_ += static_cast<int64_t>(items);
  if (index_.id_limit == 0) {
    ASSIGN_OR_RETURN(index_.id_limit, FirstUnreservedId(c));
  }
  if (!slots_filter_outgrown_ &&
      items_without_slots_filter_ * kSlotsFilterRebuildRatio < index_.id_limit) {
    return OkStatus();
  }
  auto filter = std::make_unique<SlotFilter>(
      static_cast<size_t>(kSlotsFilterGrowth * std::max(index_.id_limit, kSlotsFilterMinCapacity)));
  RETURN_IF_ERROR(AddSlotPrefixes(c, *filter));
  slots_filter_ = std::move(filter);
  slots_filter_generation_ = generation;
  items_without_slots_filter_ = 0;
  slots_filter_outgrown_ = false;
  return OkStatus();
}

Status SqliteCardStore::MaybeMergeRecentSlots(Connection& c) {
  if (index_.recent_slots < options_.recent_slots_merge_at) return OkStatus();
  ASSIGN_OR_RETURN(const int64_t threshold, RecentSlotsMergeThreshold(c));
  if (index_.recent_slots < threshold) return OkStatus();
  ASSIGN_OR_RETURN(index_.recent_slots, CountRecentSlots(c));
  if (index_.recent_slots < threshold) return OkStatus();
  if (slots_filter_ != nullptr) {
    // Kept through the merge only if it is valid in this transaction (a
    // single insert's merge did not check it first) and not over capacity.
    ASSIGN_OR_RETURN(const int64_t generation, SlotsGeneration(c));
    bool keep = generation == slots_filter_generation_;
    if (keep) {
      RETURN_IF_ERROR(AddRecentSlotPrefixes(c, *slots_filter_));
      // Full, but in use: the next bulk insert builds a larger one at once.
      slots_filter_outgrown_ = slots_filter_->over_capacity();
      keep = !slots_filter_outgrown_;
    }
    if (keep) {
      slots_filter_generation_ = generation + 1;  // MergeRecentSlots raises it by one
      slots_merge_uncommitted_ = true;  // RunBatch drops the filter if this is undone
    } else {
      slots_filter_.reset();
    }
  }
  RETURN_IF_ERROR(MergeRecentSlots(c));
  index_.recent_slots = 0;
  if (index_.recent_filter != nullptr) {
    // fingerprint_recent is empty now. RunBatch drops this filter if the
    // merge is undone (the table's entries would be back).
    recent_filter_outgrown_ = index_.recent_filter->over_capacity();
    const size_t capacity = index_.recent_filter->capacity();
    index_.recent_filter.reset();
    if (!recent_filter_outgrown_) index_.recent_filter = std::make_unique<SlotFilter>(capacity);
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
