#include "logs/segment/segment_builder.h"

#include <zstd.h>

#include <algorithm>

#include "logs/record/timestamp.h"
#include "logs/segment/tokens.h"

namespace kura::logs {

SegmentBuilder::SegmentBuilder(SegmentOptions options)
    : options_(options), cctx_(ZSTD_createCCtx()) {
  Reset();
}

SegmentBuilder::~SegmentBuilder() { ZSTD_freeCCtx(cctx_); }

void SegmentBuilder::Reset() {
  data_.clear();
  index_ = SegmentIndex{};
  for (CountState& c : counts_) c = CountState{};
  raw_bytes_ = 0;
  record_count_ = 0;
  have_last_ = false;
  last_seq_ = 0;
  block_raw_.clear();
  block_tokens_.clear();
  block_ = BlockInfo{};
}

Status SegmentBuilder::Add(const ChainedRecord& record) {
  if (have_last_ && record.seq <= last_seq_) {
    return InvalidArgumentError("segment: record seq " + std::to_string(record.seq) +
                                " is not above the previous " + std::to_string(last_seq_));
  }
  if (record.bytes.empty()) return InvalidArgumentError("segment: empty record bytes");
  if (record.bytes.find('\n') != std::string::npos) {
    return InvalidArgumentError("segment: record bytes contain a newline");
  }
  auto view = ScanRecord(record.bytes);
  if (!view.ok()) return InvalidArgumentError("segment: " + view.status().message());
  if (view->seq != record.seq) {
    return InvalidArgumentError("segment: record bytes carry seq " + std::to_string(view->seq) +
                                ", expected " + std::to_string(record.seq));
  }
  auto received = ParseTimestamp(view->received);
  if (!received.ok() || *received != record.received_ms) {
    return InvalidArgumentError("segment: record " + std::to_string(record.seq) +
                                " has a received time different from its bytes");
  }

  // Index: tokens and counts.
  for (size_t f = 0; f < kTextFieldCount; ++f) {
    if (view->raw[f].empty()) continue;
    std::string_view text = view->Text(f, &scratch_);
    block_tokens_.push_back(FieldTokenHash(f, text));
    if (f < kStringFields.size()) {
      ForEachWord(text, [&](std::string_view w) { block_tokens_.push_back(WordTokenHash(w)); });
    }
  }
  for (size_t c = 0; c < kCountedFields.size(); ++c) {
    CountState& state = counts_[c];
    if (state.overflow) continue;
    std::string_view value = view->Text(kCountedFields[c], &scratch_);
    auto it = state.ids.find(std::string(value));
    if (it == state.ids.end()) {
      if (state.values.size() >= kMaxCountedValues) {
        state = CountState{};
        state.overflow = true;
        continue;
      }
      it = state.ids.emplace(std::string(value), static_cast<uint32_t>(state.values.size())).first;
      state.values.emplace_back(value);
    }
    ++state.block[it->second];
  }

  if (block_.record_count == 0) {
    block_.first_seq = record.seq;
    block_.min_received_ms = block_.max_received_ms = record.received_ms;
  }
  ++block_.record_count;
  block_.last_seq = record.seq;
  block_.min_received_ms = std::min(block_.min_received_ms, record.received_ms);
  block_.max_received_ms = std::max(block_.max_received_ms, record.received_ms);
  block_raw_.append(record.bytes);
  block_raw_.push_back('\n');
  raw_bytes_ += record.bytes.size() + 1;
  ++record_count_;
  have_last_ = true;
  last_seq_ = record.seq;

  if (block_raw_.size() >= options_.block_bytes) return FlushBlock();
  return OkStatus();
}

Status SegmentBuilder::FlushBlock() {
  if (block_.record_count == 0) return OkStatus();
  if (cctx_ == nullptr) return InternalError("segment: cannot allocate a zstd context");
  ZSTD_CCtx_reset(cctx_, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, options_.zstd_level);
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);
  const size_t start = data_.size();
  data_.resize(start + ZSTD_compressBound(block_raw_.size()));
  const size_t n = ZSTD_compress2(cctx_, data_.data() + start, data_.size() - start,
                                  block_raw_.data(), block_raw_.size());
  if (ZSTD_isError(n)) {
    data_.resize(start);
    return InternalError(std::string("segment: zstd compression failed: ") +
                         ZSTD_getErrorName(n));
  }
  data_.resize(start + n);

  block_.offset = start;
  block_.length = n;
  block_.raw_bytes = block_raw_.size();

  std::sort(block_tokens_.begin(), block_tokens_.end());
  block_tokens_.erase(std::unique(block_tokens_.begin(), block_tokens_.end()),
                      block_tokens_.end());
  const size_t nwords =
      std::max<size_t>(1, (block_tokens_.size() * kBloomBitsPerToken + 63) / 64);
  block_.bloom_offset = index_.bloom_words.size();
  block_.bloom_words = nwords;
  index_.bloom_words.resize(index_.bloom_words.size() + nwords);
  uint64_t* words = index_.bloom_words.data() + block_.bloom_offset;
  for (uint64_t h : block_tokens_) BloomAdd(words, nwords, kBloomProbes, h);

  for (CountState& state : counts_) {
    if (state.overflow) continue;
    std::vector<std::pair<uint32_t, uint64_t>> pairs(state.block.begin(), state.block.end());
    std::sort(pairs.begin(), pairs.end());
    state.per_block.push_back(std::move(pairs));
    state.block.clear();
  }

  index_.blocks.push_back(block_);
  block_ = BlockInfo{};
  block_raw_.clear();
  block_tokens_.clear();
  return OkStatus();
}

Result<BuiltSegment> SegmentBuilder::Finish() {
  if (record_count_ == 0) {
    Reset();
    return FailedPreconditionError("segment: no records added");
  }
  if (Status s = FlushBlock(); !s.ok()) {
    Reset();
    return s;
  }
  SegmentIndex& x = index_;
  x.first_seq = x.blocks.front().first_seq;
  x.last_seq = x.blocks.back().last_seq;
  x.record_count = record_count_;
  x.min_received_ms = x.blocks.front().min_received_ms;
  x.max_received_ms = x.blocks.front().max_received_ms;
  for (const BlockInfo& b : x.blocks) {
    x.min_received_ms = std::min(x.min_received_ms, b.min_received_ms);
    x.max_received_ms = std::max(x.max_received_ms, b.max_received_ms);
  }
  x.data_bytes = data_.size();
  x.bloom_probes = kBloomProbes;
  for (size_t c = 0; c < kCountedFields.size(); ++c) {
    CountState& state = counts_[c];
    if (state.overflow) continue;
    FieldCounts fc;
    fc.field_id = kCountedFields[c];
    fc.values = std::move(state.values);
    fc.per_block = std::move(state.per_block);
    x.counts.push_back(std::move(fc));
  }

  BuiltSegment out;
  out.index = EncodeSegmentIndex(x);
  out.data = std::move(data_);
  out.first_seq = x.first_seq;
  out.last_seq = x.last_seq;
  out.record_count = x.record_count;
  out.min_received_ms = x.min_received_ms;
  out.max_received_ms = x.max_received_ms;
  Reset();
  return out;
}

}  // namespace kura::logs
