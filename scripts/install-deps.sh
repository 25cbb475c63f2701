#!/usr/bin/env bash
# Installs every Debian 12 package Kura needs to build, test and benchmark.
# Idempotent; needs root (or sudo). Nothing is downloaded outside Debian's archive.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-14
  libssl-dev openssl
  libboost1.81-dev libboost-json1.81-dev
  libsqlite3-dev sqlite3
  libtomlplusplus-dev libcli11-dev
  libgtest-dev libgmock-dev
  curl wrk
  iproute2 nftables nmap masscan
  libzstd-dev zstd
  libgoogle-perftools-dev
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present" >&2
fi

# DuckDB cross-check of the audit log archive (src/logs/search/duckdb,
# test kura_logs_duckdb_crosscheck_test): node from Debian if missing, then
# the pinned @duckdb/node-api from its lock file.
if ! command -v node >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
duckdb_dir="$(cd "$(dirname "$0")/.." && pwd)/src/logs/search/duckdb"
if [ ! -d "$duckdb_dir/node_modules/@duckdb/node-api" ]; then
  echo "install-deps: npm ci in $duckdb_dir" >&2
  npm ci --prefix "$duckdb_dir" --no-audit --no-fund >&2
fi
