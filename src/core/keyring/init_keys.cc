#include "core/keyring/init_keys.h"

#include <array>

#include "core/crypto/encoding.h"
#include "core/crypto/key_wrap.h"
#include "core/keyring/key_component.h"
#include "core/keyring/keyring.h"
#include "core/keyring/shamir.h"

namespace kura::keyring {
namespace {

Result<std::string> NewKeyId(const Clock& clock, Random& random) {
  // "2026-01-01T..." -> "20260101".
  const std::string date = FormatRfc3339Millis(clock.Now()).substr(0, 10);
  std::string compact;
  for (char c : date) {
    if (c != '-') compact += c;
  }
  std::array<uint8_t, 3> suffix{};
  RETURN_IF_ERROR(random.Fill(suffix));
  return "kek-" + compact + "-" + crypto::HexEncode(suffix);
}

void RemoveAll(FileSystem& fs, const std::vector<std::string>& paths) {
  for (const std::string& p : paths) fs.RemoveFile(p).IgnoreError();
}

}  // namespace

Result<InitResult> InitKeys(FileSystem& fs, const std::string& keyring_path,
                            const std::string& components_dir, int custodians, int threshold,
                            const Clock& clock, Random& random) {
  if (threshold < kMinThreshold || threshold > custodians || custodians > kMaxShares) {
    return InvalidArgumentError("keys init: need 2 <= threshold <= custodians <= " +
                                std::to_string(kMaxShares));
  }
  // Checked up front so a doomed ceremony writes nothing; Keyring::Create
  // still creates exclusively in case of a race.
  if (fs.Exists(keyring_path)) {
    return AlreadyExistsError("keys init: keyring " + keyring_path + " already exists");
  }
  RETURN_IF_ERROR(fs.CreateDirs(components_dir, 0700));
  InitResult result;
  std::vector<std::string> paths;
  for (int i = 1; i <= custodians; ++i) {
    paths.push_back(JoinPath(components_dir, "custodian-" + std::to_string(i) + ".key"));
    if (fs.Exists(paths.back())) {
      return AlreadyExistsError("keys init: component " + paths.back() + " already exists");
    }
  }

  ASSIGN_OR_RETURN(result.key_id, NewKeyId(clock, random));
  SecretBytes kek(kKekSize);
  RETURN_IF_ERROR(random.Fill(kek.mutable_span()));
  ASSIGN_OR_RETURN(result.kek_kcv, crypto::KeyCheckValue(kek));
  ASSIGN_OR_RETURN(std::vector<Share> shares, SplitSecret(kek, custodians, threshold, random));

  for (size_t i = 0; i < shares.size(); ++i) {
    Result<KeyComponent> component =
        MakeComponent(result.key_id, shares[i], threshold, custodians, result.kek_kcv);
    Status st = component.status();
    if (st.ok()) st = fs.CreateFileExclusive(paths[i], FormatComponent(*component).view(), 0600);
    if (!st.ok()) {
      RemoveAll(fs, result.component_paths);
      return st;
    }
    result.component_paths.push_back(paths[i]);
  }

  // The keyring takes the KEK and wipes it when it goes out of scope below.
  Result<std::unique_ptr<Keyring>> ring =
      Keyring::Create(fs, keyring_path, std::move(kek), result.key_id, clock, random);
  if (!ring.ok()) {
    RemoveAll(fs, result.component_paths);
    return ring.status();
  }
  return result;
}

}  // namespace kura::keyring
