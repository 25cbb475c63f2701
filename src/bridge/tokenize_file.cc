#include "bridge/tokenize_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <exception>
#include <fstream>
#include <future>
#include <memory>
#include <system_error>

#include "core/base/secret.h"

namespace kura::bridge {

namespace {

// WriteBatch hands the stream its rows this many bytes at a time.
constexpr size_t kWriteChunkBytes = size_t{1} << 20;

// Reads CSV records from a stream through a buffer of its own, `chunk`
// bytes at a time (>= 1): a run of plain characters is found in the buffer
// and appended to its field at once, instead of a stream call and an append
// per character. The strings of `fields` are refilled in place, keeping
// their buffers from record to record: no allocation per field once a
// batch's rows have been used once. The buffer (raw input: it holds PANs) is
// wiped when the reader goes. Not thread-safe.
class CsvReader {
 public:
  CsvReader(std::istream& in, size_t chunk) : in_(in), chunk_(chunk) {}
  ~CsvReader() { SecureZero(buf_.data(), buf_.size()); }
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // The next record into `fields`, `line` advanced past it (a quoted field
  // may span lines). Returns false at a clean end of input. Errors:
  // kInvalidArgument for a record longer than kMaxCsvRecordBytes or an
  // unterminated quote (the message names the line, never a field);
  // kInternal if the stream fails. On an error the fields read so far are
  // wiped (they may hold a PAN).
  Result<bool> Next(std::vector<std::string>& fields, int64_t& line) {
    Result<bool> r = false;
    try {
      r = Parse(fields, line);
    } catch (const std::exception&) {
      r = InternalError("read failed");  // a stream set to throw, or out of memory
    }
    if (!r.ok()) {
      for (std::string& f : fields) SecureZero(f.data(), f.size());
    }
    return r;
  }

 private:
  // Whether a byte is waiting (refilling the buffer if it is empty).
  // Errors: kInternal if the stream failed.
  Result<bool> Available() {
    if (pos_ < end_) return true;
    if (eof_) return false;
    if (buf_.empty()) buf_.resize(chunk_);
    in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    if (in_.bad()) return InternalError("read failed");
    pos_ = 0;
    end_ = static_cast<size_t>(in_.gcount());
    if (end_ < buf_.size()) eof_ = true;
    return end_ > 0;
  }

  Result<bool> Parse(std::vector<std::string>& fields, int64_t& line) {
    size_t count = 0;  // fields started
    const auto next_field = [&fields, &count]() -> std::string* {
      if (count == fields.size()) fields.emplace_back();
      std::string* f = &fields[count++];
      f->clear();
      return f;
    };
    std::string* field = next_field();
    size_t bytes = 0;
    bool in_quotes = false;
    bool any = false;
    const int64_t start_line = line;
    const auto too_long = [start_line]() {
      return InvalidArgumentError("line " + std::to_string(start_line) + ": record too long");
    };
    for (;;) {
      ASSIGN_OR_RETURN(const bool more, Available());
      if (!more) {
        if (in_quotes) {
          return InvalidArgumentError("line " + std::to_string(start_line) +
                                      ": unterminated quote");
        }
        if (!any) {
          fields.clear();
          return false;
        }
        fields.resize(count);
        return true;
      }
      any = true;
      if (!in_quotes) {
        // A run of plain characters, appended at once.
        const char* const begin = buf_.data() + pos_;
        const char* const end = buf_.data() + end_;
        const char* p = begin;
        while (p < end && *p != ',' && *p != '\n' && *p != '\r' && *p != '"') ++p;
        const size_t run = static_cast<size_t>(p - begin);
        if (run > 0) {
          bytes += run;
          if (bytes > kMaxCsvRecordBytes) return too_long();
          field->append(begin, run);
          pos_ += run;
          continue;  // the buffer may have ended inside the run
        }
      }
      const char ch = buf_[pos_++];
      if (++bytes > kMaxCsvRecordBytes) return too_long();
      if (in_quotes) {
        if (ch == '"') {
          ASSIGN_OR_RETURN(const bool next, Available());
          if (next && buf_[pos_] == '"') {
            ++pos_;
            ++bytes;
            field->push_back('"');
          } else {
            in_quotes = false;
          }
        } else {
          if (ch == '\n') ++line;
          field->push_back(ch);
        }
        continue;
      }
      if (ch == '"' && field->empty()) {
        in_quotes = true;
      } else if (ch == ',') {
        field = next_field();
      } else if (ch == '\r') {
        // CRLF is handled with the '\n'; a lone CR is data.
        ASSIGN_OR_RETURN(const bool next, Available());
        if (!next || buf_[pos_] != '\n') field->push_back(ch);
      } else if (ch == '\n') {
        ++line;
        fields.resize(count);
        return true;
      } else {
        field->push_back(ch);  // a quote inside a field
      }
    }
  }

  std::istream& in_;
  const size_t chunk_;
  std::string buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
};

// Whether a field must be quoted: it holds a separator, a quote or a line
// break. A plain loop: find_first_of with a set calls memchr on the set once
// per character of the field (1.5 % of a tokenize-file's CPU).
bool NeedsQuotes(std::string_view field) {
  for (const char c : field) {
    if (c == ',' || c == '"' || c == '\r' || c == '\n') return true;
  }
  return false;
}

// Appends one CSV record to `text`, quoting where needed.
void AppendRecord(const std::vector<std::string>& fields, std::string& text) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) text.push_back(',');
    const std::string& f = fields[i];
    if (!NeedsQuotes(f)) {
      text.append(f);
      continue;
    }
    text.push_back('"');
    for (char c : f) {
      if (c == '"') text.push_back('"');
      text.push_back(c);
    }
    text.push_back('"');
  }
  text.push_back('\n');
}

// Writes `text` out and empties it (keeping its buffer).
Status Flush(std::ostream& out, std::string& text) {
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  text.clear();
  if (!out) return InternalError("write failed");
  return OkStatus();
}

bool ParseExpiry(std::string_view s, int& month, int& year) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view m = s.substr(0, slash);
  std::string_view y = s.substr(slash + 1);
  if (m.empty() || m.size() > 2 || (y.size() != 2 && y.size() != 4)) return false;
  auto [pm, em] = std::from_chars(m.data(), m.data() + m.size(), month);
  auto [py, ey] = std::from_chars(y.data(), y.data() + y.size(), year);
  if (em != std::errc() || ey != std::errc() || pm != m.data() + m.size() ||
      py != y.data() + y.size()) {
    return false;
  }
  if (y.size() == 2) year += 2000;
  return true;
}

}  // namespace

std::string TokenizeReport::Summary() const {
  std::string s = "rows=" + std::to_string(rows) + " tokenized=" + std::to_string(tokenized) +
                  " invalid=" + std::to_string(invalid);
  if (!invalid_lines.empty()) {
    s += " invalid_lines=[";
    for (size_t i = 0; i < invalid_lines.size(); ++i) {
      if (i > 0) s += ",";
      s += std::to_string(invalid_lines[i]);
    }
    if (invalid > static_cast<int64_t>(invalid_lines.size())) s += ",...";
    s += "]";
  }
  return s;
}

namespace {

BatchCardTokenizer OneByOne(const CardTokenizer& tokenizer) {
  return
      [&tokenizer](
          const std::vector<CardToTokenize>& cards) -> Result<std::vector<Result<TokenizedCard>>> {
        std::vector<Result<TokenizedCard>> out;
        out.reserve(cards.size());
        for (const CardToTokenize& c : cards) {
          out.push_back(tokenizer(c.pan, c.exp_month, c.exp_year));
          const StatusCode code = out.back().status().code();
          if (code != StatusCode::kOk && code != StatusCode::kInvalidArgument) break;  // aborts
        }
        return out;
      };
}

// Rows of one batch, kept until the batch is tokenized and written. Row
// vectors and their strings are reused from batch to batch.
class RowBatch {
 public:
  explicit RowBatch(size_t capacity) : rows_(capacity), lines_(capacity), card_of_(capacity) {}
  RowBatch(const RowBatch&) = delete;
  RowBatch& operator=(const RowBatch&) = delete;
  // Wipes every PAN still held: nothing of a card outlives its batch.
  ~RowBatch() { WipePans(); }

  bool full() const { return used_ == rows_.size(); }
  bool empty() const { return used_ == 0; }
  size_t size() const { return used_; }
  std::vector<std::string>& Next() { return rows_[used_]; }
  // Keeps Next() as row `used_`; `card` is its index in cards() or kNoCard.
  void Commit(int64_t line, size_t card) {
    lines_[used_] = line;
    card_of_[used_] = card;
    ++used_;
  }
  std::vector<std::string>& row(size_t i) { return rows_[i]; }
  int64_t line(size_t i) const { return lines_[i]; }
  size_t card_of(size_t i) const { return card_of_[i]; }
  std::vector<CardToTokenize>& cards() { return cards_; }
  // Scratch space for the batch's output rows (tokens, never PANs).
  std::string& text() { return text_; }
  void set_pan_column(size_t c) { pan_col_ = c; }
  void WipePans() {
    for (size_t i = 0; i < used_; ++i) {
      if (pan_col_ < rows_[i].size()) {
        std::string& pan = rows_[i][pan_col_];
        SecureZero(pan.data(), pan.size());
      }
    }
  }
  void Clear() {
    WipePans();
    used_ = 0;
    cards_.clear();
  }

  static constexpr size_t kNoCard = static_cast<size_t>(-1);

 private:
  std::vector<std::vector<std::string>> rows_;
  std::vector<int64_t> lines_;
  std::vector<size_t> card_of_;
  std::vector<CardToTokenize> cards_;
  std::string text_;
  size_t used_ = 0;
  size_t pan_col_ = static_cast<size_t>(-1);
};

using BatchTokens = Result<std::vector<Result<TokenizedCard>>>;

// Runs the tokenizer over a batch's cards. Runs on a pipeline thread: any
// exception (allocation failure) ends here as an error.
BatchTokens TokenizeBatch(const BatchCardTokenizer& tokenizer,
                          const std::vector<CardToTokenize>& cards) {
  if (cards.empty()) return std::vector<Result<TokenizedCard>>();
  try {
    return tokenizer(cards);
  } catch (const std::exception&) {
    return ResourceExhaustedError("tokenize-file: out of memory while tokenizing a batch");
  }
}

// Writes a tokenized batch's rows in input order and clears it.
Status WriteBatch(RowBatch& batch, BatchTokens tokens_or, std::ostream& out,
                  const TokenizeOptions& options, size_t pan_col, TokenizeReport& report) {
  // The PANs are not needed any more: wipe them before anything is written.
  batch.WipePans();
  RETURN_IF_ERROR(tokens_or.status());
  std::vector<Result<TokenizedCard>>& tokens = *tokens_or;
  // The batch's rows go out kWriteChunkBytes at a time: one stream write per
  // chunk instead of one per row.
  std::string& text = batch.text();
  text.clear();
  for (size_t i = 0; i < batch.size(); ++i) {
    std::vector<std::string>& fields = batch.row(i);
    const size_t k = batch.card_of(i);
    // A row without a card (a bad expiry) is invalid; a tokenizer that
    // stopped early (an aborting error) covers fewer cards than the batch.
    // No Status is built for a good row: this runs once per row.
    if (k != RowBatch::kNoCard && k >= tokens.size()) {
      return InternalError("card not tokenized").WithContext("line " +
                                                            std::to_string(batch.line(i)));
    }
    const Result<TokenizedCard>* card = k == RowBatch::kNoCard ? nullptr : &tokens[k];
    if (card != nullptr && card->ok()) {
      ++report.tokenized;
      fields[pan_col] = (*card)->token;
      if (options.add_masked) fields.push_back((*card)->masked_pan);
      if (options.add_last4) fields.push_back((*card)->last4);
    } else if (card == nullptr || card->status().code() == StatusCode::kInvalidArgument) {
      ++report.invalid;
      if (report.invalid_lines.size() < kMaxReportedInvalidLines) {
        report.invalid_lines.push_back(batch.line(i));
      }
      fields[pan_col].clear();
      if (options.add_masked) fields.emplace_back();
      if (options.add_last4) fields.emplace_back();
    } else {
      return card->status().WithContext("line " + std::to_string(batch.line(i)));
    }
    AppendRecord(fields, text);
    if (text.size() >= kWriteChunkBytes) RETURN_IF_ERROR(Flush(out, text));
  }
  RETURN_IF_ERROR(Flush(out, text));
  batch.Clear();
  return OkStatus();
}

// The batches of one file: the one being filled, and up to
// options.max_batches_in_flight handed to the tokenizer (each on its own
// thread), written out in input order as they complete.
class BatchPipeline {
 public:
  BatchPipeline(const TokenizeOptions& options, const BatchCardTokenizer& tokenizer,
                std::ostream& out, size_t pan_col, TokenizeReport& report)
      : options_(options), tokenizer_(tokenizer), out_(out), pan_col_(pan_col), report_(report) {
    filling_ = NewBatch();
  }
  // Waits for every batch still being tokenized (their PANs are wiped by
  // ~RowBatch); their output is not written.
  ~BatchPipeline() {
    for (InFlight& f : in_flight_) {
      if (f.tokens.valid()) f.tokens.wait();
    }
  }
  BatchPipeline(const BatchPipeline&) = delete;
  BatchPipeline& operator=(const BatchPipeline&) = delete;

  RowBatch& filling() { return *filling_; }

  // Hands the filling batch to the tokenizer (if it has rows), first writing
  // the oldest batch if the pipeline is full.
  Status Launch() {
    if (filling_->empty()) return OkStatus();
    if (options_.check_continue) RETURN_IF_ERROR(options_.check_continue());
    if (in_flight_.size() >= options_.max_batches_in_flight) RETURN_IF_ERROR(WriteOldest());
    InFlight f;
    f.batch = std::move(filling_);
    const std::vector<CardToTokenize>* cards = &f.batch->cards();
    const BatchCardTokenizer* tokenizer = &tokenizer_;
    try {
      f.tokens = std::async(std::launch::async,
                            [tokenizer, cards] { return TokenizeBatch(*tokenizer, *cards); });
    } catch (const std::system_error&) {
      // No thread to be had: tokenize on this one.
      std::promise<BatchTokens> done;
      done.set_value(TokenizeBatch(*tokenizer, *cards));
      f.tokens = done.get_future();
    }
    in_flight_.push_back(std::move(f));
    filling_ = NewBatch();
    return OkStatus();
  }

  // Launches the last batch and writes every batch in order.
  Status Finish() {
    RETURN_IF_ERROR(Launch());
    while (!in_flight_.empty()) RETURN_IF_ERROR(WriteOldest());
    return OkStatus();
  }

 private:
  struct InFlight {
    std::unique_ptr<RowBatch> batch;
    std::future<BatchTokens> tokens;
  };

  std::unique_ptr<RowBatch> NewBatch() {
    std::unique_ptr<RowBatch> b;
    if (!spare_.empty()) {
      b = std::move(spare_.back());
      spare_.pop_back();
    } else {
      b = std::make_unique<RowBatch>(options_.batch_rows);
      b->set_pan_column(pan_col_);
    }
    return b;
  }

  Status WriteOldest() {
    InFlight f = std::move(in_flight_.front());
    in_flight_.pop_front();
    Status s = WriteBatch(*f.batch, f.tokens.get(), out_, options_, pan_col_, report_);
    if (s.ok()) spare_.push_back(std::move(f.batch));  // rows and strings are reused
    return s;
  }

  const TokenizeOptions& options_;
  const BatchCardTokenizer& tokenizer_;
  std::ostream& out_;
  const size_t pan_col_;
  TokenizeReport& report_;
  std::unique_ptr<RowBatch> filling_;
  std::deque<InFlight> in_flight_;
  std::vector<std::unique_ptr<RowBatch>> spare_;
};

}  // namespace

Result<TokenizeReport> TokenizeCsv(std::istream& in, std::ostream& out,
                                   const TokenizeOptions& options,
                                   const BatchCardTokenizer& tokenizer) {
  if (options.batch_rows == 0) return InvalidArgumentError("batch_rows must be at least 1");
  if (options.max_batches_in_flight == 0) {
    return InvalidArgumentError("max_batches_in_flight must be at least 1");
  }
  if (options.read_chunk_bytes == 0) {
    return InvalidArgumentError("read_chunk_bytes must be at least 1");
  }
  TokenizeReport report;
  std::vector<std::string> fields;
  int64_t line = 1;
  CsvReader reader(in, options.read_chunk_bytes);
  ASSIGN_OR_RETURN(bool has_header, reader.Next(fields, line));
  if (!has_header) return InvalidArgumentError("empty file: no header");
  size_t pan_col = fields.size();
  size_t exp_col = fields.size();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i] == options.pan_column) pan_col = i;
    if (fields[i] == options.exp_column) exp_col = i;
  }
  if (pan_col == fields.size()) return InvalidArgumentError("header has no PAN column");
  if (exp_col == fields.size()) return InvalidArgumentError("header has no expiry column");
  const size_t width = fields.size();
  if (options.add_masked) fields.push_back(options.pan_column + "_masked");
  if (options.add_last4) fields.push_back(options.pan_column + "_last4");
  std::string header;
  AppendRecord(fields, header);
  RETURN_IF_ERROR(Flush(out, header));
  BatchPipeline pipeline(options, tokenizer, out, pan_col, report);
  for (;;) {
    RowBatch& batch = pipeline.filling();
    const int64_t record_line = line;
    std::vector<std::string>& row = batch.Next();
    ASSIGN_OR_RETURN(bool more, reader.Next(row, line));
    if (!more) break;
    if (row.size() == 1 && row[0].empty()) continue;  // blank line
    if (row.size() != width) {
      // Not echoed: the row may hold a PAN.
      for (std::string& f : row) SecureZero(f.data(), f.size());
      return InvalidArgumentError("line " + std::to_string(record_line) +
                                  ": wrong number of fields");
    }
    ++report.rows;
    int month = 0;
    int year = 0;
    size_t card = RowBatch::kNoCard;
    if (ParseExpiry(row[exp_col], month, year)) {
      card = batch.cards().size();
      batch.cards().push_back(CardToTokenize{row[pan_col], month, year});
    }
    batch.Commit(record_line, card);
    if (batch.full()) RETURN_IF_ERROR(pipeline.Launch());
  }
  RETURN_IF_ERROR(pipeline.Finish());
  out.flush();
  if (!out) return InternalError("write failed");
  return report;
}

Result<TokenizeReport> TokenizeCsv(std::istream& in, std::ostream& out,
                                   const TokenizeOptions& options, const CardTokenizer& tokenizer) {
  return TokenizeCsv(in, out, options, OneByOne(tokenizer));
}

Result<TokenizeReport> TokenizeCsvFile(const std::string& in_path, const std::string& out_path,
                                       const TokenizeOptions& options,
                                       const BatchCardTokenizer& tokenizer) {
  std::ifstream in(in_path, std::ios::binary);
  if (!in) return NotFoundError("tokenize-file: cannot open input: " + in_path);
  // Create the output 0600 before the stream opens it.
  int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return PermissionDeniedError("tokenize-file: cannot create output: " + out_path);
  ::close(fd);
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  if (!out) return PermissionDeniedError("tokenize-file: cannot create output: " + out_path);
  Result<TokenizeReport> r = TokenizeCsv(in, out, options, tokenizer);
  out.close();
  if (!r.ok() || !out) {
    ::unlink(out_path.c_str());  // never leave a half-written file behind
    if (r.ok()) return InternalError("tokenize-file: write failed: " + out_path);
  }
  return r;
}

Result<TokenizeReport> TokenizeCsvFile(const std::string& in_path, const std::string& out_path,
                                       const TokenizeOptions& options,
                                       const CardTokenizer& tokenizer) {
  return TokenizeCsvFile(in_path, out_path, options, OneByOne(tokenizer));
}

BatchCardTokenizer VaultBatchTokenizer(vault::CardVault& vault) {
  return
      [&vault](
          const std::vector<CardToTokenize>& cards) -> Result<std::vector<Result<TokenizedCard>>> {
        std::vector<vault::CardInput> inputs(cards.size());
        for (size_t i = 0; i < cards.size(); ++i) {
          inputs[i].pan = SecretBytes::FromString(cards[i].pan);
          inputs[i].exp_month = cards[i].exp_month;
          inputs[i].exp_year = cards[i].exp_year;
          inputs[i].dedup = true;
        }
        ASSIGN_OR_RETURN(std::vector<Result<vault::StoreOutcome>> stored,
                         vault.StoreBatch(std::move(inputs)));
        std::vector<Result<TokenizedCard>> out;
        out.reserve(stored.size());
        for (Result<vault::StoreOutcome>& s : stored) {
          if (!s.ok()) {
            out.push_back(s.status());
          } else {
            out.push_back(TokenizedCard{std::move(s->card.token), std::move(s->card.masked_pan),
                                        std::move(s->card.last4)});
          }
        }
        return out;
      };
}

CardTokenizer VaultTokenizer(vault::CardVault& vault) {
  return [&vault](std::string_view pan, int exp_month, int exp_year) -> Result<TokenizedCard> {
    vault::CardInput input;
    input.pan = SecretBytes::FromString(pan);
    input.exp_month = exp_month;
    input.exp_year = exp_year;
    input.dedup = true;
    ASSIGN_OR_RETURN(vault::StoreOutcome stored, vault.Store(input));
    return TokenizedCard{stored.card.token, stored.card.masked_pan, stored.card.last4};
  };
}

}  // namespace kura::bridge
