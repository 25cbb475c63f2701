#include "logs/ingest/file_tailer.h"

#include <charconv>
#include <vector>

#include "logs/record/event_mapper.h"

namespace kura::logs {

FileTailer::FileTailer(FileSystem& fs, Ingestor& ingestor, const Clock& clock,
                       std::string checkpoint_dir, TailSource source, std::string node_id)
    : fs_(fs),
      ingestor_(ingestor),
      clock_(clock),
      checkpoint_path_(JoinPath(checkpoint_dir, source.name + ".offset")),
      source_(std::move(source)),
      node_id_(std::move(node_id)) {}

Status FileTailer::LoadCheckpoint() {
  Result<std::string> text = fs_.ReadFile(checkpoint_path_);
  if (!text.ok()) {
    if (text.status().code() != StatusCode::kNotFound) return text.status();
    RETURN_IF_ERROR(fs_.CreateDirs(DirName(checkpoint_path_), 0700));
    offset_ = 0;
  } else {
    std::string_view t = *text;
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.remove_suffix(1);
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), offset_);
    if (ec != std::errc() || ptr != t.data() + t.size() || t.empty()) {
      return DataLossError("tail checkpoint " + checkpoint_path_ + " is not an offset");
    }
  }
  loaded_ = true;
  return OkStatus();
}

Result<size_t> FileTailer::PollOnce() {
  if (!loaded_) RETURN_IF_ERROR(LoadCheckpoint());
  Result<std::string> data = fs_.ReadFile(source_.path);
  if (!data.ok()) {
    if (data.status().code() == StatusCode::kNotFound) return size_t{0};
    return data.status();
  }
  if (data->size() < offset_) offset_ = 0;  // truncated or rotated: start over
  std::string_view rest = std::string_view(*data).substr(offset_);
  const EventContext ctx{clock_.NowUnixMillis(), node_id_, "file"};
  std::vector<LogRecord> records;
  uint64_t end = offset_;
  uint64_t rejected = 0;
  size_t lines = 0;
  while (lines < kMaxTailLinesPerPoll) {
    const size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) break;  // incomplete last line: wait for it
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    end += nl + 1;
    ++lines;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    Result<LogRecord> r = RecordFromJsonEvent(line, ctx);
    if (r.ok()) {
      records.push_back(std::move(r).value());
    } else {
      ++rejected;
    }
  }
  if (end == offset_) return size_t{0};
  RETURN_IF_ERROR(ingestor_.Submit(records));
  if (rejected > 0) {
    ingestor_.CountRejected(rejected);
    rejected_ += rejected;
  }
  RETURN_IF_ERROR(fs_.WriteFileAtomic(checkpoint_path_, std::to_string(end) + "\n"));
  offset_ = end;
  return records.size();
}

}  // namespace kura::logs
