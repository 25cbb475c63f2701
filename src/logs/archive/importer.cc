#include "logs/archive/importer.h"

#include <cstring>
#include <deque>
#include <future>
#include <limits>
#include <memory>

#include "logs/record/event_mapper.h"
#include "logs/record/log_record.h"
#include "logs/record/timestamp.h"

namespace kura::logs {
namespace {

// Input is cut into batches of about this many bytes of whole lines; each
// batch is mapped on a worker thread.
constexpr size_t kBatchBytes = 1 << 20;
constexpr size_t kReadChunkBytes = 4 << 20;
// Marks "the event stated no time" (the mapper then uses this value).
constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();
// Record bytes start with this when encoded with seq 0; the sequencer puts
// the real seq in front of the rest.
constexpr std::string_view kSeqZeroPrefix = "{\"seq\":0";

struct InputLine {
  uint64_t number = 0;
  size_t offset = 0;
  size_t size = 0;
  bool too_long = false;
};

struct Batch {
  std::string text;
  std::vector<InputLine> lines;
};

struct MappedLine {
  uint64_t number = 0;
  int64_t received_ms = 0;
  std::string rest;    // record bytes after kSeqZeroPrefix ("" when rejected)
  std::string reason;  // why rejected ("" when accepted)
};

std::vector<MappedLine> MapBatch(const Batch& batch, const std::string& node) {
  std::vector<MappedLine> out;
  out.reserve(batch.lines.size());
  EventContext ctx;
  ctx.received_ms = kNoTime;
  ctx.node = node;
  ctx.source = "import";
  std::string bytes;
  for (const InputLine& l : batch.lines) {
    MappedLine m;
    m.number = l.number;
    if (l.too_long) {
      m.reason = "line longer than " + std::to_string(kMaxEventBytes) + " bytes";
      out.push_back(std::move(m));
      continue;
    }
    Result<LogRecord> r =
        RecordFromJsonEvent(std::string_view(batch.text).substr(l.offset, l.size), ctx);
    if (!r.ok()) {
      m.reason = r.status().message();
    } else if (r->ts_ms == kNoTime) {
      m.reason = "event has no time (ts)";
    } else {
      r->seq = 0;
      r->received_ms = r->ts_ms;
      m.received_ms = r->ts_ms;
      bytes.clear();
      AppendRecord(*r, &bytes);
      if (!bytes.starts_with(kSeqZeroPrefix)) {
        m.reason = "internal: unexpected record encoding";
      } else {
        m.rest = bytes.substr(kSeqZeroPrefix.size());
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

class Importer {
 public:
  Importer(std::istream& in, Archive& archive, const Clock& clock, const ImportOptions& options)
      : in_(in), archive_(archive), clock_(clock), options_(options) {}

  Result<ImportReport> Run();

 private:
  void AddLine(std::string_view text, bool too_long);
  Status SubmitBatch();
  Status DrainOne();
  Status Sequence(std::vector<MappedLine> mapped);
  void Reject(uint64_t line, std::string reason);
  Status StartSeal();
  Status WaitSeal();

  std::istream& in_;
  Archive& archive_;
  const Clock& clock_;
  const ImportOptions options_;

  uint64_t line_no_ = 0;
  Batch batch_;
  std::deque<std::future<std::vector<MappedLine>>> mapping_;

  // Sequencer state.
  uint64_t seq_ = 0;
  ChainHash link_{};
  int64_t received_ = 0;
  int64_t latest_ = 0;
  std::vector<ChainedRecord> pending_;
  size_t pending_bytes_ = 0;
  int64_t pending_day_ = 0;

  std::future<Result<SealResult>> sealing_;
  uint64_t sealing_count_ = 0;
  ImportReport report_;
};

void Importer::Reject(uint64_t line, std::string reason) {
  ++report_.rejected;
  if (report_.rejections.size() < kMaxListedRejections) {
    report_.rejections.push_back({line, std::move(reason)});
  }
}

void Importer::AddLine(std::string_view text, bool too_long) {
  ++line_no_;
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (!too_long && text.find_first_not_of(" \t") == std::string_view::npos) return;  // blank
  ++report_.lines;
  InputLine l;
  l.number = line_no_;
  l.too_long = too_long || text.size() > kMaxEventBytes;
  if (!l.too_long) {
    l.offset = batch_.text.size();
    l.size = text.size();
    batch_.text.append(text);
  }
  batch_.lines.push_back(l);
}

Status Importer::SubmitBatch() {
  if (batch_.lines.empty()) return OkStatus();
  while (mapping_.size() >= static_cast<size_t>(options_.threads)) RETURN_IF_ERROR(DrainOne());
  auto batch = std::make_shared<Batch>(std::move(batch_));
  batch_ = Batch();
  batch_.text.reserve(kBatchBytes + (kBatchBytes >> 2));
  const std::string* node = &options_.node;
  mapping_.push_back(
      std::async(std::launch::async, [batch, node] { return MapBatch(*batch, *node); }));
  return OkStatus();
}

Status Importer::DrainOne() {
  std::vector<MappedLine> mapped = mapping_.front().get();
  mapping_.pop_front();
  return Sequence(std::move(mapped));
}

Status Importer::Sequence(std::vector<MappedLine> mapped) {
  for (MappedLine& m : mapped) {
    if (!m.reason.empty()) {
      Reject(m.number, std::move(m.reason));
      continue;
    }
    if (m.received_ms < received_) {
      Reject(m.number, "event time goes backwards (before the previous event's or the archive's)");
      continue;
    }
    if (m.received_ms > latest_) {
      Reject(m.number, "event time is in the future");
      continue;
    }
    const int64_t day = m.received_ms / kMillisPerDay;
    if (!pending_.empty() && (day != pending_day_ || pending_bytes_ >= options_.segment_bytes)) {
      RETURN_IF_ERROR(StartSeal());
    }
    pending_day_ = day;
    ChainedRecord r;
    r.seq = ++seq_;
    r.received_ms = m.received_ms;
    r.bytes.reserve(kSeqZeroPrefix.size() + 20 + m.rest.size());
    r.bytes = "{\"seq\":";
    r.bytes += std::to_string(r.seq);
    r.bytes += m.rest;
    link_ = NextChainHash(link_, r.bytes);
    r.chain = link_;
    received_ = m.received_ms;
    pending_bytes_ += r.bytes.size() + 1;
    pending_.push_back(std::move(r));
  }
  return OkStatus();
}

Status Importer::WaitSeal() {
  if (!sealing_.valid()) return OkStatus();
  Result<SealResult> sealed = sealing_.get();
  if (!sealed.ok()) return sealed.status();
  report_.imported += sealing_count_;
  for (const SealedSegment& s : sealed->segments) {
    if (report_.first_seq == 0) report_.first_seq = s.first_seq;
    report_.last_seq = s.last_seq;
    report_.raw_bytes += s.raw_bytes;
    report_.data_bytes += s.data_bytes;
    report_.index_bytes += s.index_bytes;
    ++report_.segments;
  }
  return OkStatus();
}

Status Importer::StartSeal() {
  RETURN_IF_ERROR(WaitSeal());
  if (pending_.empty()) return OkStatus();
  auto records = std::make_shared<std::vector<ChainedRecord>>(std::move(pending_));
  pending_ = std::vector<ChainedRecord>();
  pending_bytes_ = 0;
  sealing_count_ = records->size();
  Archive* archive = &archive_;
  sealing_ = std::async(std::launch::async, [archive, records]() -> Result<SealResult> {
    return archive->Seal(*records);
  });
  return OkStatus();
}

Result<ImportReport> Importer::Run() {
  if (options_.segment_bytes == 0) return InvalidArgumentError("segment size must be positive");
  if (options_.threads < 1) return InvalidArgumentError("threads must be at least 1");
  ASSIGN_OR_RETURN(ArchiveTail tail, archive_.Tail());
  seq_ = tail.last_seq;
  link_ = tail.last_chain;
  received_ = tail.last_received_ms;
  latest_ = clock_.NowUnixMillis() + kMaxFutureReceivedMs;

  Status st;
  std::string chunk(kReadChunkBytes, '\0');
  std::string carry;
  bool carry_too_long = false;
  while (st.ok()) {
    in_.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const size_t n = static_cast<size_t>(in_.gcount());
    if (n == 0) break;
    report_.input_bytes += n;
    std::string_view data(chunk.data(), n);
    while (!data.empty()) {
      const size_t nl = data.find('\n');
      if (nl == std::string_view::npos) {
        if (!carry_too_long) {
          carry.append(data);
          if (carry.size() > kMaxEventBytes + 1) {
            carry_too_long = true;
            carry.clear();
          }
        }
        break;
      }
      if (carry_too_long) {
        AddLine({}, true);
        carry_too_long = false;
      } else if (!carry.empty()) {
        carry.append(data.substr(0, nl));
        AddLine(carry, false);
        carry.clear();
      } else {
        AddLine(data.substr(0, nl), false);
      }
      data.remove_prefix(nl + 1);
    }
    if (batch_.text.size() >= kBatchBytes || batch_.lines.size() >= kBatchBytes / 64) {
      st = SubmitBatch();
    }
  }
  if (st.ok() && in_.bad()) st = DataLossError("reading the input failed");
  if (st.ok()) {
    if (carry_too_long) {
      AddLine({}, true);
    } else if (!carry.empty()) {
      AddLine(carry, false);
    }
    st = SubmitBatch();
  }
  while (st.ok() && !mapping_.empty()) st = DrainOne();
  if (st.ok()) st = StartSeal();
  Status sealed = WaitSeal();
  if (st.ok()) st = sealed;
  // Let running mappers finish before their inputs go away.
  for (auto& f : mapping_) f.wait();
  if (!st.ok()) {
    return st.WithContext("import stopped after " + std::to_string(report_.imported) +
                          " sealed records (archive tail is seq " +
                          std::to_string(report_.last_seq ? report_.last_seq : tail.last_seq) +
                          ")");
  }
  return report_;
}

}  // namespace

Result<ImportReport> ImportNdjson(std::istream& in, Archive& archive, const Clock& clock,
                                  const ImportOptions& options) {
  try {
    Importer importer(in, archive, clock, options);
    return importer.Run();
  } catch (const std::system_error&) {
    return InternalError("import: could not start a worker thread");
  }
}

}  // namespace kura::logs
