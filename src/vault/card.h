// Card data validation for the vault: PAN normalisation, brand detection,
// expiry checks and the truncated forms (BIN, last four, mask) that may be
// stored or shown in the clear.
//
// No cryptography here. Every error message is fixed text: the PAN (or any
// part of it) never appears in a Status, so callers may return these errors to
// API clients and write them to logs as they are.
//
// Thread safety: all functions are pure (or only read the injected Clock) and
// safe to call concurrently.
#ifndef KURA_VAULT_CARD_H_
#define KURA_VAULT_CARD_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/clock.h"
#include "core/base/status.h"

namespace kura::vault {

// Lengths allowed by ISO/IEC 7812-1 for a primary account number.
inline constexpr size_t kMinPanLength = 13;
inline constexpr size_t kMaxPanLength = 19;

// A card expiring more than this many years after "now" is rejected as a
// probable data-entry error (issuers use 3-5 years; 20 leaves ample room).
inline constexpr int kMaxExpiryYearsAhead = 20;

// MaskPan keeps at least this many digits hidden. PCI DSS 3.4.1 allows at most
// the first six and last four digits to be displayed; on a 13-digit PAN that
// would leave 3 hidden digits, one of which is fixed by the Luhn check, so only
// 100 candidates remain. Five hidden digits (10^4 candidates after Luhn) is the
// floor we accept, which leaves the common 15-, 16- and 19-digit masks exactly
// as PCI DSS shows them (first 6, last 4).
inline constexpr size_t kMinMaskedDigits = 5;

// OK if `input` is a PAN: 13-19 ASCII digits passing the Luhn check. A
// valid PAN is its own canonical form (kept as it is); the API takes a clean
// string: spaces and dashes are rejected, not stripped.
// Errors (kInvalidArgument, fixed messages that never contain the input):
//   "pan must contain only digits", "pan must be 13 to 19 digits",
//   "pan fails the Luhn check".
Status CheckPan(std::string_view input);

// Card schemes recognised from the issuer identification number (IIN).
enum class Brand {
  kVisa,
  kMastercard,
  kAmex,
  kDiscover,
  kJcb,
  kDinersClub,
  kUnionPay,
  kUnknown,
};

// Stable lower-case name: "visa", "mastercard", "amex", "discover", "jcb",
// "diners", "unionpay", "unknown". Suitable for storage and JSON.
std::string_view BrandName(Brand brand);

// Brand by IIN prefix: Visa 4; Mastercard 51-55 and 2221-2720; Amex 34, 37;
// Discover 6011, 644-649, 65; JCB 3528-3589; Diners Club 300-305, 36, 38-39;
// UnionPay 62. Anything else (including non-digit input) is kUnknown. The
// check digit and length are not examined: call CheckPan first.
Brand DetectBrand(std::string_view pan);

// Checks a card expiry date against `clock`. A card is valid through the last
// day of its expiry month (UTC): 12/2026 is accepted until
// 2026-12-31T23:59:59.999Z and expired from 2027-01-01T00:00:00Z.
// Errors (kInvalidArgument): month outside 1..12; year outside 2000..2099
// (four-digit years only); "card is expired"; expiry more than
// kMaxExpiryYearsAhead years after the current month.
Status ValidateExpiry(int month, int year, const Clock& clock);
// The same against a time read once (a batch of cards checks them all
// against one reading).
Status ValidateExpiry(int month, int year, TimePoint now);

// The first instant after the card's validity: 00:00:00Z on the first day of
// the month following (month, year). Precondition: month in 1..12.
TimePoint ExpiryEnd(int month, int year);

// True iff the card's validity ended before `t`, i.e. ExpiryEnd(month, year)
// <= t. Used by purge jobs to find cards whose data must be deleted.
// Precondition: month in 1..12.
bool CardExpiredBefore(int month, int year, TimePoint t);

// The PAN with every digit that may not be displayed replaced by '*'.
// Rule: the last 4 digits and up to the first 6 are shown, but never so many
// that fewer than kMinMaskedDigits stay hidden; the leading part shrinks
// first, then the trailing part. Results:
//   13 digits: first 4 + 5 '*' + last 4   ("4222*****2222")
//   14 digits: first 5 + 5 '*' + last 4
//   15 digits: first 6 + 5 '*' + last 4   ("378282*****0005")
//   16 digits: first 6 + 6 '*' + last 4   ("411111******1111")
//   19 digits: first 6 + 9 '*' + last 4
// Intended for normalised PANs; input shorter than kMinPanLength is masked
// entirely, and non-digit characters are treated like digits.
std::string MaskPan(std::string_view pan);

// The bank identification number kept in the clear: the first `bin_length`
// digits. `bin_length` is 6 or 8; PCI DSS only allows an 8-digit BIN to be
// shown together with the last four on PANs of 16 digits or more, so for
// shorter PANs (or any other bin_length) the 6-digit BIN is returned. Returns
// "" when `pan` is shorter than kMinPanLength.
std::string Bin(std::string_view pan, int bin_length = 6);

// The last four digits, or "" when `pan` is shorter than kMinPanLength.
std::string Last4(std::string_view pan);

}  // namespace kura::vault

#endif  // KURA_VAULT_CARD_H_
