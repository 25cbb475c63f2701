#include "logs/segment/segment_builder.h"

#include <zstd.h>

#include <algorithm>
#include <bit>
#include <system_error>

#include "logs/record/timestamp.h"
#include "logs/segment/tokens.h"

namespace kura::logs {

SegmentBuilder::SegmentBuilder(SegmentOptions options)
    : options_(options), cctx_(ZSTD_createCCtx()) {
  Reset();
}

SegmentBuilder::~SegmentBuilder() {
  DiscardCompressed();  // the helper uses cctx_
  ZSTD_freeCCtx(cctx_);
}

void SegmentBuilder::Reset() {
  DiscardCompressed();
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
    auto it = state.ids.find(value);
    if (it == state.ids.end()) {
      if (state.values.size() >= MaxCountedValues(kCountedFields[c])) {
        state = CountState{};
        state.overflow = true;
        continue;
      }
      it = state.ids.emplace(std::string(value), static_cast<uint32_t>(state.values.size())).first;
      state.values.emplace_back(value);
      state.block.push_back(0);
    }
    if (state.block[it->second]++ == 0) state.touched.push_back(it->second);
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

void SegmentBuilder::DedupTokens() {
  // An open-addressing set (faster than sorting: a block has ~10^5 tokens).
  // Slot value 0 means empty; the token 0 is tracked apart.
  const size_t n = block_tokens_.size();
  size_t cap = 16;
  while (cap < 2 * n) cap <<= 1;
  dedup_table_.assign(cap, 0);
  const int shift = 64 - std::countr_zero(cap);
  bool zero = false;
  size_t out = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t t = block_tokens_[i];
    if (t == 0) {
      zero = true;
      continue;
    }
    size_t slot = static_cast<size_t>((t * 0x9E3779B97F4A7C15ULL) >> shift);
    while (true) {
      uint64_t& cell = dedup_table_[slot];
      if (cell == 0) {
        cell = t;
        block_tokens_[out++] = t;
        break;
      }
      if (cell == t) break;
      slot = (slot + 1) & (cap - 1);
    }
  }
  block_tokens_.resize(out);
  if (zero) block_tokens_.push_back(0);
}

Status SegmentBuilder::CompressPending() {
  ZSTD_CCtx_reset(cctx_, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, options_.zstd_level);
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);
  compress_out_.resize(ZSTD_compressBound(compress_in_.size()));
  const size_t n = ZSTD_compress2(cctx_, compress_out_.data(), compress_out_.size(),
                                  compress_in_.data(), compress_in_.size());
  if (ZSTD_isError(n)) {
    compress_out_.clear();
    return InternalError(std::string("segment: zstd compression failed: ") +
                         ZSTD_getErrorName(n));
  }
  compress_out_.resize(n);
  compress_hash_ = BlockFrameHash(compress_out_);
  return OkStatus();
}

Status SegmentBuilder::CollectCompressed() {
  if (!pending_) return OkStatus();
  pending_ = false;
  Status s = compressing_.valid() ? compressing_.get() : compressed_status_;
  if (!s.ok()) return s;
  BlockInfo& b = index_.blocks[pending_block_];
  b.offset = data_.size();
  b.length = compress_out_.size();
  b.frame_hash = compress_hash_;
  data_.append(compress_out_);
  return OkStatus();
}

void SegmentBuilder::DiscardCompressed() {
  if (!pending_) return;
  pending_ = false;
  if (compressing_.valid()) compressing_.get().IgnoreError();
}

Status SegmentBuilder::FlushBlock() {
  if (block_.record_count == 0) return OkStatus();
  if (cctx_ == nullptr) return InternalError("segment: cannot allocate a zstd context");
  // The previous block's frame goes first (frames are in seq order).
  RETURN_IF_ERROR(CollectCompressed());
  block_.raw_bytes = block_raw_.size();

  DedupTokens();
  const size_t nwords =
      std::max<size_t>(1, (block_tokens_.size() * kBloomBitsPerToken + 63) / 64);
  block_.bloom_offset = index_.bloom_words.size();
  block_.bloom_words = nwords;
  index_.bloom_words.resize(index_.bloom_words.size() + nwords);
  uint64_t* words = index_.bloom_words.data() + block_.bloom_offset;
  for (uint64_t h : block_tokens_) BloomAdd(words, nwords, kBloomProbes, h);

  for (CountState& state : counts_) {
    if (state.overflow) continue;
    std::sort(state.touched.begin(), state.touched.end());
    std::vector<std::pair<uint32_t, uint64_t>> pairs;
    pairs.reserve(state.touched.size());
    for (uint32_t id : state.touched) {
      pairs.emplace_back(id, state.block[id]);
      state.block[id] = 0;
    }
    state.touched.clear();
    state.per_block.push_back(std::move(pairs));
  }

  index_.blocks.push_back(block_);
  block_ = BlockInfo{};
  block_tokens_.clear();

  // Compress on the helper thread; offset and length are set on collection.
  pending_block_ = index_.blocks.size() - 1;
  compress_in_.swap(block_raw_);
  block_raw_.clear();
  pending_ = true;
  try {
    compressing_ = std::async(std::launch::async, [this] { return CompressPending(); });
  } catch (const std::system_error&) {
    compressing_ = std::future<Status>();  // no thread: compress in line
    compressed_status_ = CompressPending();
  }
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
  if (Status s = CollectCompressed(); !s.ok()) {
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
  x.has_frame_hashes = true;
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
