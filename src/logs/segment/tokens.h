// Tokens of the hot index: what a per-block Bloom filter can be asked about.
//
//  * field tokens: (text field id, exact unescaped value), for the fields of
//    record_view.h (the well-known string fields, node, source);
//  * word tokens: the lower-cased words of the well-known string fields
//    (kStringFields: service ... message; not node/source/fields).
//
// A *word* is a maximal run of word bytes: ASCII letters, digits, '_', and
// every byte >= 0x80 (so non-ASCII UTF-8 text stays whole). Lower-casing is
// ASCII-only. "Card 4111 revealed: tok_8f3a." has the words "card", "4111",
// "revealed", "tok_8f3a".
//
// The hashes are part of the stored index format (segment_index.h): changing
// them requires a new index version.
//
// Thread safety: free functions, thread-safe.
#ifndef KURA_LOGS_SEGMENT_TOKENS_H_
#define KURA_LOGS_SEGMENT_TOKENS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kura::logs {

// 64-bit hash of `data` (MurmurHash64A's construction), stable across
// platforms and versions.
uint64_t Hash64(std::string_view data, uint64_t seed);

uint64_t FieldTokenHash(size_t field_id, std::string_view value);
// `word` must already be lower-cased.
uint64_t WordTokenHash(std::string_view word);

inline bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c >= 0x80;
}

// Calls fn(std::string_view word) for every word of `text`, lower-cased
// (the view is valid only during the call).
template <typename Fn>
void ForEachWord(std::string_view text, Fn&& fn) {
  std::string lower;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    while (i < n && !IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    const size_t start = i;
    bool has_upper = false;
    while (i < n && IsWordByte(static_cast<unsigned char>(text[i]))) {
      has_upper |= (text[i] >= 'A' && text[i] <= 'Z');
      ++i;
    }
    if (i == start) break;
    std::string_view w = text.substr(start, i - start);
    if (has_upper) {
      lower.assign(w);
      for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      fn(std::string_view(lower));
    } else {
      fn(w);
    }
  }
}

}  // namespace kura::logs

#endif  // KURA_LOGS_SEGMENT_TOKENS_H_
