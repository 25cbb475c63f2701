#include "vault/token_codec.h"

#include <array>

#include "vault/token.h"

namespace kura::vault {

Result<TokenCodec> TokenCodec::Create(const SecretBytes& key) {
  ASSIGN_OR_RETURN(crypto::Aes256Block block, crypto::Aes256Block::Create(key));
  return TokenCodec(std::move(block));
}

Result<std::string> TokenCodec::Mint(int64_t id, Random& random) const {
  if (id <= 0) return InvalidArgumentError("token codec: id must be positive");
  crypto::Block128 plain{};
  const uint64_t u = static_cast<uint64_t>(id);
  for (int i = 0; i < 8; ++i) plain[i] = static_cast<uint8_t>(u >> (56 - 8 * i));
  RETURN_IF_ERROR(random.Fill(std::span<uint8_t>(plain.data() + 8, 8)));
  ASSIGN_OR_RETURN(const crypto::Block128 cipher, block_.Encrypt(plain));
  return EncodeRandomToken(cipher);
}

int64_t TokenCodec::IdOf(std::string_view token) const {
  const std::optional<RandomTokenBytes> bytes = DecodeRandomToken(token);
  if (!bytes) return 0;
  const Result<crypto::Block128> plain = block_.Decrypt(*bytes);
  if (!plain.ok()) return 0;
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u = (u << 8) | (*plain)[i];
  if (u == 0 || u > static_cast<uint64_t>(INT64_MAX)) return 0;
  return static_cast<int64_t>(u);
}

}  // namespace kura::vault
