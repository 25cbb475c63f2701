// Test helpers for src/bridge: a temporary directory removed on destruction.
#ifndef KURA_BRIDGE_TEST_UTIL_H_
#define KURA_BRIDGE_TEST_UTIL_H_

#include "core/testing/temp_dir.h"

namespace kura::bridge::testing {

using kura::testing::TempDir;

}  // namespace kura::bridge::testing

#endif  // KURA_BRIDGE_TEST_UTIL_H_
