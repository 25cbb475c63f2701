#!/usr/bin/env bash
# bench/logs_ingest_bench.sh — durable TCP syslog ingest (issue 3), Kura vs
# rsyslog vs syslog-ng, in ONE run on 127.0.0.1.
#
# All three receive the identical stream: N audit-style RFC 5424 messages
# (~270 bytes, octet-counting framing, RFC 6587) over C TCP connections, sent
# by bench/logs_ingest/loadgen.cc (compiled here with g++ -O2; the whole
# stream is generated before the clock starts, the sender only writes). Time
# runs from the first byte sent until the receiver has the last message:
#   kura       `kura logs serve` (fresh data dir, `kura logs init`, syslog on
#              port 0, default WAL and seal settings: 64 MiB / 5 min), until
#              its `kura logs: stats` line (--stats-interval-ms 5) shows
#              syslog_received = N — counted only once durable (WAL write +
#              fsync, group commit), each record sequenced and hash-chained;
#              sealing (zstd segments, index, signed digests) runs in the
#              background as in production;
#   rsyslog    rsyslogd -n with its own config: imtcp on a loopback port ->
#              omfile (template "%rawmsg%\n"), no fsync; until the file has N
#              lines;
#   syslog-ng  syslog-ng -F from the unpacked Debian .deb (`apt-get download`
#              + `dpkg -x`; it conflicts with rsyslog as an installed
#              package): syslog(transport(tcp)) source (RFC 5424 + octet
#              counting) -> file (template "${RAWMSG}\n"), no fsync; until the
#              file has N lines.
# Every run must deliver exactly N messages (loadgen checks; for Kura also
# syslog_rejected = 0). Rounds are interleaved (kura, rsyslog, syslog-ng,
# kura, ...); the summary gives median events/s and MB/s (bytes sent, framing
# included; MB = 10^6 B) and the median of the per-round ratios
# kura/rsyslog (target >= 1.0) and kura/syslog-ng (target >= 1.5).
#
# Usage: bench/logs_ingest_bench.sh      (~3 minutes with the defaults)
# Environment (all optional):
#   KURA_BIN                  kura binary (default: $KURA_BUILD_DIR/src/cli/kura;
#                             built with scripts/build.sh RelWithDebInfo if missing)
#   KURA_BUILD_DIR            build directory (default: <repo>/build)
#   KURA_BENCH_ROUNDS=3       rounds (each runs all three receivers once)
#   KURA_BENCH_EVENTS=1000000 messages per run
#   KURA_BENCH_CONNECTIONS=4  TCP connections per run
#   KURA_BENCH_SYSLOG_NG_DEBS directory with the syslog-ng .debs to use instead
#                             of downloading them (apt-get download)
#   KURA_BENCH_OUT            if set, the summary (Markdown) is also written here
#
# Needs: rsyslog (apt-get install rsyslog: only its rsyslogd binary is used;
# the system's syslog is never touched), apt-get + dpkg-deb (syslog-ng .debs),
# g++, python3 (a free port for syslog-ng). Every process started here is
# stopped on exit, also on failure or Ctrl-C, and the work directory (in
# $TMPDIR, default /tmp) is removed.
set -euo pipefail
export LC_ALL=C

root="$(cd "$(dirname "$0")/.." && pwd)"
build_dir="${KURA_BUILD_DIR:-$root/build}"
kura="${KURA_BIN:-$build_dir/src/cli/kura}"
rounds="${KURA_BENCH_ROUNDS:-3}"
events="${KURA_BENCH_EVENTS:-1000000}"
conns="${KURA_BENCH_CONNECTIONS:-4}"
debs_dir="${KURA_BENCH_SYSLOG_NG_DEBS:-}"
out_file="${KURA_BENCH_OUT:-}"

log() { printf 'logs-ingest-bench: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for v in rounds events conns; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
((rounds >= 1 && events >= 1000 && conns >= 1 && conns <= 256)) ||
  die "need rounds>=1, events>=1000, 1<=connections<=256"
for tool in rsyslogd g++ python3 dpkg-deb apt-get awk; do
  command -v "$tool" >/dev/null ||
    die "$tool not found (rsyslogd: apt-get install rsyslog; the rest: Debian base / build-essential)"
done

# ---------------------------------------------------------------------------
# Cleanup: stops the current receiver (SIGTERM, SIGKILL after 20 s) and the
# current child, removes the work directory.
work=""
server_pid=""
child_pid=""

stop_server() {
  [[ -n "$server_pid" ]] || return 0
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 200; i++)); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      log "receiver $server_pid did not stop within 20 s; killing it"
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$child_pid" ]] && kill -0 "$child_pid" 2>/dev/null; then
    kill -TERM "$child_pid" 2>/dev/null || true
    wait "$child_pid" 2>/dev/null || true
  fi
  stop_server
  if [[ -n "$work" && -d "$work" ]]; then rm -rf -- "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

# ---------------------------------------------------------------------------
# Kura binary (RelWithDebInfo if it has to be built).
if [[ ! -x "$kura" ]]; then
  [[ -z "${KURA_BIN:-}" ]] || die "KURA_BIN=$kura is not executable"
  log "building kura (RelWithDebInfo) into $build_dir"
  KURA_BUILD_DIR="$build_dir" "$root/scripts/build.sh" RelWithDebInfo
fi
cache="$(dirname "$kura")/../../CMakeCache.txt"
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$cache" 2>/dev/null || true)"
build_type="${build_type:-unknown}"
case "$build_type" in
  Release | RelWithDebInfo) ;;
  *) log "WARNING: build type '$build_type' — only Release/RelWithDebInfo figures are representative" ;;
esac

work="$(mktemp -d "${TMPDIR:-/tmp}/kura-logs-ingest-bench-XXXXXX")"
chmod 700 "$work"

log "compiling the load generator"
g++ -O2 -std=c++17 -pthread -Wall -Wextra -o "$work/loadgen" "$root/bench/logs_ingest/loadgen.cc"

# ---------------------------------------------------------------------------
# syslog-ng from its Debian packages, unpacked (never installed).
sng_root="$work/syslog-ng-root"
mkdir -p "$sng_root"
if [[ -z "$debs_dir" ]]; then
  debs_dir="$work/debs"
  mkdir -p "$debs_dir"
  # syslog-ng-core and the libraries it needs that Debian 12 here lacks.
  pkgs=(syslog-ng-core)
  for lib in libivykis0 libnet1 libwrap0 libpcre3; do
    dpkg -s "$lib" >/dev/null 2>&1 || pkgs+=("$lib")
  done
  log "downloading ${pkgs[*]} (apt-get download)"
  (cd "$debs_dir" && apt-get download "${pkgs[@]}" >/dev/null 2>&1) ||
    die "apt-get download ${pkgs[*]} failed (run apt-get update?)"
fi
for deb in "$debs_dir"/*.deb; do
  [[ -f "$deb" ]] || die "no .deb files in $debs_dir"
  dpkg-deb -x "$deb" "$sng_root"
done
sng_bin="$sng_root/usr/sbin/syslog-ng"
sng_lib="$sng_root/usr/lib/syslog-ng:$sng_root/usr/lib/x86_64-linux-gnu:$sng_root/lib/x86_64-linux-gnu"
sng_modules="$(ls -d "$sng_root"/usr/lib/syslog-ng/3.* 2>/dev/null | head -n1)"
[[ -x "$sng_bin" && -d "$sng_modules" ]] || die "syslog-ng not found in the unpacked packages"
sng_version="$(LD_LIBRARY_PATH="$sng_lib" "$sng_bin" --version 2>/dev/null | sed -n 's/^Revision: //p' | head -n1)"
[[ -n "$sng_version" ]] || die "the unpacked syslog-ng does not run (missing libraries?)"
rsyslog_version="$(rsyslogd -v 2>/dev/null | head -n1 | awk '{print $2}')"
kura_commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
log "kura $kura_commit ($build_type), rsyslog $rsyslog_version, syslog-ng $sng_version"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until file "$1" exists (or the server died).
wait_for_file() {
  local f=$1 what=$2 i
  for ((i = 0; i < 300; i++)); do
    [[ -s "$f" ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || die "$what exited early"
    sleep 0.05
  done
  die "$what did not start within 15 s"
}

# Runs the load generator against port "$1" waiting with "$2" "$3"; sets
# res_eps and res_mbs. (Called directly, never in $(...), so that the EXIT
# trap knows server_pid and child_pid.)
res_eps=""
res_mbs=""
drive() {
  local port=$1 mode=$2 file=$3 line
  run_child "$work/loadgen" --port "$port" --connections "$conns" --count "$events" \
    "$mode" "$file" --timeout 600 >"$work/loadgen.out" || die "load generator failed ($mode $file)"
  line="$(cat "$work/loadgen.out")"
  log "  $line"
  res_eps="$(sed -n 's/.* events_per_s=\([0-9.]*\).*/\1/p' <<<"$line")"
  res_mbs="$(sed -n 's/.* mb_per_s=\([0-9.]*\).*/\1/p' <<<"$line")"
  [[ -n "$res_eps" && -n "$res_mbs" ]] || die "cannot read the load generator's result"
}

run_kura() {
  local dir="$work/kura"
  rm -rf "$dir"
  mkdir -p "$dir"
  "$kura" logs init --data-dir "$dir/data" >/dev/null
  cat >"$dir/logs.toml" <<EOF
[logs]
node_id = "bench"
data_dir = "$dir/data"

[syslog]
listen = "127.0.0.1"
port = 0

[audit]
file = "logs-audit.log"
EOF
  "$kura" logs serve --config "$dir/logs.toml" --stats-interval-ms 5 >"$dir/out" 2>"$dir/err" &
  server_pid=$!
  local i port=""
  for ((i = 0; i < 300; i++)); do
    grep -q '^kura logs: ready' "$dir/out" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$dir/err" >&2; die "kura logs serve exited early"; }
    sleep 0.05
  done
  port="$(sed -n 's/^kura logs: syslog listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/out")"
  [[ -n "$port" ]] || die "no syslog port in kura's output"
  drive "$port" --wait-kura "$dir/out"
  local stats
  stats="$(grep '^kura logs: stats ' "$dir/out" | tail -n1)"
  [[ "$stats" == *" syslog_received=$events "* && "$stats" == *" syslog_rejected=0 "* ]] ||
    die "kura did not store exactly $events messages: $stats"
  stop_server
  grep -q "stopped; " "$dir/err" || die "kura did not stop gracefully: $(tail -n3 "$dir/err")"
  rm -rf "$dir"
}

run_rsyslog() {
  local dir="$work/rsyslog"
  rm -rf "$dir"
  mkdir -p "$dir"
  cat >"$dir/rsyslog.conf" <<EOF
global(workDirectory="$dir")
module(load="imtcp")
template(name="raw" type="string" string="%rawmsg%\n")
ruleset(name="bench") {
  action(type="omfile" file="$dir/out.log" template="raw")
}
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="$dir/port" ruleset="bench")
EOF
  rsyslogd -n -f "$dir/rsyslog.conf" -i "$dir/rsyslogd.pid" >"$dir/stdout" 2>&1 &
  server_pid=$!
  wait_for_file "$dir/port" rsyslogd
  drive "$(cat "$dir/port")" --wait-lines "$dir/out.log"
  stop_server
  rm -rf "$dir"
}

run_syslog_ng() {
  local dir="$work/syslog-ng" port
  rm -rf "$dir"
  mkdir -p "$dir"
  port="$(free_port)"
  cat >"$dir/syslog-ng.conf" <<EOF
@version: 3.38
options { stats_freq(0); };
source s_net { syslog(ip("127.0.0.1") port($port) transport("tcp") flags(store-raw-message)
                      max-connections(64) log-iw-size(40000)); };
destination d_file { file("$dir/out.log" template("\${RAWMSG}\n")); };
log { source(s_net); destination(d_file); };
EOF
  LD_LIBRARY_PATH="$sng_lib" "$sng_bin" -F --no-caps -f "$dir/syslog-ng.conf" \
    --module-path="$sng_modules" -p "$dir/syslog-ng.pid" -R "$dir/persist" -c "$dir/ctl" \
    >"$dir/stdout" 2>&1 &
  server_pid=$!
  local i
  for ((i = 0; i < 300; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$dir/stdout" >&2; die "syslog-ng exited early"; }
    sleep 0.05
  done
  # The probe connection above sent nothing; syslog-ng drops it.
  drive "$port" --wait-lines "$dir/out.log"
  stop_server
  rm -rf "$dir"
}

# ---------------------------------------------------------------------------
declare -A eps mbs
systems=(kura rsyslog syslog-ng)
for ((r = 1; r <= rounds; r++)); do
  for sys in "${systems[@]}"; do
    log "round $r/$rounds: $sys ($events messages, $conns connections)"
    case "$sys" in
      kura) run_kura ;;
      rsyslog) run_rsyslog ;;
      syslog-ng) run_syslog_ng ;;
    esac
    eps[$sys,$r]="$res_eps"
    mbs[$sys,$r]="$res_mbs"
  done
done

med() {  # med SYSTEM ARRAY
  local sys=$1 arr=$2 r
  for ((r = 1; r <= rounds; r++)); do
    if [[ $arr == eps ]]; then echo "${eps[$sys,$r]}"; else echo "${mbs[$sys,$r]}"; fi
  done | median
}
ratio_med() {  # median of per-round kura/PEER events/s
  local peer=$1 r
  for ((r = 1; r <= rounds; r++)); do calc "${eps[kura,$r]} / ${eps[$peer,$r]}" "%.4f"; echo; done | median
}
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v >= t) ? "PASS" : "BELOW" }'; }

r_rs="$(ratio_med rsyslog)"
r_ng="$(ratio_med syslog-ng)"
summary="$(
  echo "### Audit log ingest: TCP syslog, durable (bench/logs_ingest_bench.sh)"
  echo
  echo "$events RFC 5424 messages (octet counting) over $conns connections, $rounds interleaved rounds;"
  echo "kura $kura_commit ($build_type), rsyslog $rsyslog_version, syslog-ng $sng_version; $(nproc) CPUs."
  echo
  echo "| receiver | what 'received' means | median events/s | median MB/s | per round (events/s) |"
  echo "|---|---|---:|---:|---|"
  for sys in "${systems[@]}"; do
    case "$sys" in
      kura) what="WAL write + fsync (group commit), seq + SHA-256 chain; sealing in background" ;;
      rsyslog) what="written to omfile (no fsync)" ;;
      syslog-ng) what="written to file() (no fsync)" ;;
    esac
    per=""
    for ((r = 1; r <= rounds; r++)); do per+="${per:+, }${eps[$sys,$r]}"; done
    printf '| %s | %s | %.0f | %.1f | %s |\n' "$sys" "$what" "$(med "$sys" eps)" "$(med "$sys" mbs)" "$per"
  done
  echo
  echo "| ratio (median of per-round ratios) | value | target | |"
  echo "|---|---:|---:|---|"
  printf '| kura / rsyslog | %.2f | 1.0 | %s |\n' "$r_rs" "$(verdict "$r_rs" 1.0)"
  printf '| kura / syslog-ng | %.2f | 1.5 | %s |\n' "$r_ng" "$(verdict "$r_ng" 1.5)"
)"
echo "$summary"
if [[ -n "$out_file" ]]; then printf '%s\n' "$summary" >"$out_file"; fi
