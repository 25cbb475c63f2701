// The card store's SQLite schema: the tables and indexes of the current
// version (kCardStoreSchemaVersion), the in-place migration from older
// versions, and the encoding of fingerprints in the database.
//
// Internal to src/vault (SqliteCardStore); nothing here touches card data
// beyond copying stored rows during a migration.
//
// Thread safety: the functions use only the connection they are given, which
// must not be used by another thread meanwhile.
#ifndef KURA_VAULT_SQLITE_CARD_SCHEMA_H_
#define KURA_VAULT_SQLITE_CARD_SCHEMA_H_

#include <string>
#include <string_view>

#include "core/base/status.h"
#include "vault/sqlite_connection.h"

namespace kura::vault {

// Inserts one card row; parameters in CardRecord's field order (token,
// fingerprint bytes, dek_version, sealed, bin, last4, masked_pan, exp_month,
// exp_year, brand, token_format, created_ms), then the row id.
inline constexpr std::string_view kInsertCardSql =
    "INSERT INTO cards (token, fingerprint, dek_version, sealed, bin, last4, masked_pan, "
    "exp_month, exp_year, brand, token_format, created_ms, id) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

// Creates the schema in a new database, migrates an older one in place, or
// checks a current one, in ONE transaction (a failure leaves the file as it
// was). Errors: kFailedPrecondition if the database was written by a newer
// version; kDataLoss if a row to migrate is malformed (a v1 fingerprint that
// is not lower-case hex); storage errors (sqlite::ErrorFromCode).
Status CreateCardSchema(sqlite::Connection& c);

}  // namespace kura::vault

#endif  // KURA_VAULT_SQLITE_CARD_SCHEMA_H_
