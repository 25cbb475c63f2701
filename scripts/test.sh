#!/usr/bin/env bash
# The whole test suite: installs what the tests need, builds, runs every test.
# This is the README's test command and what .ci/run executes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
export KURA_BUILD_DIR="${KURA_BUILD_DIR:-$root/build}"
"$root/scripts/build.sh" RelWithDebInfo
cd "$KURA_BUILD_DIR"
ctest --output-on-failure --timeout 300 -j "$(nproc)"
