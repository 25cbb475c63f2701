#!/usr/bin/env bash
# Configures and builds Kura into ${KURA_BUILD_DIR:-build} (Release by default).
# Usage: scripts/build.sh [Debug|Release|RelWithDebInfo] [extra cmake args...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build_type="${1:-Release}"
shift || true
build_dir="${KURA_BUILD_DIR:-$root/build}"
# Paths relative to the checkout, so clean clones (CI) share the ccache.
export CCACHE_BASEDIR="$root"
export CCACHE_NOHASHDIR=true
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" "$@" >/dev/null
ninja -C "$build_dir" -j "$(nproc)"
