// Test helper: writes segments of records into an archive BlobStore under the
// archive layout (data/ and index/ objects; no digests: search ignores them).
#ifndef KURA_LOGS_SEARCH_SEARCH_TEST_UTIL_H_
#define KURA_LOGS_SEARCH_SEARCH_TEST_UTIL_H_

#include <map>
#include <string>
#include <vector>

#include "core/blob/blob_store.h"
#include "logs/archive/archive_layout.h"
#include "logs/record/timestamp.h"
#include "logs/segment/segment_builder.h"

namespace kura::logs::testing {

// One segment per UTC day (and at most `per_segment` records each), like
// Archive::Seal. Returns false on any error.
inline bool WriteSegments(BlobStore& store, const std::vector<ChainedRecord>& records,
                          size_t per_segment = 1000, SegmentOptions options = {}) {
  SegmentBuilder builder(options);
  std::string dt;
  auto flush = [&]() -> bool {
    if (builder.record_count() == 0) return true;
    auto seg = builder.Finish();
    if (!seg.ok()) return false;
    return store.Put(DataKey(dt, seg->first_seq, seg->last_seq), seg->data).ok() &&
           store.Put(IndexKey(dt, seg->first_seq, seg->last_seq), seg->index).ok();
  };
  for (const ChainedRecord& r : records) {
    const std::string day = FormatDate(r.received_ms);
    if ((day != dt || builder.record_count() >= per_segment) && !flush()) return false;
    dt = day;
    if (!builder.Add(r).ok()) return false;
  }
  return flush();
}

}  // namespace kura::logs::testing

#endif  // KURA_LOGS_SEARCH_SEARCH_TEST_UTIL_H_
