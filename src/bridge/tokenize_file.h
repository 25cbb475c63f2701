// TokenizeCsv: replaces the PAN column of a CSV file with vault tokens, in
// one streaming pass with constant memory (the `tokenize-file` built-in job
// and CLI command).
//
// Input: RFC 4180 CSV (comma separated, '"' quoting with "" escapes, fields
// may span lines, CRLF or LF). The first record is the header; the PAN
// column and the expiry column are found by name. Output: the same records
// with the PAN column holding the token, optionally followed by
// "<pan_column>_masked" (first 6 / last 4) and "<pan_column>_last4" columns.
//
// A row whose PAN or expiry is invalid is written with the PAN column
// emptied (never echoed) and reported by its line number in the input (the
// line where the record starts); processing continues. The report lists at
// most kMaxReportedInvalidLines line numbers.
//
// Rows are tokenized in batches of TokenizeOptions::batch_rows: the batch is
// read (its records kept in memory, so memory is bounded by the batch, not
// the file), handed to the tokenizer in one call (the vault stores it with
// one durable commit), then written out in input order. Between batches
// TokenizeOptions::check_continue is asked whether to go on (the runner's
// time limit). Output of a failed run is incomplete: callers publish the
// output only after TokenizeCsv returned OK, i.e. after the last commit; a
// run killed half-way stored some cards, and running it again finds them
// (dedup), so it produces the same tokens.
//
// Errors: kInvalidArgument for a missing column, a record longer than
// kMaxCsvRecordBytes, an unterminated quote, or a row with the wrong number
// of fields ("line N: ..."; never a field value); other tokenizer errors
// (storage, crypto) abort with that error; kInternal for stream failures.
//
// Thread safety: one call per stream; the tokenizer must be safe for the
// calls it receives (one at a time).
#ifndef KURA_BRIDGE_TOKENIZE_FILE_H_
#define KURA_BRIDGE_TOKENIZE_FILE_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "vault/card_vault.h"

namespace kura::bridge {

inline constexpr size_t kMaxCsvRecordBytes = 1 << 20;
// TokenizeOptions::read_chunk_bytes by default.
inline constexpr size_t kTokenizeReadChunkBytes = 1 << 20;
inline constexpr size_t kMaxReportedInvalidLines = 100;
// Rows per tokenizer call (and so per vault commit) by default.
inline constexpr size_t kTokenizeBatchRows = 50000;
// Tokenizer calls the vault-backed tokenize-file keeps running at once: one
// batch's cards are sealed while the previous batch commits.
inline constexpr size_t kVaultBatchesInFlight = 2;

struct TokenizedCard {
  std::string token;
  std::string masked_pan;
  std::string last4;
};

// Tokenizes one card. kInvalidArgument marks the row invalid (the message is
// not used); any other error aborts the file.
using CardTokenizer =
    std::function<Result<TokenizedCard>(std::string_view pan, int exp_month, int exp_year)>;

// One card of a batch; `pan` points into the record being processed.
struct CardToTokenize {
  std::string_view pan;
  int exp_month = 0;
  int exp_year = 0;
};

// Tokenizes a batch: one result per card, in order, with CardTokenizer's
// meaning (kInvalidArgument marks that row invalid; any other per-card
// error aborts the file). An error of the call aborts the file. Tokens
// returned must be durable when the call returns.
using BatchCardTokenizer = std::function<Result<std::vector<Result<TokenizedCard>>>(
    const std::vector<CardToTokenize>& cards)>;

struct TokenizeOptions {
  std::string pan_column;
  std::string exp_column;  // "MM/YY" or "MM/YYYY"
  bool add_masked = false;
  bool add_last4 = false;
  // Data rows per tokenizer call (>= 1).
  size_t batch_rows = kTokenizeBatchRows;
  // Batches handed to the tokenizer at once (>= 1), each on its own thread,
  // while the next batch is read; output is still written in input order.
  // With 1, calls never overlap (but run on a thread of their own); with
  // more, the tokenizer must be safe to call concurrently, and a card
  // repeated in two overlapping batches must still get one token (the
  // vault's de-duplicating StoreBatch guarantees that).
  size_t max_batches_in_flight = 1;
  // Input bytes read from the stream at a time (>= 1); records and fields
  // may span reads. Tests set it small to put every boundary mid-record.
  size_t read_chunk_bytes = kTokenizeReadChunkBytes;
  // Asked before each batch; a non-OK status stops the file with that status
  // (e.g. kDeadlineExceeded at the job's time limit). Empty: never stops.
  std::function<Status()> check_continue;
};

struct TokenizeReport {
  int64_t rows = 0;  // data records (header excluded)
  int64_t tokenized = 0;
  int64_t invalid = 0;
  std::vector<int64_t> invalid_lines;  // first kMaxReportedInvalidLines
  // "rows=10 tokenized=9 invalid=1 invalid_lines=[4]": PAN-free.
  std::string Summary() const;
};

Result<TokenizeReport> TokenizeCsv(std::istream& in, std::ostream& out,
                                   const TokenizeOptions& options,
                                   const BatchCardTokenizer& tokenizer);
// With a one-card-at-a-time tokenizer (called for each card of a batch).
Result<TokenizeReport> TokenizeCsv(std::istream& in, std::ostream& out,
                                   const TokenizeOptions& options, const CardTokenizer& tokenizer);

// File-to-file form: writes `out_path` (created 0600, replaced if present;
// removed again on any error).
Result<TokenizeReport> TokenizeCsvFile(const std::string& in_path, const std::string& out_path,
                                       const TokenizeOptions& options,
                                       const BatchCardTokenizer& tokenizer);
Result<TokenizeReport> TokenizeCsvFile(const std::string& in_path, const std::string& out_path,
                                       const TokenizeOptions& options,
                                       const CardTokenizer& tokenizer);

// Batch tokenizer storing the cards in `vault` with CardVault::StoreBatch
// (random tokens, dedup on, so the same PAN always maps to the same token,
// also within one batch and across overlapping batches): one durable commit
// per batch. Safe to call concurrently (max_batches_in_flight > 1).
BatchCardTokenizer VaultBatchTokenizer(vault::CardVault& vault);

// The same with CardVault::Store, one durable commit per card (slow; kept
// for callers that tokenize single cards).
CardTokenizer VaultTokenizer(vault::CardVault& vault);

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_TOKENIZE_FILE_H_
