#include "logs/search/query.h"

#include <algorithm>
#include <boost/json.hpp>
#include <limits>

#include "logs/segment/tokens.h"

namespace kura::logs {
namespace {

Status SyntaxError(size_t pos, std::string_view what) {
  return InvalidArgumentError("query: " + std::string(what) + " at position " +
                              std::to_string(pos + 1));
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

struct Token {
  enum class Type { kLParen, kRParen, kAnd, kOr, kNot, kTerm, kPhrase, kEnd };
  Type type = Type::kEnd;
  size_t pos = 0;
  std::string text;   // kTerm: the bare text; kPhrase: the unquoted text
  // kTerm with '=': the field and value.
  bool has_eq = false;
  bool negated = false;  // "!="
  std::string field;
  std::string value;
};

// Reads a quoted string starting at s[i] == '"'; sets *end after the closing quote.
Result<std::string> ReadQuoted(std::string_view s, size_t i, size_t* end) {
  std::string out;
  for (size_t j = i + 1; j < s.size(); ++j) {
    if (s[j] == '\\' && j + 1 < s.size()) {
      out.push_back(s[++j]);
    } else if (s[j] == '"') {
      *end = j + 1;
      return out;
    } else {
      out.push_back(s[j]);
    }
  }
  return SyntaxError(i, "unterminated quote");
}

Result<std::vector<Token>> Lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (true) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    Token t;
    t.pos = i;
    if (i >= s.size()) {
      out.push_back(t);
      return out;
    }
    const char c = s[i];
    if (c == '(' || c == ')') {
      t.type = c == '(' ? Token::Type::kLParen : Token::Type::kRParen;
      ++i;
    } else if (c == '"') {
      size_t end = 0;
      ASSIGN_OR_RETURN(t.text, ReadQuoted(s, i, &end));
      t.type = Token::Type::kPhrase;
      i = end;
    } else if (c == '-' && i + 1 < s.size() && !IsSpace(s[i + 1]) && s[i + 1] != ')' &&
               s[i + 1] != '-') {
      t.type = Token::Type::kNot;
      ++i;
    } else {
      size_t j = i;
      while (j < s.size() && !IsSpace(s[j]) && s[j] != '(' && s[j] != ')' && s[j] != '"' &&
             s[j] != '=') {
        ++j;
      }
      t.type = Token::Type::kTerm;
      if (j < s.size() && s[j] == '=') {
        t.has_eq = true;
        t.field = std::string(s.substr(i, j - i));
        if (!t.field.empty() && t.field.back() == '!') {
          t.negated = true;
          t.field.pop_back();
        }
        if (t.field.empty()) return SyntaxError(i, "missing field name before '='");
        ++j;
        if (j < s.size() && s[j] == '"') {
          size_t end = 0;
          ASSIGN_OR_RETURN(t.value, ReadQuoted(s, j, &end));
          j = end;
        } else {
          const size_t v = j;
          while (j < s.size() && !IsSpace(s[j]) && s[j] != '(' && s[j] != ')' && s[j] != '"') ++j;
          t.value = std::string(s.substr(v, j - v));
          if (t.value.empty()) return SyntaxError(v, "missing value after '='");
        }
      } else {
        t.text = std::string(s.substr(i, j - i));
        if (t.text == "AND") t.type = Token::Type::kAnd;
        else if (t.text == "OR") t.type = Token::Type::kOr;
        else if (t.text == "NOT") t.type = Token::Type::kNot;
      }
      i = j;
    }
    out.push_back(std::move(t));
  }
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Result<QueryNode> ParseAll() {
    if (Peek().type == Token::Type::kEnd) return QueryNode{};
    ASSIGN_OR_RETURN(QueryNode n, Or(0));
    if (Peek().type != Token::Type::kEnd) {
      return SyntaxError(Peek().pos, Peek().type == Token::Type::kRParen
                                         ? "unmatched ')'"
                                         : "unexpected term");
    }
    return n;
  }

 private:
  const Token& Peek() const { return t_[i_]; }
  bool StartsOperand() const {
    auto ty = Peek().type;
    return ty == Token::Type::kLParen || ty == Token::Type::kNot || ty == Token::Type::kTerm ||
           ty == Token::Type::kPhrase;
  }

  static QueryNode Combine(QueryNode::Kind kind, std::vector<QueryNode> parts) {
    if (parts.size() == 1) return std::move(parts[0]);
    QueryNode n;
    n.kind = kind;
    n.children = std::move(parts);
    return n;
  }

  Result<QueryNode> Or(size_t depth) {
    if (depth > kMaxQueryDepth) return SyntaxError(Peek().pos, "query nested too deeply");
    std::vector<QueryNode> parts;
    ASSIGN_OR_RETURN(QueryNode first, And(depth + 1));
    parts.push_back(std::move(first));
    while (Peek().type == Token::Type::kOr) {
      ++i_;
      if (!StartsOperand()) return SyntaxError(Peek().pos, "expected a term after OR");
      ASSIGN_OR_RETURN(QueryNode next, And(depth + 1));
      parts.push_back(std::move(next));
    }
    return Combine(QueryNode::Kind::kOr, std::move(parts));
  }

  Result<QueryNode> And(size_t depth) {
    std::vector<QueryNode> parts;
    ASSIGN_OR_RETURN(QueryNode first, Not(depth + 1));
    parts.push_back(std::move(first));
    while (true) {
      if (Peek().type == Token::Type::kAnd) {
        ++i_;
        if (!StartsOperand()) return SyntaxError(Peek().pos, "expected a term after AND");
      } else if (!StartsOperand()) {
        break;
      }
      ASSIGN_OR_RETURN(QueryNode next, Not(depth + 1));
      parts.push_back(std::move(next));
    }
    return Combine(QueryNode::Kind::kAnd, std::move(parts));
  }

  Result<QueryNode> Not(size_t depth) {
    if (depth > kMaxQueryDepth) return SyntaxError(Peek().pos, "query nested too deeply");
    if (Peek().type == Token::Type::kNot) {
      ++i_;
      if (!StartsOperand()) return SyntaxError(Peek().pos, "expected a term after NOT");
      ASSIGN_OR_RETURN(QueryNode inner, Not(depth + 1));
      QueryNode n;
      n.kind = QueryNode::Kind::kNot;
      n.children.push_back(std::move(inner));
      return n;
    }
    return Primary(depth + 1);
  }

  Result<QueryNode> Primary(size_t depth) {
    const Token& t = Peek();
    switch (t.type) {
      case Token::Type::kLParen: {
        ++i_;
        if (Peek().type == Token::Type::kRParen) return SyntaxError(Peek().pos, "empty '()'");
        ASSIGN_OR_RETURN(QueryNode inner, Or(depth + 1));
        if (Peek().type != Token::Type::kRParen) return SyntaxError(Peek().pos, "missing ')'");
        ++i_;
        return inner;
      }
      case Token::Type::kTerm:
        ++i_;
        return t.has_eq ? FieldTerm(t) : PhraseTerm(t.text, t.pos);
      case Token::Type::kPhrase:
        ++i_;
        return PhraseTerm(t.text, t.pos);
      case Token::Type::kRParen:
        return SyntaxError(t.pos, "unmatched ')'");
      case Token::Type::kEnd:
        return SyntaxError(t.pos, "query ends where a term was expected");
      default:
        return SyntaxError(t.pos, "expected a term");
    }
  }

  static Result<QueryNode> FieldTerm(const Token& t) {
    QueryNode n;
    if (auto id = TextFieldId(t.field)) {
      n.kind = QueryNode::Kind::kField;
      n.field_id = *id;
    } else if (t.field.rfind("fields.", 0) == 0) {
      n.kind = QueryNode::Kind::kFieldsPath;
      std::string_view rest = std::string_view(t.field).substr(7);
      while (true) {
        const size_t dot = rest.find('.');
        std::string_view key = rest.substr(0, dot);
        if (key.empty()) return SyntaxError(t.pos, "empty name in a fields. path");
        n.path.emplace_back(key);
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
      }
    } else {
      return SyntaxError(t.pos, "unknown field (known: service, event, outcome, principal, "
                                "origin, resource, reason, host, app, severity, message, "
                                "node, source, fields.NAME)");
    }
    n.value = t.value;
    if (!t.negated) return n;
    QueryNode neg;
    neg.kind = QueryNode::Kind::kNot;
    neg.children.push_back(std::move(n));
    return neg;
  }

  static Result<QueryNode> PhraseTerm(std::string_view text, size_t pos) {
    QueryNode n;
    n.kind = QueryNode::Kind::kPhrase;
    ForEachWord(text, [&](std::string_view w) { n.words.emplace_back(w); });
    if (n.words.empty()) return SyntaxError(pos, "term has no letters or digits");
    return n;
  }

  std::vector<Token> t_;
  size_t i_ = 0;
};

bool PhraseIn(const std::vector<std::string>& phrase, std::string_view text) {
  const size_t n = phrase.size();
  // Ring of the last n words of `text`.
  std::vector<std::string> window;
  bool found = false;
  ForEachWord(text, [&](std::string_view w) {
    if (found) return;
    if (window.size() == n) window.erase(window.begin());
    window.emplace_back(w);
    if (window.size() == n && std::equal(window.begin(), window.end(), phrase.begin())) {
      found = true;
    }
  });
  return found;
}

// Cheap rejection: a whole word (ASCII-lower-cased) can only match if its
// bytes occur in the record case-insensitively.
bool ContainsCaseInsensitive(std::string_view hay, std::string_view lower_needle) {
  if (lower_needle.empty()) return true;
  if (hay.size() < lower_needle.size()) return false;
  const char first = lower_needle[0];
  const char first_upper = (first >= 'a' && first <= 'z') ? static_cast<char>(first - 32) : first;
  for (size_t i = 0; i + lower_needle.size() <= hay.size(); ++i) {
    if (hay[i] != first && hay[i] != first_upper) continue;
    size_t k = 1;
    for (; k < lower_needle.size(); ++k) {
      char c = hay[i + k];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      if (c != lower_needle[k]) break;
    }
    if (k == lower_needle.size()) return true;
  }
  return false;
}

bool FieldsPathEquals(const QueryNode& n, std::string_view fields_json) {
  if (fields_json.empty()) return false;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(fields_json, ec);
  if (ec) return false;
  const boost::json::value* cur = &v;
  for (const std::string& key : n.path) {
    if (!cur->is_object()) return false;
    cur = cur->as_object().if_contains(key);
    if (cur == nullptr) return false;
  }
  if (cur->is_string()) return cur->get_string() == n.value;
  if (cur->is_object() || cur->is_array()) return false;
  return boost::json::serialize(*cur) == n.value;
}

bool Eval(const QueryNode& n, const RecordView& r, std::string* scratch) {
  switch (n.kind) {
    case QueryNode::Kind::kAll:
      return true;
    case QueryNode::Kind::kField:
      return r.Text(n.field_id, scratch) == n.value;
    case QueryNode::Kind::kFieldsPath:
      return FieldsPathEquals(n, r.fields_json);
    case QueryNode::Kind::kPhrase:
      for (size_t f = 0; f < kStringFields.size(); ++f) {
        if (r.raw[f].empty() || !ContainsCaseInsensitive(r.raw[f], n.words[0])) {
          if (!r.escaped[f]) continue;
        }
        if (PhraseIn(n.words, r.Text(f, scratch))) return true;
      }
      return false;
    case QueryNode::Kind::kAnd:
      for (const QueryNode& c : n.children) {
        if (!Eval(c, r, scratch)) return false;
      }
      return true;
    case QueryNode::Kind::kOr:
      for (const QueryNode& c : n.children) {
        if (Eval(c, r, scratch)) return true;
      }
      return false;
    case QueryNode::Kind::kNot:
      return !Eval(n.children[0], r, scratch);
  }
  return false;
}

bool OnlyField(const QueryNode& n, size_t* field) {
  switch (n.kind) {
    case QueryNode::Kind::kField:
      if (*field == SIZE_MAX) *field = n.field_id;
      return *field == n.field_id;
    case QueryNode::Kind::kAnd:
    case QueryNode::Kind::kOr:
    case QueryNode::Kind::kNot:
      for (const QueryNode& c : n.children) {
        if (!OnlyField(c, field)) return false;
      }
      return true;
    default:
      return false;
  }
}

bool AcceptsValue(const QueryNode& n, std::string_view value) {
  switch (n.kind) {
    case QueryNode::Kind::kField:
      return n.value == value;
    case QueryNode::Kind::kAnd:
      for (const QueryNode& c : n.children) {
        if (!AcceptsValue(c, value)) return false;
      }
      return true;
    case QueryNode::Kind::kOr:
      for (const QueryNode& c : n.children) {
        if (AcceptsValue(c, value)) return true;
      }
      return false;
    case QueryNode::Kind::kNot:
      return !AcceptsValue(n.children[0], value);
    default:
      return true;
  }
}

}  // namespace

Query::Query(QueryNode root) : root_(std::move(root)) {
  auto literal = [](const QueryNode& n) -> std::string {
    if (n.kind != QueryNode::Kind::kField || n.value.empty()) return {};
    for (char c : n.value) {
      if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\') return {};
    }
    return "\"" + n.value + "\"";
  };
  required_literal_ = literal(root_);
  if (root_.kind == QueryNode::Kind::kAnd) {
    for (const QueryNode& c : root_.children) {
      required_literal_ = literal(c);
      if (!required_literal_.empty()) break;
    }
  }
}

Result<Query> Query::Parse(std::string_view text) {
  if (text.size() > kMaxQueryBytes) {
    return InvalidArgumentError("query: longer than " + std::to_string(kMaxQueryBytes) +
                                " bytes");
  }
  ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(text));
  Parser p(std::move(tokens));
  ASSIGN_OR_RETURN(QueryNode root, p.ParseAll());
  return Query(std::move(root));
}

bool Query::Matches(const RecordView& record) const {
  std::string scratch;
  return Eval(root_, record, &scratch);
}

bool Query::SingleCountedField(size_t* field_id) const {
  size_t f = SIZE_MAX;
  if (!OnlyField(root_, &f) || f == SIZE_MAX) return false;
  if (std::find(kCountedFields.begin(), kCountedFields.end(), f) == kCountedFields.end()) {
    return false;
  }
  *field_id = f;
  return true;
}

bool Query::Accepts(std::string_view value) const { return AcceptsValue(root_, value); }

BoundQuery::BoundQuery(const Query& query, const SegmentIndex& index)
    : index_(index), root_(Bind(query.root())) {}

BoundQuery::Node BoundQuery::Bind(const QueryNode& q) const {
  Node n;
  n.q = &q;
  switch (q.kind) {
    case QueryNode::Kind::kField:
      // Absent fields ("") have no token: only counts can rule them out.
      if (!q.value.empty()) n.hashes.push_back(FieldTokenHash(q.field_id, q.value));
      n.counts = index_.CountsFor(q.field_id);
      if (n.counts != nullptr) {
        auto it = std::find(n.counts->values.begin(), n.counts->values.end(), q.value);
        n.value_id = it == n.counts->values.end()
                         ? std::numeric_limits<uint32_t>::max()
                         : static_cast<uint32_t>(it - n.counts->values.begin());
      }
      break;
    case QueryNode::Kind::kPhrase:
      for (const std::string& w : q.words) n.hashes.push_back(WordTokenHash(w));
      break;
    default:
      break;
  }
  for (const QueryNode& c : q.children) n.children.push_back(Bind(c));
  return n;
}

BlockVerdict BoundQuery::Classify(size_t b) const { return Eval(root_, b); }

BlockVerdict BoundQuery::Eval(const Node& n, size_t b) const {
  switch (n.q->kind) {
    case QueryNode::Kind::kAll:
      return BlockVerdict::kAll;
    case QueryNode::Kind::kField:
      if (n.counts != nullptr) {
        if (n.value_id == std::numeric_limits<uint32_t>::max()) return BlockVerdict::kNone;
        for (const auto& [id, c] : n.counts->per_block[b]) {
          if (id != n.value_id) continue;
          return c == index_.blocks[b].record_count ? BlockVerdict::kAll : BlockVerdict::kSome;
        }
        return BlockVerdict::kNone;
      }
      [[fallthrough]];
    case QueryNode::Kind::kPhrase:
      for (uint64_t h : n.hashes) {
        if (!index_.BlockMayContain(b, h)) return BlockVerdict::kNone;
      }
      return BlockVerdict::kSome;
    case QueryNode::Kind::kFieldsPath:
      return BlockVerdict::kSome;
    case QueryNode::Kind::kAnd: {
      BlockVerdict v = BlockVerdict::kAll;
      for (const Node& c : n.children) {
        BlockVerdict cv = Eval(c, b);
        if (cv == BlockVerdict::kNone) return cv;
        if (cv == BlockVerdict::kSome) v = cv;
      }
      return v;
    }
    case QueryNode::Kind::kOr: {
      BlockVerdict v = BlockVerdict::kNone;
      for (const Node& c : n.children) {
        BlockVerdict cv = Eval(c, b);
        if (cv == BlockVerdict::kAll) return cv;
        if (cv == BlockVerdict::kSome) v = cv;
      }
      return v;
    }
    case QueryNode::Kind::kNot: {
      BlockVerdict cv = Eval(n.children[0], b);
      if (cv == BlockVerdict::kAll) return BlockVerdict::kNone;
      if (cv == BlockVerdict::kNone) return BlockVerdict::kAll;
      return BlockVerdict::kSome;
    }
  }
  return BlockVerdict::kSome;
}

}  // namespace kura::logs
