#include "bridge/tokenize_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>

#include "core/base/secret.h"

namespace kura::bridge {

namespace {

// Reads one CSV record. Returns false at a clean end of input.
Result<bool> ReadRecord(std::istream& in, std::vector<std::string>& fields, int64_t& line) {
  fields.clear();
  std::string field;
  size_t bytes = 0;
  bool in_quotes = false;
  bool any = false;
  const int64_t start_line = line;
  for (;;) {
    int c = in.get();
    if (c == EOF) {
      if (in.bad()) return InternalError("read failed");
      if (in_quotes) {
        return InvalidArgumentError("line " + std::to_string(start_line) + ": unterminated quote");
      }
      if (!any) return false;
      fields.push_back(std::move(field));
      return true;
    }
    any = true;
    if (++bytes > kMaxCsvRecordBytes) {
      return InvalidArgumentError("line " + std::to_string(start_line) + ": record too long");
    }
    const char ch = static_cast<char>(c);
    if (in_quotes) {
      if (ch == '"') {
        if (in.peek() == '"') {
          in.get();
          field.push_back('"');
        } else {
          in_quotes = false;
        }
      } else {
        if (ch == '\n') ++line;
        field.push_back(ch);
      }
      continue;
    }
    if (ch == '"' && field.empty()) {
      in_quotes = true;
    } else if (ch == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else if (ch == '\r' && in.peek() == '\n') {
      // CRLF: handled with the '\n'.
    } else if (ch == '\n') {
      ++line;
      fields.push_back(std::move(field));
      return true;
    } else {
      field.push_back(ch);
    }
  }
}

void WriteRecord(std::ostream& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.put(',');
    const std::string& f = fields[i];
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      out << f;
      continue;
    }
    out.put('"');
    for (char c : f) {
      if (c == '"') out.put('"');
      out.put(c);
    }
    out.put('"');
  }
  out.put('\n');
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

Result<TokenizeReport> TokenizeCsv(std::istream& in, std::ostream& out,
                                   const TokenizeOptions& options, const CardTokenizer& tokenizer) {
  TokenizeReport report;
  std::vector<std::string> fields;
  int64_t line = 1;
  ASSIGN_OR_RETURN(bool has_header, ReadRecord(in, fields, line));
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
  WriteRecord(out, fields);
  for (;;) {
    const int64_t record_line = line;
    ASSIGN_OR_RETURN(bool more, ReadRecord(in, fields, line));
    if (!more) break;
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (fields.size() != width) {
      // Not echoed: the row may hold a PAN.
      return InvalidArgumentError("line " + std::to_string(record_line) +
                                  ": wrong number of fields");
    }
    ++report.rows;
    int month = 0;
    int year = 0;
    Result<TokenizedCard> card = InvalidArgumentError("bad expiry");
    if (ParseExpiry(fields[exp_col], month, year)) {
      card = tokenizer(fields[pan_col], month, year);
    }
    // Wipe the PAN from memory as soon as it is used.
    std::fill(fields[pan_col].begin(), fields[pan_col].end(), '\0');
    if (card.ok()) {
      ++report.tokenized;
      fields[pan_col] = card->token;
      if (options.add_masked) fields.push_back(card->masked_pan);
      if (options.add_last4) fields.push_back(card->last4);
    } else if (card.status().code() == StatusCode::kInvalidArgument) {
      ++report.invalid;
      if (report.invalid_lines.size() < kMaxReportedInvalidLines) {
        report.invalid_lines.push_back(record_line);
      }
      fields[pan_col].clear();
      if (options.add_masked) fields.emplace_back();
      if (options.add_last4) fields.emplace_back();
    } else {
      return card.status().WithContext("line " + std::to_string(record_line));
    }
    WriteRecord(out, fields);
    if (!out) return InternalError("write failed");
  }
  out.flush();
  if (!out) return InternalError("write failed");
  return report;
}

Result<TokenizeReport> TokenizeCsvFile(const std::string& in_path, const std::string& out_path,
                                       const TokenizeOptions& options,
                                       const CardTokenizer& tokenizer) {
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
