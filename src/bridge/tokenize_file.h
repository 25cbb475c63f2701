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
inline constexpr size_t kMaxReportedInvalidLines = 100;

struct TokenizedCard {
  std::string token;
  std::string masked_pan;
  std::string last4;
};

// Tokenizes one card. kInvalidArgument marks the row invalid (the message is
// not used); any other error aborts the file.
using CardTokenizer =
    std::function<Result<TokenizedCard>(std::string_view pan, int exp_month, int exp_year)>;

struct TokenizeOptions {
  std::string pan_column;
  std::string exp_column;  // "MM/YY" or "MM/YYYY"
  bool add_masked = false;
  bool add_last4 = false;
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
                                   const TokenizeOptions& options, const CardTokenizer& tokenizer);

// File-to-file form: writes `out_path` (created 0600, replaced if present).
Result<TokenizeReport> TokenizeCsvFile(const std::string& in_path, const std::string& out_path,
                                       const TokenizeOptions& options,
                                       const CardTokenizer& tokenizer);

// A tokenizer storing each card in `vault` (random tokens, dedup on, so the
// same PAN always maps to the same token).
CardTokenizer VaultTokenizer(vault::CardVault& vault);

}  // namespace kura::bridge

#endif  // KURA_BRIDGE_TOKENIZE_FILE_H_
