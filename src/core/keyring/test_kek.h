// Test-only helper (not part of kura_keyring): a fixed 32-byte master key
// for tests that need a Keyring, so they need no key ceremony.
#ifndef KURA_CORE_KEYRING_TEST_KEK_H_
#define KURA_CORE_KEYRING_TEST_KEK_H_

#include <cstddef>
#include <cstdint>

#include "core/base/secret.h"

namespace kura::keyring::testing {

inline SecretBytes TestKek() {
  SecretBytes k(32);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i * 7 + 3);
  return k;
}

}  // namespace kura::keyring::testing

#endif  // KURA_CORE_KEYRING_TEST_KEK_H_
