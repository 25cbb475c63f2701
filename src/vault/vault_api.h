// Wire format of the vault's JSON API (docs/vault-api.yaml): strict request
// parsing and response rendering, separate from the HTTP plumbing so it can
// be tested exhaustively without a server.
//
// Parsing is strict: the body must be one JSON object, every field must have
// the documented type, and unknown fields are rejected — a typo such as
// "exp_mnth" must fail loudly rather than store a card without an expiry.
// The JSON parser works inside a buffer that is zeroized afterwards, so the
// PAN does not linger in freed heap memory.
//
// Errors: kInvalidArgument with a message naming the field (never its value).
#ifndef KURA_VAULT_VAULT_API_H_
#define KURA_VAULT_VAULT_API_H_

#include <string>
#include <string_view>

#include "core/base/status.h"
#include "vault/card_vault.h"

namespace kura::vault {

// Body of POST /v1/cards:
//   {"pan": "4111...", "exp_month": 12, "exp_year": 2030, "name"?: "...",
//    "token_format"?: "random"|"fpt" (default "random"), "dedup"?: bool}
Result<CardInput> ParseStoreRequest(std::string_view body);

// Body of POST /v1/reveal: {"token": "...", "grant": "<compact JWS>"}.
struct GrantRevealRequest {
  std::string token;
  std::string grant;
};
Result<GrantRevealRequest> ParseGrantRevealRequest(std::string_view body);

// Bodies without fields (POST /v1/cards/{token}/reveal): empty or "{}".
Status ParseEmptyRequest(std::string_view body);

// {"token", "card": {...}, "fingerprint", "duplicate"}
std::string RenderStoreResponse(const StoreOutcome& outcome);
// {"token", "card": {...}}
std::string RenderCard(const CardView& card);
// {"token", "card": {...}, "pan", "name"?}
std::string RenderReveal(const RevealedCard& revealed);

// True for "application/json" with optional parameters (charset=utf-8).
bool IsJsonContentType(std::string_view content_type);

}  // namespace kura::vault

#endif  // KURA_VAULT_VAULT_API_H_
