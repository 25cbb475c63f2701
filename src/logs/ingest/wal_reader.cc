#include "logs/ingest/wal_reader.h"

#include <algorithm>
#include <utility>

#include "logs/ingest/wal_format.h"

namespace kura::logs {

Result<std::vector<ChainedRecord>> ReadWalRecords(FileSystem& fs, const std::string& wal_dir) {
  return ReadWalRecords(fs, wal_dir, WalReadOptions{});
}

Result<std::vector<ChainedRecord>> ReadWalRecords(FileSystem& fs, const std::string& wal_dir,
                                                  const WalReadOptions& options) {
  std::vector<ChainedRecord> out;
  Result<std::vector<std::string>> names = fs.ListDir(wal_dir);
  if (!names.ok()) {
    if (names.status().code() == StatusCode::kNotFound) return out;
    return names.status();
  }
  std::vector<std::pair<uint64_t, std::string>> files;
  for (const std::string& n : *names) {
    uint64_t first = 0;
    if (ParseWalFileName(n, &first)) files.emplace_back(first, n);
  }
  std::sort(files.begin(), files.end());

  uint64_t bytes = 0;
  bool have_prev = false;  // a file was read: prev_* describe its end
  uint64_t prev_last_seq = 0;
  ChainHash prev_last_chain{};
  for (size_t i = 0; i < files.size(); ++i) {
    const uint64_t first = files[i].first;
    const bool last_file = i + 1 == files.size();
    // A later file starts where the durable part of this one ends.
    const uint64_t limit = last_file ? std::numeric_limits<uint64_t>::max() : files[i + 1].first - 1;
    if (!last_file && limit <= options.after_seq) continue;
    if (first > options.through_seq) break;
    Result<std::string> data = fs.ReadFile(JoinPath(wal_dir, files[i].second));
    if (!data.ok()) {
      // Dropped after sealing while we listed: only the oldest files go.
      if (data.status().code() == StatusCode::kNotFound && !have_prev) continue;
      return data.status();
    }
    WalFileScan scan = ScanWalFile(*data, first, options.after_seq + 1,
                                   std::min(limit, options.through_seq), limit);
    // The writer has just created the newest file (or was killed doing so):
    // no record in it yet.
    if (last_file && scan.header_cut_short) break;
    if (!scan.header_ok) return DataLossError("WAL " + files[i].second + " has a damaged header");
    if (have_prev && (prev_last_seq + 1 != first || scan.prev_chain != prev_last_chain)) {
      return DataLossError("WAL " + files[i].second +
                           " does not continue the chain of the file before it");
    }
    const uint64_t end = scan.first_seq + scan.record_count;  // one past the last verified
    if (!last_file && end <= limit) {
      return DataLossError("WAL " + files[i].second + " breaks off before seq " +
                           std::to_string(end) + ", but the next file starts at seq " +
                           std::to_string(limit + 1));
    }
    have_prev = true;
    prev_last_seq = end - 1;
    prev_last_chain = scan.last_chain;
    for (ChainedRecord& r : scan.records) {
      if (r.seq > options.through_seq || bytes >= options.max_bytes) return out;
      bytes += r.bytes.size();
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace kura::logs
