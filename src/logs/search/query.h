// The search query language of `kura logs search` and GET /v1/search
// (docs/logs.md "Search").
//
//   query   := or
//   or      := and ( "OR" and )*
//   and     := not ( [ "AND" ] not )*          (juxtaposition is AND)
//   not     := ( "NOT" | "-" ) not | primary
//   primary := "(" or ")" | FIELD "=" VALUE | FIELD "!=" VALUE | WORD | "PHRASE"
//
// Precedence NOT > AND > OR. AND, OR and NOT are keywords only in upper
// case ("and" is a word). An empty query matches every record.
//
//  * FIELD=VALUE: exact, case-sensitive equality of a record field: the
//    well-known string fields (service, event, outcome, principal, origin,
//    resource, reason, host, app, severity, message), node, source, or
//    fields.NAME[.NAME...] (a value inside "fields": strings compare by
//    text, numbers and booleans by their JSON text). VALUE may be "quoted"
//    (with \" and \\ escapes). FIELD!=VALUE is NOT FIELD=VALUE.
//  * WORD: a whole-word, case-insensitive match in any of the well-known
//    string fields (words as in logs/segment/tokens.h: runs of letters,
//    digits, '_' and non-ASCII bytes). A bare term with other characters,
//    e.g. card.reveal or 10.0.0.5, is the phrase of its words.
//  * "PHRASE": its words, consecutive and in order, within one field.
//
// Errors are kInvalidArgument with the 1-based character position of the
// problem; they never quote the query (it may contain a card number).
//
// Thread safety: a const Query may be used from many threads.
#ifndef KURA_LOGS_SEARCH_QUERY_H_
#define KURA_LOGS_SEARCH_QUERY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "logs/segment/record_view.h"
#include "logs/segment/segment_index.h"

namespace kura::logs {

// Limits: a query is typed by a person or a console.
inline constexpr size_t kMaxQueryBytes = 4096;
inline constexpr size_t kMaxQueryDepth = 32;

struct QueryNode {
  enum class Kind { kAll, kField, kFieldsPath, kPhrase, kAnd, kOr, kNot };
  Kind kind = Kind::kAll;
  size_t field_id = 0;                  // kField
  std::vector<std::string> path;        // kFieldsPath: keys below "fields"
  std::string value;                    // kField, kFieldsPath
  std::vector<std::string> words;       // kPhrase: lower-cased words (>= 1)
  std::vector<QueryNode> children;      // kAnd, kOr (>= 2), kNot (1)
};

// What the index can tell about a block.
enum class BlockVerdict { kNone, kSome, kAll };

class Query {
 public:
  // Parses `text`. kInvalidArgument with a position on a syntax error, an
  // unknown field, a term without words, or a query over the limits.
  static Result<Query> Parse(std::string_view text);

  const QueryNode& root() const { return root_; }
  bool MatchesAll() const { return root_.kind == QueryNode::Kind::kAll; }

  // Whether the record matches (the ground truth; the index only narrows).
  bool Matches(const RecordView& record) const;

  // If the query only constrains one counted field (kCountedFields) with
  // kField terms — e.g. event=a OR event=b — that field's id, and Accepts
  // tells for a value of it whether records with that value match.
  // MatchesAll queries have no such field (returns false).
  bool SingleCountedField(size_t* field_id) const;
  bool Accepts(std::string_view value) const;

  // A byte string that every matching record's bytes contain unless they
  // contain a backslash (a JSON escape could spell the value differently):
  // `"VALUE"` of a FIELD=VALUE term the whole query requires (the root, or a
  // child of a root AND) whose value is non-empty and has no byte below
  // 0x20, '"' or '\\'. Empty when there is none. Lets a scan skip records
  // with two memchr/memmem passes instead of parsing them.
  const std::string& required_literal() const { return required_literal_; }

 private:
  explicit Query(QueryNode root);
  QueryNode root_;
  std::string required_literal_;
};

// A Query resolved against one segment's index (token hashes, value ids of
// the counted fields). The Query and the index must outlive it.
class BoundQuery {
 public:
  BoundQuery(const Query& query, const SegmentIndex& index);

  // kNone if no record of block `b` can match (Bloom filters or counts),
  // kAll if every record does (decided from exact per-value counts only),
  // else kSome.
  BlockVerdict Classify(size_t b) const;

 private:
  struct Node {
    const QueryNode* q = nullptr;
    std::vector<uint64_t> hashes;        // all must be in the block's filter
    const FieldCounts* counts = nullptr;  // kField on a counted field
    uint32_t value_id = 0;               // in counts->values; UINT32_MAX if absent
    std::vector<Node> children;
  };
  Node Bind(const QueryNode& q) const;
  BlockVerdict Eval(const Node& n, size_t b) const;

  const SegmentIndex& index_;
  Node root_;
};

}  // namespace kura::logs

#endif  // KURA_LOGS_SEARCH_QUERY_H_
