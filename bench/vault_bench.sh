#!/usr/bin/env bash
# bench/vault_bench.sh — the vault HTTP benchmark (issue 2).
#
# In ONE run, against a throwaway vault (`kura dev`) on 127.0.0.1 over HTTPS
# keep-alive, measures with wrk:
#   healthz  GET  /healthz                  the ceiling of our HTTP stack here
#   store    POST /v1/cards                 a new Luhn-valid PAN per request,
#                                           acknowledged only after fsync
#   read     GET  /v1/cards/{token}         masked read, pool of stored tokens
#   reveal   POST /v1/cards/{token}/reveal  decrypt + audit, same pool
# and the raw fsync rate of the file system holding the vault's data dir
# (dd oflag=dsync, 4 KiB writes), to show group commit beating it.
#
# Each measurement is repeated KURA_BENCH_ROUNDS times, interleaved
# (fsync, healthz, store, read, reveal, fsync, healthz, ...), and the summary
# quotes medians; the ratio of an endpoint to healthz is the median of the
# per-round ratios (each compares two runs taken seconds apart). Every wrk run
# must see only 2xx responses and no socket errors, or the script fails.
#
# Usage: bench/vault_bench.sh            (takes ~2.5 minutes with the defaults)
# Environment (all optional):
#   KURA_BIN                 kura binary (default: $KURA_BUILD_DIR/src/cli/kura;
#                            built with scripts/build.sh RelWithDebInfo if missing)
#   KURA_BUILD_DIR           build directory (default: <repo>/build)
#   KURA_BENCH_ROUNDS=3      rounds of every measurement
#   KURA_BENCH_DURATION=10   seconds per wrk measurement
#   KURA_BENCH_WARMUP=2      seconds of warm-up per endpoint before round 1
#   KURA_BENCH_THREADS=1     wrk threads      (see bench/README.md for why 1
#   KURA_BENCH_CONNECTIONS=64  wrk connections  and 64 on a 2-core machine)
#   KURA_BENCH_POOL=1000     cards stored with curl before the run (read/reveal)
#   KURA_BENCH_FSYNC_SECONDS=2  approximate length of each fsync probe
#   KURA_BENCH_OUT           if set, the summary (Markdown) is also written here
#
# Needs: wrk, curl, dd, awk, findmnt (scripts/install-deps.sh + base Debian 12).
# Every process started here (vault, wrk, curl, dd) is stopped on exit, also on
# failure or Ctrl-C, and the vault's temporary data directory is removed.
set -euo pipefail
export LC_ALL=C  # '.' as decimal point in dd's and awk's numbers

root="$(cd "$(dirname "$0")/.." && pwd)"
lua_dir="$root/bench/lua"
build_dir="${KURA_BUILD_DIR:-$root/build}"
kura="${KURA_BIN:-$build_dir/src/cli/kura}"
rounds="${KURA_BENCH_ROUNDS:-3}"
duration="${KURA_BENCH_DURATION:-10}"
warmup="${KURA_BENCH_WARMUP:-2}"
threads="${KURA_BENCH_THREADS:-1}"
conns="${KURA_BENCH_CONNECTIONS:-64}"
pool="${KURA_BENCH_POOL:-1000}"
fsync_seconds="${KURA_BENCH_FSYNC_SECONDS:-2}"
out_file="${KURA_BENCH_OUT:-}"

# Targets of issue 2: fraction of the healthz ceiling each endpoint must reach.
declare -A target=([store]=0.30 [read]=0.60 [reveal]=0.60)
endpoints=(healthz store read reveal)

log() { printf 'vault-bench: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for v in rounds duration warmup threads conns pool fsync_seconds; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
((rounds >= 1 && duration >= 1 && threads >= 1 && threads <= 10 && conns >= threads)) ||
  die "need rounds>=1, duration>=1, 1<=threads<=10, connections>=threads"
((pool >= 1 && fsync_seconds >= 1)) || die "need pool>=1 and fsync seconds>=1"
# Each store run uses its own 2-digit PAN seed (warm-up + rounds, 00 = pool).
((rounds + 1 <= 99)) || die "at most 98 rounds"
for tool in wrk curl dd awk findmnt; do
  command -v "$tool" >/dev/null || die "$tool not found (run scripts/install-deps.sh)"
done

# ---------------------------------------------------------------------------
# Cleanup: runs on every exit. Stops the current child (wrk/curl/dd), then the
# vault (SIGTERM = graceful shutdown, SIGKILL after 15 s), removes the vault's
# data directory and our work directory.
work=""
server_pid=""
child_pid=""
data_dir=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$child_pid" ]] && kill -0 "$child_pid" 2>/dev/null; then
    kill -TERM "$child_pid" 2>/dev/null || true
    wait "$child_pid" 2>/dev/null || true
  fi
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 150; i++)); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      log "vault did not stop within 15 s; killing it"
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
  fi
  # The data dir: printed on stdout at start ("data dir: ...") or, if the vault
  # failed later, on stderr at shutdown ("kept ..."). Only ever a kura-dev dir.
  if [[ -z "$data_dir" && -n "$work" ]]; then
    data_dir="$(sed -n 's/^ *data dir: *//p' "$work/dev.out" 2>/dev/null | head -n1 || true)"
    [[ -n "$data_dir" ]] ||
      data_dir="$(sed -n 's/.*; kept \(.*\)$/\1/p' "$work/dev.err" 2>/dev/null | head -n1 || true)"
  fi
  if [[ "$data_dir" =~ ^/tmp/kura-dev-[A-Za-z0-9]{6}$ ]]; then rm -rf -- "$data_dir"; fi
  if [[ -n "$work" && -d "$work" ]]; then rm -rf -- "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

# ---------------------------------------------------------------------------
# The binary: build it (RelWithDebInfo) if missing; warn about Debug builds.
if [[ ! -x "$kura" ]]; then
  [[ -z "${KURA_BIN:-}" ]] || die "KURA_BIN=$kura is not executable"
  log "building kura (RelWithDebInfo) into $build_dir"
  KURA_BUILD_DIR="$build_dir" "$root/scripts/build.sh" RelWithDebInfo
fi
# The binary sits at <build dir>/src/cli/kura; its CMakeCache names the type.
cache="$(dirname "$kura")/../../CMakeCache.txt"
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$cache" 2>/dev/null || true)"
build_type="${build_type:-unknown}"
case "$build_type" in
  Release | RelWithDebInfo) ;;
  *) log "WARNING: build type '$build_type' — only Release/RelWithDebInfo figures are representative" ;;
esac

work="$(mktemp -d /tmp/kura-bench-XXXXXX)"  # 0700: holds the API key
chmod 700 "$work"

# ---------------------------------------------------------------------------
# Start the vault: `kura dev` prints URL, API key, CA cert and data dir, then
# serves until SIGTERM. --port 0 picks a free port; --keep so that it does not
# delete the data dir on its own (we remove it in cleanup, after the fsync
# probes that live there).
log "starting the dev vault ($kura dev --port 0 --keep)"
"$kura" dev --port 0 --keep >"$work/dev.out" 2>"$work/dev.err" &
server_pid=$!
for ((i = 0; i < 300; i++)); do
  grep -q '^ *data dir:' "$work/dev.out" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/dev.err" >&2; die "kura dev exited early"; }
  sleep 0.1
done
url="$(sed -n 's/^ *URL: *//p' "$work/dev.out" | head -n1)"
key="$(sed -n 's/^ *API key: *//p' "$work/dev.out" | head -n1)"
ca="$(sed -n 's/^ *CA cert: *//p' "$work/dev.out" | head -n1)"
data_dir="$(sed -n 's/^ *data dir: *//p' "$work/dev.out" | head -n1)"
[[ "$url" =~ ^https://127\.0\.0\.1:[0-9]+$ && -n "$key" && -f "$ca" && -d "$data_dir" ]] ||
  die "could not read URL / API key / CA cert / data dir from kura dev's output"
log "vault at $url, data dir $data_dir"

# curl options shared by the setup requests (the key goes in a config file,
# not on the command line).
printf 'header = "Authorization: Bearer %s"\n' "$key" >"$work/auth.curlrc"
run_child curl -sS --fail --max-time 10 --cacert "$ca" "$url/healthz" >/dev/null ||
  die "GET /healthz failed"

# ---------------------------------------------------------------------------
# Token pool for read/reveal: POOL cards stored with one curl process over
# one keep-alive connection (a curl config file with one operation per card).
# PANs: 4 00 0 <11-digit counter> <Luhn check digit> (seed 00 is the pool's).

# Prints payload "$1" followed by its Luhn check digit.
luhn_complete() {
  local p=$1 sum=0 dbl=1 i d
  for ((i = ${#p} - 1; i >= 0; i--)); do
    d=${p:i:1}
    if ((dbl)); then
      d=$((d * 2))
      if ((d > 9)); then d=$((d - 9)); fi
    fi
    sum=$((sum + d))
    dbl=$((1 - dbl))
  done
  printf '%s%d' "$p" $(((10 - sum % 10) % 10))
}

log "storing $pool cards for the read/reveal pool"
{
  for ((n = 1; n <= pool; n++)); do
    pan="$(luhn_complete "$(printf '4000%011d' "$n")")"
    ((n == 1)) || echo "next"
    echo "url = \"$url/v1/cards\""
    echo "cacert = \"$ca\""
    printf 'header = "Authorization: Bearer %s"\n' "$key"
    echo 'header = "Content-Type: application/json"'
    printf 'data = "{\\"pan\\":\\"%s\\",\\"exp_month\\":12,\\"exp_year\\":2030,' "$pan"
    printf '\\"token_format\\":\\"random\\"}"\n'
    # (curl, not echo, expands the \t and \n of this config line)
    # shellcheck disable=SC2028
    echo 'write-out = "\t%{http_code}\n"'
    echo 'silent'
    echo 'show-error'
    echo 'max-time = 30'
  done
} >"$work/pool.curlrc"
run_child curl -K "$work/pool.curlrc" >"$work/pool.out" 2>"$work/pool.err" ||
  { cat "$work/pool.err" >&2; die "storing the token pool failed"; }
stored_ok="$(grep -c $'\t201$' "$work/pool.out" || true)"
sed -n 's/.*"token":"\([^"]*\)".*\t201$/\1/p' "$work/pool.out" >"$work/tokens.txt"
tokens="$(wc -l <"$work/tokens.txt")"
((stored_ok == pool && tokens == pool)) ||
  die "pool: $stored_ok of $pool stores answered 201, $tokens tokens parsed"
rm -f "$work/pool.curlrc" "$work/pool.out"  # PANs, key

# ---------------------------------------------------------------------------
# The machine, recorded with the figures.
cpu_model="$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n1)"
fs_type="$(findmnt -n -o FSTYPE -T "$data_dir" | head -n1)"
fs_source="$(findmnt -n -o SOURCE -T "$data_dir" | head -n1)"
wrk_version="$(wrk -v 2>&1 | head -n1 | awk '{ print $2 }' || true)"
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
machine="nproc $(nproc); CPU ${cpu_model:-unknown}; kernel $(uname -r); data dir on $fs_type ($fs_source)"
load_start="$(cut -d' ' -f1 /proc/loadavg)"
log "machine: $machine; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------
# One wrk run: run_wrk ENDPOINT SECONDS SEED OUTFILE. The key, token file and
# PAN seed reach the Lua scripts through the environment.
run_wrk() {
  local ep=$1 secs=$2 seed=$3 out=$4
  if ! KURA_BENCH_KEY="$key" KURA_BENCH_TOKENS="$work/tokens.txt" KURA_BENCH_SEED="$seed" \
    run_child wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s --latency \
    -s "$lua_dir/$ep.lua" "$url/" >"$out" 2>&1; then
    cat "$out" >&2
    die "wrk failed for $ep"
  fi
  local line
  line="$(grep '^KURA_RESULT ' "$out" | tail -n1 || true)"
  [[ -n "$line" ]] || { cat "$out" >&2; die "no KURA_RESULT line from wrk for $ep"; }
  # Every response must be 2xx and no socket error may occur.
  local bad sock
  bad="$(field "$line" non2xx)"
  sock="$(field "$line" socket_errors)"
  if [[ "$bad" != 0 || "$sock" != 0 ]]; then
    cat "$out" >&2
    die "$ep: $bad non-2xx responses (last status $(field "$line" last_bad_status)), $sock socket errors"
  fi
}

# Value of key "$2" in a "k=v k=v" line "$1".
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# Raw fsync rate: dd writing 4 KiB blocks with O_DSYNC (each write is durable
# before the next, like one commit per store without group commit) into a new
# file in the vault's data dir. A 100-write calibration sizes the real probe
# to ~FSYNC_SECONDS (capped at 50,000 writes = 200 MiB). No subshells here, so
# that cleanup() can always see and stop the running dd.
dd_run() {  # dd_run COUNT: sets dd_n (writes done) and dd_secs (elapsed)
  local f="$data_dir/fsync.probe" rc=0
  run_child dd if=/dev/zero of="$f" bs=4k count="$1" oflag=dsync 2>"$work/dd.err" || rc=$?
  rm -f "$f"
  ((rc == 0)) || { cat "$work/dd.err" >&2; die "dd failed"; }
  dd_n="$(sed -n 's/^\([0-9]*\)+[0-9]* records out$/\1/p' "$work/dd.err")"
  dd_secs="$(sed -n 's/.* copied, \([0-9.e+-]*\) s, .*/\1/p' "$work/dd.err")"
  [[ -n "$dd_n" && -n "$dd_secs" ]] || { cat "$work/dd.err" >&2; die "cannot parse dd's output"; }
}
fsync_probe() {  # sets fsync_rate (writes/s)
  local count
  dd_run 100
  count="$(calc "$dd_n / ($dd_secs > 0 ? $dd_secs : 1e-6) * $fsync_seconds" "%d")"
  ((count >= 100)) || count=100
  ((count <= 50000)) || count=50000
  dd_run "$count"
  fsync_rate="$(calc "$dd_n / ($dd_secs > 0 ? $dd_secs : 1e-6)" "%.1f")"
}

# ---------------------------------------------------------------------------
# Warm-up (not measured): every endpoint once, so that the first round does
# not pay for cold caches, lazily opened read connections and the like.
if ((warmup > 0)); then
  log "warm-up: ${warmup}s per endpoint"
  for ep in "${endpoints[@]}"; do run_wrk "$ep" "$warmup" 1 "$work/warmup-$ep.txt"; done
fi

# Measured rounds, interleaved. Results: rps[ep,r], p50[ep,r], p99[ep,r] (us).
declare -A rps p50 p99
fsync=()
log "measuring: $rounds rounds x (fsync probe + ${endpoints[*]}), wrk -t$threads -c$conns -d${duration}s"
for ((r = 1; r <= rounds; r++)); do
  fsync_probe
  fsync+=("$fsync_rate")
  log "round $r: fsync ${fsync[-1]} writes/s"
  for ep in "${endpoints[@]}"; do
    out="$work/r$r-$ep.txt"
    run_wrk "$ep" "$duration" $((r + 1)) "$out"
    line="$(grep '^KURA_RESULT ' "$out" | tail -n1)"
    rps[$ep,$r]="$(field "$line" rps)"
    p50[$ep,$r]="$(field "$line" p50_us)"
    p99[$ep,$r]="$(field "$line" p99_us)"
    log "round $r: $(printf '%-7s' "$ep") $(printf '%9.1f' "${rps[$ep,$r]}") req/s" \
      " p50 $(calc "${p50[$ep,$r]} / 1000" "%.2f") ms  p99 $(calc "${p99[$ep,$r]} / 1000" "%.2f") ms" \
      " ($(field "$line" requests) requests, all 2xx)"
  done
done

# ---------------------------------------------------------------------------
# Summary: medians over rounds; ratio = median of per-round ep/healthz ratios.
values() {  # values ARRAY EP -> the per-round values
  local -n a=$1
  local rr
  for ((rr = 1; rr <= rounds; rr++)); do echo "${a[$2,$rr]}"; done
}
summary="$work/summary.md"
{
  echo "Command: bench/vault_bench.sh  (wrk -t$threads -c$conns -d${duration}s, $rounds rounds interleaved, medians)"
  echo "Machine: $machine"
  echo "Build:   $build_type, commit $commit, wrk $wrk_version"
  echo "Load:    1-min load average $load_start at start, $(cut -d' ' -f1 /proc/loadavg) at end (other jobs on the machine)"
  echo
  echo "| Endpoint | req/s (median) | p50 ms | p99 ms | ratio to healthz | target | verdict |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
  for ep in "${endpoints[@]}"; do
    m_rps="$(values rps "$ep" | median)"
    m_p50="$(calc "$(values p50 "$ep" | median) / 1000" "%.2f")"
    m_p99="$(calc "$(values p99 "$ep" | median) / 1000" "%.2f")"
    if [[ "$ep" == healthz ]]; then
      ratio="1.000"; tgt="—"; verdict="(ceiling)"
    else
      ratios=()
      for ((r = 1; r <= rounds; r++)); do
        ratios+=("$(calc "${rps[$ep,$r]} / ${rps[healthz,$r]}")")
      done
      raw_ratio="$(printf '%s\n' "${ratios[@]}" | median)"
      ratio="$(calc "$raw_ratio" "%.3f")"
      tgt="${target[$ep]}"
      # Compare the unrounded ratio (0.5996 is BELOW 0.60 even if it prints as 0.600).
      verdict="$(awk -v a="$raw_ratio" -v b="$tgt" 'BEGIN { print (a + 0 >= b + 0) ? "PASS" : "BELOW" }')"
    fi
    printf '| %s | %.0f | %s | %s | %s | %s | %s |\n' \
      "$ep" "$m_rps" "$m_p50" "$m_p99" "$ratio" "$tgt" "$verdict"
  done
  m_fsync="$(printf '%s\n' "${fsync[@]}" | median)"
  m_store="$(values rps store | median)"
  echo
  printf 'Raw fsync rate (dd bs=4k oflag=dsync, %s, same run): %.0f writes/s (rounds: %s)\n' \
    "$fs_type" "$m_fsync" "${fsync[*]}"
  printf 'Group commit factor (store req/s / fsync rate): %.1fx\n' \
    "$(calc "$m_store / ($m_fsync > 0 ? $m_fsync : 1e-6)")"
  echo
  echo "Per round (req/s):"
  for ep in "${endpoints[@]}"; do
    printf '  %-7s %s\n' "$ep" "$(values rps "$ep" | tr '\n' ' ')"
  done
} >"$summary"

echo
echo "=== Kura vault benchmark ==="
cat "$summary"
if [[ -n "$out_file" ]]; then cp "$summary" "$out_file"; fi
