// RecordView: a fast, allocation-free look at the top-level fields of one
// record's bytes (logs/record/log_record.h), for building the hot index and
// for matching search queries without a full JSON parse.
//
// The scanner accepts any JSON object whose top-level values are strings,
// numbers, objects, arrays, true, false or null (it does not validate nested
// values beyond balancing brackets and strings); records written by
// EncodeRecord always qualify. Values of the well-known string fields are kept
// as views of the escaped JSON text; Text() unescapes on demand.
//
// Thread safety: plain data and free functions.
#ifndef KURA_LOGS_SEGMENT_RECORD_VIEW_H_
#define KURA_LOGS_SEGMENT_RECORD_VIEW_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "logs/record/log_record.h"

namespace kura::logs {

// The searchable string fields: kStringFields (same order, ids 0..10), then
// "node" (11) and "source" (12).
inline constexpr size_t kTextFieldCount = kStringFields.size() + 2;
inline constexpr size_t kNodeFieldId = kStringFields.size();
inline constexpr size_t kSourceFieldId = kStringFields.size() + 1;

// Name of text field `id` (< kTextFieldCount).
std::string_view TextFieldName(size_t id);
// Id of a text field by name, or nullopt.
std::optional<size_t> TextFieldId(std::string_view name);

struct RecordView {
  uint64_t seq = 0;
  std::string_view received;  // the timestamp text, unescaped (RFC 3339)
  // Escaped JSON string contents (without quotes) of each text field; empty =
  // absent. escaped[i] tells whether the view contains a backslash.
  std::array<std::string_view, kTextFieldCount> raw{};
  std::array<bool, kTextFieldCount> escaped{};
  // The "fields" object's JSON text ("" when absent).
  std::string_view fields_json;

  // Unescaped value of text field `id` ("" when absent). Uses `scratch` only
  // when the value contains escapes.
  std::string_view Text(size_t id, std::string* scratch) const;
};

// Scans `bytes` (one record, no trailing newline). kDataLoss when it is not a
// JSON object or has no numeric "seq" / string "received". The views point
// into `bytes`.
Result<RecordView> ScanRecord(std::string_view bytes);

// Unescapes the contents of a JSON string literal (without the quotes).
// Invalid escapes are copied through unchanged (the scanner never sees them
// in records written by EncodeRecord).
void UnescapeJsonString(std::string_view escaped, std::string* out);

}  // namespace kura::logs

#endif  // KURA_LOGS_SEGMENT_RECORD_VIEW_H_
