// Test helpers for search: segments of records written into an archive
// BlobStore under the archive layout (data/ and index/ objects; no digests:
// search ignores them), a local archive in a temporary directory, and the
// expected results of a search computed by brute force.
#ifndef KURA_LOGS_SEARCH_SEARCH_TEST_UTIL_H_
#define KURA_LOGS_SEARCH_SEARCH_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/blob/blob_store.h"
#include "core/blob/local_blob_store.h"
#include "core/fs/file_system.h"
#include "logs/archive/archive_layout.h"
#include "logs/search/query.h"
#include "logs/search/search.h"
#include "logs/segment/record_view.h"
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

struct Expected {
  std::vector<std::string> newest_first;
  std::map<std::string, uint64_t> groups;
};

// Ground truth by brute force over the records.
inline Expected BruteForce(const std::vector<ChainedRecord>& records, const SearchRequest& req) {
  auto q = Query::Parse(req.query);
  EXPECT_TRUE(q.ok());
  Expected e;
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    if (it->received_ms < req.from_ms || it->received_ms >= req.to_ms) continue;
    auto v = ScanRecord(it->bytes);
    if (!q->Matches(*v)) continue;
    e.newest_first.push_back(it->bytes);
    if (!req.group_by.empty()) {
      std::string s;
      ++e.groups[std::string(v->Text(*TextFieldId(req.group_by), &s))];
    }
  }
  return e;
}

// `records` written as segments (500 records, 8 KiB blocks, like the
// fixture's memory store) into a local archive in a fresh temporary
// directory, removed again when this goes out of scope.
class LocalArchive {
 public:
  explicit LocalArchive(const std::vector<ChainedRecord>& records, size_t per_segment = 500,
                        SegmentOptions options = {.block_bytes = 8192, .zstd_level = 3}) {
    char tmpl[] = "/tmp/kura-search-test-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return;
    root_ = tmpl;
    auto store = LocalBlobStore::Open(fs_, root_);
    if (!store.ok()) return;
    store_ = std::move(store).value();
    written_ = testing::WriteSegments(*store_, records, per_segment, options);
  }
  ~LocalArchive() {
    store_.reset();
    if (!root_.empty()) std::filesystem::remove_all(root_);
  }
  bool ok() const { return store_ != nullptr && written_; }
  BlobStore& store() { return *store_; }
  const std::string& root() const { return root_; }

 private:
  PosixFileSystem fs_;
  std::string root_;
  std::unique_ptr<LocalBlobStore> store_;
  bool written_ = false;
};

}  // namespace kura::logs::testing

#endif  // KURA_LOGS_SEARCH_SEARCH_TEST_UTIL_H_
