#include "vault/vault_api.h"

#include <boost/json.hpp>

#include <array>
#include <cctype>
#include <memory>
#include <new>

#include "core/base/secret.h"
#include "core/crypto/encoding.h"

namespace kura::vault {
namespace {

namespace json = boost::json;

// The parser's arena is sized from the body: Boost.JSON needs at most a
// small multiple of the input for its values (a 64 KiB body of one-digit
// array elements is the worst case, about 8x); bodies are already bounded by
// the server's max body size.
constexpr size_t kArenaBytesPerBodyByte = 16;
constexpr size_t kArenaMinBytes = 4096;

// Parses `body` into an object using `arena` as the only allocation source.
Status ParseObject(std::string_view body, json::monotonic_resource& arena, json::value* out) {
  json::error_code ec;
  json::parse_options opts;
  opts.max_depth = 8;
  try {
    *out = json::parse(body, ec, &arena, opts);
  } catch (const std::bad_alloc&) {
    return InvalidArgumentError("request body is too complex");
  }
  if (ec) return InvalidArgumentError("request body is not valid JSON");
  if (!out->is_object()) return InvalidArgumentError("request body must be a JSON object");
  return OkStatus();
}

// A zeroized arena sized for `body`: the parsed PAN lives only here. Should
// it ever be exhausted, the upstream null resource makes the parse fail
// rather than spill card data into ordinary heap memory.
class ParseArena {
 public:
  explicit ParseArena(std::string_view body)
      : buffer_(kArenaMinBytes + kArenaBytesPerBodyByte * body.size()),
        resource_(buffer_.data(), buffer_.size(), json::get_null_resource()) {}
  ~ParseArena() { SecureZero(buffer_.data(), buffer_.size()); }
  json::monotonic_resource& resource() { return resource_; }

 private:
  SecretBytes buffer_;
  json::monotonic_resource resource_;
};

Status CheckKnownFields(const json::object& o, std::initializer_list<std::string_view> known) {
  for (const auto& kv : o) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || kv.key() == k;
    if (!ok) {
      std::string key(kv.key());
      if (key.size() > 64) key = key.substr(0, 64) + "...";
      // Field names are caller-chosen: keep only printable ASCII in the message.
      for (char& c : key) {
        if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
      }
      return InvalidArgumentError("unknown field '" + key + "'");
    }
  }
  return OkStatus();
}

Result<int> IntField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return InvalidArgumentError("missing field '" + std::string(key) + "'");
  if (v->is_int64() && v->get_int64() >= -1'000'000 && v->get_int64() <= 1'000'000) {
    return static_cast<int>(v->get_int64());
  }
  if (v->is_uint64() && v->get_uint64() <= 1'000'000) return static_cast<int>(v->get_uint64());
  return InvalidArgumentError("field '" + std::string(key) + "' must be an integer");
}

Result<const json::string*> StringField(const json::object& o, std::string_view key,
                                        bool required) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    if (required) return InvalidArgumentError("missing field '" + std::string(key) + "'");
    return static_cast<const json::string*>(nullptr);
  }
  if (!v->is_string()) {
    return InvalidArgumentError("field '" + std::string(key) + "' must be a string");
  }
  return &v->get_string();
}

json::object CardObject(const CardView& c, json::storage_ptr sp) {
  json::object o(std::move(sp));
  o.reserve(7);
  o.emplace("bin", c.bin);
  o.emplace("last4", c.last4);
  o.emplace("masked_pan", c.masked_pan);
  o.emplace("exp_month", c.exp_month);
  o.emplace("exp_year", c.exp_year);
  o.emplace("brand", c.brand);
  o.emplace("token_format", c.token_format);
  return o;
}

// Heap memory that is zeroized before it is freed: where a render arena
// continues once its buffer is full.
class WipingHeapResource final : public json::memory_resource {
 private:
  void* do_allocate(size_t n, size_t align) override {
    return ::operator new(n, std::align_val_t(align));
  }
  void do_deallocate(void* p, size_t n, size_t align) override {
    SecureZero(p, n);
    ::operator delete(p, std::align_val_t(align));
  }
  bool do_is_equal(const json::memory_resource& other) const noexcept override {
    return this == &other;
  }
};

// Where a response's JSON values live while it is serialised: a fixed buffer
// on the stack instead of a dozen heap allocations per response, zeroized
// afterwards (a reveal's PAN passes through it). Responses are small and of
// bounded size; should one ever outgrow the buffer, the arena continues on
// the heap, wiped as well, rather than fail.
class RenderArena {
 public:
  RenderArena() : resource_(buffer_.data(), buffer_.size(), &heap_) {}
  ~RenderArena() { SecureZero(buffer_.data(), buffer_.size()); }
  RenderArena(const RenderArena&) = delete;
  RenderArena& operator=(const RenderArena&) = delete;
  json::storage_ptr storage() { return json::storage_ptr(&resource_); }

 private:
  alignas(16) std::array<unsigned char, 2048> buffer_{};
  WipingHeapResource heap_;  // declared before resource_, which frees into it
  json::monotonic_resource resource_;
};

}  // namespace

bool IsJsonContentType(std::string_view ct) {
  const size_t semi = ct.find(';');
  std::string_view media = ct.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (media.size() != 16) return false;
  constexpr std::string_view kJson = "application/json";
  for (size_t i = 0; i < media.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(media[i])) != kJson[i]) return false;
  }
  return true;
}

Result<CardInput> ParseStoreRequest(std::string_view body) {
  ParseArena arena(body);
  json::value v;
  RETURN_IF_ERROR(ParseObject(body, arena.resource(), &v));
  const json::object& o = v.get_object();
  RETURN_IF_ERROR(
      CheckKnownFields(o, {"pan", "exp_month", "exp_year", "name", "token_format", "dedup"}));

  CardInput in;
  ASSIGN_OR_RETURN(const json::string* pan, StringField(o, "pan", true));
  in.pan = SecretBytes(reinterpret_cast<const uint8_t*>(pan->data()), pan->size());
  ASSIGN_OR_RETURN(in.exp_month, IntField(o, "exp_month"));
  ASSIGN_OR_RETURN(in.exp_year, IntField(o, "exp_year"));
  ASSIGN_OR_RETURN(const json::string* name, StringField(o, "name", false));
  if (name != nullptr) {
    in.name = SecretBytes(reinterpret_cast<const uint8_t*>(name->data()), name->size());
  }
  ASSIGN_OR_RETURN(const json::string* fmt, StringField(o, "token_format", false));
  if (fmt == nullptr || *fmt == "random") {
    in.token_format = TokenFormat::kRandom;
  } else if (*fmt == "fpt") {
    in.token_format = TokenFormat::kFpt;
  } else {
    return InvalidArgumentError("field 'token_format' must be \"random\" or \"fpt\"");
  }
  if (const json::value* d = o.if_contains("dedup"); d != nullptr) {
    if (!d->is_bool()) return InvalidArgumentError("field 'dedup' must be a boolean");
    in.dedup = d->get_bool();
  }
  return in;
}

Result<GrantRevealRequest> ParseGrantRevealRequest(std::string_view body) {
  ParseArena arena(body);
  json::value v;
  RETURN_IF_ERROR(ParseObject(body, arena.resource(), &v));
  const json::object& o = v.get_object();
  RETURN_IF_ERROR(CheckKnownFields(o, {"token", "grant"}));
  GrantRevealRequest r;
  ASSIGN_OR_RETURN(const json::string* token, StringField(o, "token", true));
  ASSIGN_OR_RETURN(const json::string* grant, StringField(o, "grant", true));
  r.token.assign(token->data(), token->size());
  r.grant.assign(grant->data(), grant->size());
  return r;
}

Status ParseEmptyRequest(std::string_view body) {
  bool blank = true;
  for (char c : body) blank = blank && std::isspace(static_cast<unsigned char>(c));
  if (blank) return OkStatus();
  ParseArena arena(body);
  json::value v;
  RETURN_IF_ERROR(ParseObject(body, arena.resource(), &v));
  return CheckKnownFields(v.get_object(), {});
}

std::string RenderStoreResponse(const StoreOutcome& outcome) {
  RenderArena arena;
  json::object o(arena.storage());
  o.reserve(4);
  o.emplace("token", outcome.card.token);
  o.emplace("card", CardObject(outcome.card, arena.storage()));
  o.emplace("fingerprint", crypto::HexEncode(std::string_view(outcome.fingerprint)));
  o.emplace("duplicate", outcome.duplicate);
  return json::serialize(o);
}

std::string RenderCard(const CardView& card) {
  RenderArena arena;
  json::object o(arena.storage());
  o.reserve(2);
  o.emplace("token", card.token);
  o.emplace("card", CardObject(card, arena.storage()));
  return json::serialize(o);
}

std::string RenderReveal(const RevealedCard& revealed) {
  RenderArena arena;
  json::object o(arena.storage());
  o.reserve(4);
  o.emplace("token", revealed.card.token);
  o.emplace("card", CardObject(revealed.card, arena.storage()));
  o.emplace("pan", json::string_view(revealed.pan.view().data(), revealed.pan.size()));
  if (revealed.name) {
    o.emplace("name", json::string_view(revealed.name->view().data(), revealed.name->size()));
  }
  return json::serialize(o);
}

}  // namespace kura::vault
