#include "vault/dek_openers.h"

#include <optional>
#include <utility>

namespace kura::vault {

Result<SecretBytes> DekOpeners::Open(int version, std::string_view sealed, std::string_view aad) {
  std::optional<crypto::AesGcmOpener> opener;
  const uint64_t retirements = keyring_.retirements();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (retirements != swept_retirements_) {
      // Every version the keyring no longer has goes now, with its key
      // schedules (a handful of versions at most).
      std::erase_if(idle_,
                    [this](const auto& entry) { return !keyring_.HasDataKey(entry.first); });
      swept_retirements_ = retirements;
    }
    auto it = idle_.find(version);
    if (it != idle_.end() && !it->second.empty()) {
      opener.emplace(std::move(it->second.back()));
      it->second.pop_back();
    }
  }
  if (!opener) {
    ASSIGN_OR_RETURN(SecretBytes dek, keyring_.DataKey(version));
    ASSIGN_OR_RETURN(crypto::AesGcmOpener created, crypto::AesGcmOpener::Create(dek));
    opener.emplace(std::move(created));
  }
  Result<SecretBytes> plain = opener->Open(sealed, aad);
  // Kept only if no version was retired since this call began (else the
  // next Open sweeps). A call racing a retirement may still have used the
  // retired version's opener once, as a reveal that began just before it.
  if (keyring_.retirements() == retirements) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<crypto::AesGcmOpener>& slot = idle_[version];
    if (slot.size() < kMaxIdleOpeners) slot.push_back(std::move(*opener));
  }
  return plain;
}

size_t DekOpeners::idle(int version) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = idle_.find(version);
  return it == idle_.end() ? 0 : it->second.size();
}

}  // namespace kura::vault
