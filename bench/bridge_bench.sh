#!/usr/bin/env bash
# bench/bridge_bench.sh — the zone bridge benchmarks (issue 4).
#
# Three parts, all on local files (no network) in one temporary directory:
#
#   guard     PAN guard scan speed (MB/s) on a ~1 GiB PAN-free CSV artifact,
#             against `LC_ALL=C grep -E -c '[0-9]{16}'` and `cat > /dev/null`
#             over the same file. There is no CLI command that runs the guard
#             alone, so it is measured inside `kura bridge tokenize-file`,
#             which scans its output with bridge::ScanFileForPans before it
#             exits: the input's rows all have an empty PAN and an unparsable
#             expiry ("-"), so no row reaches the vault and the output is
#             byte-identical to the input (checked with cmp). The scan time is
#             the `scan_ms` that tokenize-file reports on stderr ("kura:
#             tokenize-file timings: open_ms=… tokenize_ms=… scan_ms=…").
#             (Earlier versions took the phases from `strace -f`; tracing
#             slowed the multi-threaded tokenize phase ~5×, so it is gone.)
#             The artifact has digit runs the guard must look at and reject:
#             16-digit non-Luhn runs (grep matches them), 4-4-4-4 dash-grouped
#             non-Luhn numbers (grep does not, the guard must join the
#             groups), 19-digit non-Luhn and 20-digit runs (grep matches,
#             the guard must reject), plus ids, amounts, dates, masked PANs.
#             The guard must find nothing (else tokenize-file fails).
#   tokenize  `kura bridge tokenize-file` on CSVs of increasing size (unique
#             Luhn-valid PANs 400000xxxxxxxxxC, expiry 12/30), each size
#             KURA_BENCH_TOKENIZE_ROUNDS times, each run into a fresh vault:
#             rows/s and MB/s (input bytes), whole command and the tokenize
#             phase alone (split as above), per run and the median of the
#             runs (which the next size's projection and the target use:
#             this machine's speed drifts by tens of percent within
#             minutes, so one run decides nothing). Beside each size:
#             `cat FILE > /dev/null` (warm), `dd bs=1M conv=fsync` of the same
#             byte count (bulk write + one fsync), and once per run
#             `openssl speed -evp aes-256-gcm` at 64 B and 16 KiB blocks and
#             the fsync rate of one-durable-4-KiB-write-at-a-time
#             (`dd bs=4k oflag=dsync`, ~2 s). The next size runs only if its
#             projected time (this size's time x the row ratio) is within
#             KURA_BENCH_TOKENIZE_MAX_SECONDS; otherwise the rest is skipped
#             and reported as skipped. tokenize-file commits one batch of
#             rows (kTokenizeBatchRows, 50,000) per vault transaction, with
#             two batches in flight, and writes a batch's output rows after
#             its commit, so with
#             KURA_BENCH_TOKENIZE_CAP_SECONDS set, a size still running after
#             that many seconds is stopped (SIGTERM) and reported as a
#             partial run: output rows written by then (= rows committed,
#             to within two batches) over the elapsed time; its vault and
#             output are discarded and larger sizes are skipped.
#   latency   request-to-start latency of `kura bridge run` (inotify, one
#             runner, exec job `/bin/sleep 0.2`): N requests submitted one
#             after the other; for each, started_ms (signed result) minus
#             created_ms (signed request payload). The request file is read
#             right after `kura bridge submit` (no --wait) returns — it stays
#             in the drop zone until the job has finished, hence the 0.2 s
#             job — and the result is then fetched with `kura bridge result`.
#             p50/p99 (nearest rank) of started-created and received-created.
#
# Usage: bench/bridge_bench.sh [guard] [tokenize] [latency]   (default: all)
# Environment (all optional):
#   KURA_BIN                      kura binary (default <repo>/build/src/cli/kura;
#                                 never built here; its CMakeCache build type is reported)
#   KURA_BENCH_ROUNDS=3           guard: interleaved rounds (cat, grep, kura)
#   KURA_BENCH_GUARD_MB=1024      guard: artifact size in MiB
#   KURA_BENCH_TOKENIZE_ROWS="10000 100000 1000000 10000000"
#   KURA_BENCH_TOKENIZE_MAX_SECONDS=600   largest projected time of a next size
#   KURA_BENCH_TOKENIZE_CAP_SECONDS=0     stop a size after this long (0 = never)
#   KURA_BENCH_TOKENIZE_ROUNDS=3  tokenize: runs of each size (median decides)
#   KURA_BENCH_LATENCY_N=50       latency: measured requests (after 3 warm-up ones)
#   KURA_BENCH_OUT                if set, the summary (Markdown) is also written here
#   TMPDIR                        where the work directory goes (default /tmp)
#
# Needs: openssl, grep, awk, sed and coreutils (dd, cmp, base64, sort).
# Everything it creates (data files of up to ~2x KURA_BENCH_GUARD_MB, vaults,
# keys, drop zone) lives in one mktemp directory that is removed on exit, also
# on failure or Ctrl-C; the runner and any running child are stopped first.
# PANs are only ever written to the input CSVs there, never printed.
set -euo pipefail
export LC_ALL=C

root="$(cd "$(dirname "$0")/.." && pwd)"
kura="${KURA_BIN:-$root/build/src/cli/kura}"
rounds="${KURA_BENCH_ROUNDS:-3}"
guard_mb="${KURA_BENCH_GUARD_MB:-1024}"
tok_rows="${KURA_BENCH_TOKENIZE_ROWS:-10000 100000 1000000 10000000}"
tok_max="${KURA_BENCH_TOKENIZE_MAX_SECONDS:-600}"
tok_cap="${KURA_BENCH_TOKENIZE_CAP_SECONDS:-0}"
tok_rounds="${KURA_BENCH_TOKENIZE_ROUNDS:-3}"
lat_n="${KURA_BENCH_LATENCY_N:-50}"
out_file="${KURA_BENCH_OUT:-}"
parts=("$@")
((${#parts[@]})) || parts=(guard tokenize latency)

log() { printf 'bridge-bench: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for v in rounds guard_mb tok_max tok_cap tok_rounds lat_n; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
((rounds >= 1 && guard_mb >= 1 && lat_n >= 1 && tok_rounds >= 1)) ||
  die "need rounds, guard MiB, latency N, tokenize rounds >= 1"
for r in $tok_rows; do [[ "$r" =~ ^[1-9][0-9]*$ ]] || die "bad row count '$r'"; done
for p in "${parts[@]}"; do
  [[ "$p" == guard || "$p" == tokenize || "$p" == latency ]] || die "unknown part '$p'"
done
for tool in openssl grep sed dd awk cmp base64 sort timeout; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
[[ -x "$kura" ]] || die "kura binary not found: $kura (build it, or set KURA_BIN)"

# ---------------------------------------------------------------------------
# Cleanup: runs on every exit. Stops the running child and the runner (both
# started here, by pid), then removes the work directory.
work=""
child_pid=""
runner_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$child_pid" ]] && kill -0 "$child_pid" 2>/dev/null; then
    kill -TERM "$child_pid" 2>/dev/null || true
    wait "$child_pid" 2>/dev/null || true
  fi
  if [[ -n "$runner_pid" ]] && kill -0 "$runner_pid" 2>/dev/null; then
    kill -TERM "$runner_pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
      kill -0 "$runner_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$runner_pid" 2>/dev/null && { kill -KILL "$runner_pid" 2>/dev/null || true; }
    wait "$runner_pid" 2>/dev/null || true
  fi
  if [[ -n "$work" && -d "$work" ]]; then rm -rf -- "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
# Nearest-rank percentile $1 (0..100) of the numbers on stdin.
percentile() {
  sort -g | awk -v p="$1" '{ v[NR] = $1 }
    END { if (NR == 0) { printf "n/a"; exit }
          k = int(p / 100 * NR); if (k < p / 100 * NR) k++; if (k < 1) k = 1;
          printf "%.6g", v[k] }'
}
now() { printf '%s' "$EPOCHREALTIME"; }  # seconds, microsecond resolution, no fork
mib() { calc "$1 / 1048576" "%.1f"; }

# ---------------------------------------------------------------------------
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$(dirname "$kura")/../../CMakeCache.txt" \
  2>/dev/null || true)"
build_type="${build_type:-unknown}"
case "$build_type" in
  Release | RelWithDebInfo) ;;
  *) log "WARNING: build type '$build_type' — only Release/RelWithDebInfo figures are representative" ;;
esac

tmp_root="${TMPDIR:-/tmp}"
need_mb=$((guard_mb * 2 + 4096))
avail_mb="$(df -P -m "$tmp_root" | awk 'NR == 2 { print $4 }')"
((avail_mb >= need_mb)) || die "$tmp_root has $avail_mb MiB free, need ~$need_mb MiB"
work="$(mktemp -d "$tmp_root/kura-bridge-bench-XXXXXX")"
chmod 700 "$work"

cpu_model="$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n1)"
fs_type="$(df -P -T "$work" | awk 'NR == 2 { print $2 }')"
fs_source="$(df -P "$work" | awk 'NR == 2 { print $1 }')"
mem_mb="$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
machine="nproc $(nproc); CPU ${cpu_model:-unknown}; ${mem_mb} MiB RAM; kernel $(uname -r); work dir on $fs_type ($fs_source)"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started_at="$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
log "machine: $machine; kura $kura ($build_type); load $load_start"

summary="$work/summary.md"
{
  echo "## bridge_bench.sh — $started_at"
  echo
  echo "- machine: $machine"
  echo "- kura: \`$kura\` (CMAKE_BUILD_TYPE=$build_type)"
  echo "- load average at start: $load_start"
  echo
} >"$summary"

# ---------------------------------------------------------------------------
# A vault for tokenize-file: vault DIR sets vault_cfg and vault_keys (args).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=localhost -keyout "$work/tls.key" -out "$work/tls.pem" >/dev/null 2>&1 ||
  die "openssl req failed"
vault_cfg=""
vault_keys=()
make_vault() {
  local d=$1
  mkdir -p "$d/data" "$d/custodians"
  cat >"$d/vault.toml" <<EOF
[vault]
data_dir = "$d/data"
node_id = "bench-vault"

[vault.tls]
cert = "$work/tls.pem"
key = "$work/tls.key"

[audit]
file = ""
EOF
  "$kura" keys init --config "$d/vault.toml" --custodians 2 --threshold 2 \
    --out "$d/custodians" >"$d/init.out" 2>&1 || { cat "$d/init.out" >&2; die "keys init failed"; }
  vault_cfg="$d/vault.toml"
  vault_keys=(--component "$d/custodians/custodian-1.key" --component "$d/custodians/custodian-2.key")
}

# Runs `kura bridge tokenize-file`; sets tf_total (the process's elapsed
# time), tf_tokenize (opening the vault + tokenizing, from kura's timings
# line), tf_scan (the output's PAN scan) in seconds, and tf_summary. Args:
# INPUT OUTPUT [CAP_SECONDS]. With a cap, a run still going after CAP
# seconds is stopped (tf_partial=1): tf_total is the elapsed time and
# tf_rows_done the output rows written.
tokenize_file() {
  local inp=$1 out=$2 cap=${3:-0} rc=0
  local -a limit=()
  ((cap > 0)) && limit=(timeout -s TERM "$cap")
  tf_partial=0
  local a b
  a="$(now)"
  run_child "${limit[@]}" "$kura" bridge tokenize-file --vault-config "$vault_cfg" "${vault_keys[@]}" \
    --input "$inp" --output "$out" --pan-column pan --exp-column exp \
    >"$work/tf.out" 2>"$work/tf.err" || rc=$?
  b="$(now)"
  tf_total="$(calc "$b - $a" "%.3f")"
  if ((cap > 0 && rc == 124)); then
    tf_partial=1
    tf_rows_done=$(($(wc -l <"$out") - 1))  # complete lines only; header excluded
    tf_summary="stopped after ${cap} s"
    return 0
  fi
  if ((rc != 0)); then
    cat "$work/tf.err" >&2  # kura never echoes field values
    die "tokenize-file failed (exit $rc)"
  fi
  tf_summary="$(cut -c1-200 "$work/tf.out" | head -n1)"
  local timings open_ms tok_ms scan_ms
  timings="$(grep '^kura: tokenize-file timings: ' "$work/tf.err" | tail -n1)"
  open_ms="$(sed -n 's/.* open_ms=\([0-9]*\).*/\1/p' <<<"$timings")"
  tok_ms="$(sed -n 's/.* tokenize_ms=\([0-9]*\).*/\1/p' <<<"$timings")"
  scan_ms="$(sed -n 's/.* scan_ms=\([0-9]*\).*/\1/p' <<<"$timings")"
  [[ -n "$open_ms" && -n "$tok_ms" && -n "$scan_ms" ]] || die "no timings line from tokenize-file"
  tf_tokenize="$(calc "($open_ms + $tok_ms) / 1000" "%.3f")"
  tf_scan="$(calc "$scan_ms / 1000" "%.3f")"
}

timed() {
  local a b
  a="$(now)"
  run_child "$@" >/dev/null
  b="$(now)"
  el="$(calc "$b - $a" "%.3f")"
}

# ---------------------------------------------------------------------------
part_guard() {
  local d="$work/guard" block="$work/guard/block.csv" file="$work/guard/artifact.csv"
  mkdir -p "$d"
  make_vault "$d/vault"
  log "guard: generating a ${guard_mb} MiB artifact"
  # 65536 distinct lines (~8 MiB), repeated. Classes by line number mod 20:
  # 0-9 16-digit non-Luhn run; 10-11 dddd-dddd-dddd-dddd non-Luhn; 12 20-digit
  # run; 13-14 19-digit non-Luhn run; 15-19 "INV-" + 8 digits.
  awk -v n=65536 'function rd(k,   s, i) { s = ""; for (i = 0; i < k; i++) s = s int(rand() * 10); return s }
    function luhn(p,   s, i, d, dbl) {  # check digit for payload p
      s = 0; dbl = 1
      for (i = length(p); i >= 1; i--) {
        d = substr(p, i, 1) + 0
        if (dbl) { d *= 2; if (d > 9) d -= 9 }
        s += d; dbl = !dbl
      }
      return (10 - s % 10) % 10
    }
    function bad(p) { return p ((luhn(p) + 1 + int(rand() * 9)) % 10) }  # never the check digit
    BEGIN {
      srand(4); b32 = "abcdefghijklmnopqrstuvwxyz234567"
      for (i = 1; i <= n; i++) {
        tok = "tok_"; for (j = 0; j < 26; j++) tok = tok substr(b32, int(rand() * 32) + 1, 1)
        c = i % 20
        if (c < 10) ref = bad("4" rd(14))
        else if (c < 12) { r = bad("4" rd(14)); ref = substr(r, 1, 4) "-" substr(r, 5, 4) "-" substr(r, 9, 4) "-" substr(r, 13, 4) }
        else if (c == 12) ref = rd(20)
        else if (c < 15) ref = bad("4" rd(17))
        else ref = "INV-" rd(8)
        printf "%010d,,-,%s,400000******%s,%s,%d.%02d,202611%02d,batch %d ok\n", i, tok, rd(4), ref,
          int(rand() * 5000), int(rand() * 100), 1 + i % 28, 1 + i % 97
      }
    }' >"$block"
  printf 'id,pan,exp,card_token,card_masked,ref,amount,posted,note\n' >"$file"
  local bb reps i
  bb="$(stat -c %s "$block")"
  reps=$(((guard_mb * 1048576 + bb - 1) / bb))
  for ((i = 0; i < reps; i++)); do cat "$block"; done >>"$file"
  rm -f "$block"
  local bytes lines
  bytes="$(stat -c %s "$file")"
  lines=$(($(wc -l <"$file") - 1))
  log "guard: $(mib "$bytes") MiB, $lines rows; writing it back, warming the page cache"
  sync "$file"  # no dirty pages of the artifact left to write back during the rounds
  cat "$file" >/dev/null
  local -a t_cat t_grep t_kura t_kura_tok ratio
  local grep_count="" r
  for ((r = 1; r <= rounds; r++)); do
    timed cat "$file"
    t_cat+=("$el")
    local a b
    a="$(now)"
    grep_count="$(grep -E -c '[0-9]{16}' "$file")" || true
    b="$(now)"
    t_grep+=("$(calc "$b - $a" "%.3f")")
    tokenize_file "$file" "$d/out.csv"
    if ((r == 1)); then
      cmp -s "$file" "$d/out.csv" || die "guard: tokenize-file output differs from its input"
    fi
    rm -f "$d/out.csv"
    t_kura+=("$tf_scan")
    t_kura_tok+=("$tf_tokenize")
    ratio+=("$(calc "${t_grep[-1]} / $tf_scan" "%.4f")")
    log "guard round $r: cat ${t_cat[-1]} s, grep ${t_grep[-1]} s, guard scan $tf_scan s (tokenize-file parse+write $tf_tokenize s; $tf_summary)"
  done
  local m_cat m_grep m_kura m_ratio
  m_cat="$(printf '%s\n' "${t_cat[@]}" | median)"
  m_grep="$(printf '%s\n' "${t_grep[@]}" | median)"
  m_kura="$(printf '%s\n' "${t_kura[@]}" | median)"
  m_ratio="$(printf '%s\n' "${ratio[@]}" | median)"
  local verdict=BELOW
  awk "BEGIN { exit !($m_ratio >= 1) }" && verdict=PASS
  {
    echo "### PAN guard vs grep ($(mib "$bytes") MiB, $lines rows, page cache warm, $rounds rounds)"
    echo
    echo "| tool | median s | MiB/s | per round s |"
    echo "| --- | ---: | ---: | --- |"
    echo "| cat > /dev/null | $m_cat | $(calc "$bytes / 1048576 / $m_cat" "%.0f") | ${t_cat[*]} |"
    echo "| grep -E -c '[0-9]{16}' (LC_ALL=C) | $m_grep | $(calc "$bytes / 1048576 / $m_grep" "%.0f") | ${t_grep[*]} |"
    echo "| kura PAN guard (ScanFileForPans) | $m_kura | $(calc "$bytes / 1048576 / $m_kura" "%.1f") | ${t_kura[*]} |"
    echo
    echo "- guard speed / grep speed (median of per-round ratios): **$m_ratio×** (target ≥ 1×): **$verdict**"
    echo "- grep matching lines: $grep_count; PAN guard matches: 0 (tokenize-file succeeded, output identical to input)"
    echo "- tokenize-file parse+write of the same file before the scan (not the guard): $(printf '%s\n' "${t_kura_tok[@]}" | median) s median"
    echo
  } >>"$summary"
  rm -rf "$d"
}

# ---------------------------------------------------------------------------
part_tokenize() {
  local d="$work/tok"
  mkdir -p "$d"
  log "tokenize: ceilings (openssl speed, fsync rate)"
  local aes64 aes16k
  aes64="$(openssl speed -seconds 1 -bytes 64 -evp aes-256-gcm 2>/dev/null |
    awk 'tolower($1) == "aes-256-gcm" { v = $NF } END { sub(/k$/, "", v); printf "%.0f", v * 1000 }')"
  aes16k="$(openssl speed -seconds 1 -bytes 16384 -evp aes-256-gcm 2>/dev/null |
    awk 'tolower($1) == "aes-256-gcm" { v = $NF } END { sub(/k$/, "", v); printf "%.0f", v * 1000 }')"
  local rc=0 fs_n fs_s fsync_rate
  run_child dd if=/dev/zero of="$d/fsync.probe" bs=4k count=500 oflag=dsync 2>"$d/dd.err" || rc=$?
  rm -f "$d/fsync.probe"
  ((rc == 0)) || { cat "$d/dd.err" >&2; die "dd failed"; }
  fs_n="$(sed -n 's/^\([0-9]*\)+[0-9]* records out$/\1/p' "$d/dd.err")"
  fs_s="$(sed -n 's/.* copied, \([0-9.e+-]*\) s, .*/\1/p' "$d/dd.err")"
  fsync_rate="$(calc "$fs_n / $fs_s" "%.0f")"
  {
    echo "### tokenize-file"
    echo
    echo "Ceilings: \`openssl speed -evp aes-256-gcm\` $(calc "$aes64 / 1e6" "%.0f") MB/s at 64-byte blocks ($(calc "$aes64 / 64" "%.0f") blocks/s), $(calc "$aes16k / 1e6" "%.0f") MB/s at 16 KiB; one durable 4 KiB write at a time (\`dd bs=4k count=500 oflag=dsync\`): $fsync_rate writes/s."
    echo
    echo "| rows | input MiB | tokenize-file s | rows/s | MiB/s | tokenize phase s | output scan s | cat s (MiB/s) | dd conv=fsync s (MiB/s) | AES-GCM s (one 64 B op/row) |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  } >>"$summary"
  local prev_rows="" prev_secs="" rows skipped=() partial_note=""
  for rows in $tok_rows; do
    if [[ -n "$prev_rows" ]]; then
      local proj
      proj="$(calc "$prev_secs * $rows / $prev_rows" "%.0f")"
      if ((proj > tok_max)); then
        skipped+=("$rows (projected ${proj} s at the previous size's rate)")
        continue
      fi
    fi
    local csv="$d/in-$rows.csv"
    log "tokenize: generating $rows rows"
    awk -v n="$rows" 'function luhn(p,   s, i, d, dbl) {
        s = 0; dbl = 1
        for (i = length(p); i >= 1; i--) {
          d = substr(p, i, 1) + 0
          if (dbl) { d *= 2; if (d > 9) d -= 9 }
          s += d; dbl = !dbl
        }
        return (10 - s % 10) % 10
      }
      BEGIN {
        srand(7); print "id,pan,exp,amount,merchant"
        for (i = 1; i <= n; i++) {
          p = sprintf("400000%09d", i)
          printf "%d,%s%d,12/30,%d.%02d,m%04d\n", i, p, luhn(p), int(rand() * 5000), int(rand() * 100), i % 10000
        }
      }' >"$csv"
    local bytes
    bytes="$(stat -c %s "$csv")"
    cat "$csv" >/dev/null  # warm
    timed cat "$csv"
    local cat_s=$el
    log "tokenize: $rows rows ($(mib "$bytes") MiB)"
    local round secs=()
    for ((round = 1; round <= tok_rounds; round++)); do
      # Each run into a fresh vault: the rows are all new cards every time.
      make_vault "$d/vault-$rows"
      tokenize_file "$csv" "$d/out-$rows.csv" "$tok_cap"
      if ((tf_partial)); then
        rm -f "$d/out-$rows.csv" "$csv"
        rm -rf "$d/vault-$rows"
        printf '| %s (partial: stopped after %s s) | %s | %s | %s | %s | — | — | %s (%s) | — | — |\n' "$rows" \
          "$tok_cap" "$(mib "$bytes")" "$tf_total" "$(calc "$tf_rows_done / $tf_total" "%.0f")" \
          "$(calc "$bytes * $tf_rows_done / $rows / 1048576 / $tf_total" "%.2f")" "$cat_s" \
          "$(calc "$bytes / 1048576 / ($cat_s > 0 ? $cat_s : 1e-6)" "%.0f")" >>"$summary"
        log "tokenize: $rows rows stopped after $tf_total s with $tf_rows_done rows written ($(calc "$tf_rows_done / $tf_total" "%.0f") rows/s)"
        partial_note="$rows rows: stopped after $tf_total s with $tf_rows_done rows written ($(calc "$tf_rows_done / $tf_total" "%.0f") rows/s over the run)"
        break 2
      fi
      local expect="rows=$rows tokenized=$rows invalid=0"
      [[ "$tf_summary" == "$expect" ]] || die "tokenize-file: unexpected summary '$tf_summary'"
      rm -f "$d/out-$rows.csv"
      rm -rf "$d/vault-$rows"
      secs+=("$tf_total")
      local label="$rows"
      ((tok_rounds == 1)) || label="$rows (run $round)"
      printf '| %s | %s | %s | %s | %s | %s | %s | %s (%s) | | |\n' "$label" "$(mib "$bytes")" \
        "$tf_total" "$(calc "$rows / $tf_total" "%.0f")" "$(calc "$bytes / 1048576 / $tf_total" "%.2f")" \
        "$tf_tokenize" "$tf_scan" "$cat_s" "$(calc "$bytes / 1048576 / ($cat_s > 0 ? $cat_s : 1e-6)" "%.0f")" \
        >>"$summary"
      log "tokenize: $rows rows, run $round of $tok_rounds: $tf_total s ($(calc "$rows / $tf_total" "%.0f") rows/s)"
    done
    local dd_count=$(((bytes + 1048575) / 1048576)) t_dd med
    timed dd if=/dev/zero of="$d/dd.out" bs=1M count="$dd_count" conv=fsync status=none
    t_dd=$el
    rm -f "$d/dd.out" "$csv"
    med="$(printf '%s\n' "${secs[@]}" | median)"
    printf '| **%s, median of %s** | %s | %s | **%s** | %s | | | | %s (%s) | %s |\n' "$rows" "$tok_rounds" \
      "$(mib "$bytes")" "$med" "$(calc "$rows / $med" "%.0f")" "$(calc "$bytes / 1048576 / $med" "%.2f")" \
      "$t_dd" "$(calc "$dd_count / ($t_dd > 0 ? $t_dd : 1e-6)" "%.0f")" \
      "$(calc "$rows * 64 / $aes64" "%.4f")" >>"$summary"
    log "tokenize: $rows rows, median of $tok_rounds runs: $med s ($(calc "$rows / $med" "%.0f") rows/s)"
    prev_rows=$rows
    prev_secs=$med
  done
  {
    echo
    if ((${#skipped[@]})); then
      echo "Skipped (KURA_BENCH_TOKENIZE_MAX_SECONDS=$tok_max): ${skipped[*]}."
    fi
    if [[ -n "$partial_note" ]]; then
      echo "Partial run (KURA_BENCH_TOKENIZE_CAP_SECONDS=$tok_cap): $partial_note; the rows/s column is rows written / elapsed."
    fi
    if [[ -n "$prev_rows" ]]; then
      echo "Target ≥ 200000 rows/s: **$(awk "BEGIN { exit !($prev_rows / $prev_secs >= 200000) }" && echo PASS || echo BELOW)** (largest size run to completion, median of $tok_rounds runs: $(calc "$prev_rows / $prev_secs" "%.0f") rows/s)."
    fi
    echo
  } >>"$summary"
  rm -rf "$d"
}

# ---------------------------------------------------------------------------
part_latency() {
  local d="$work/lat"
  mkdir -p "$d/zone" "$d/runner" "$d/keys"
  "$kura" keys signing-key --private "$d/keys/runner.key" --public "$d/keys/runner.pub" >/dev/null
  "$kura" keys signing-key --private "$d/keys/submitter.key" --public "$d/keys/submitter.pub" >/dev/null
  cat >"$d/bridge.toml" <<EOF
[bridge]
drop_zone = "$d/zone"
data_dir = "$d/runner"
runner_id = "bench-runner"
signing_key_file = "$d/keys/runner.key"
poll_interval_ms = 250
max_concurrent_jobs = 1

[[submitters]]
id = "bench"
public_key_file = "$d/keys/submitter.pub"

[[jobs]]
name = "noop"
kind = "exec"
executable = "/bin/sleep"
args = ["0.2"]
timeout = "10s"
EOF
  cat >"$d/client.toml" <<EOF
[client]
drop_zone = "$d/zone"
submitter = "bench"
private_key_file = "$d/keys/submitter.key"
cde_public_key_file = "$d/keys/runner.pub"
request_ttl = "10m"
EOF
  "$kura" bridge run -c "$d/bridge.toml" >"$d/runner.out" 2>"$d/runner.err" &
  runner_pid=$!
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q watching "$d/runner.err" 2>/dev/null && break
    kill -0 "$runner_pid" 2>/dev/null || { cat "$d/runner.err" >&2; die "runner exited"; }
    sleep 0.1
  done
  grep -q watching "$d/runner.err" || die "runner did not start"
  local warm=3 total=$((lat_n + 3)) id payload created res rc started received
  : >"$d/start.txt"
  : >"$d/recv.txt"
  : >"$d/pick.txt"
  log "latency: $total requests (3 warm-up)"
  for ((i = 1; i <= total; i++)); do
    id="$("$kura" bridge submit -c "$d/client.toml" noop 2>"$d/submit.err")" ||
      { cat "$d/submit.err" >&2; die "submit failed"; }
    [[ "$id" =~ ^[0-9a-f]{32}$ ]] || die "submit printed no id"
    cp "$d/zone/requests/$id.jws" "$d/req.jws" 2>/dev/null ||
      die "request $id left the drop zone before it could be read"
    payload="$(cut -d. -f2 "$d/req.jws" | tr '_-' '/+')"
    case $((${#payload} % 4)) in 2) payload+="==" ;; 3) payload+="=" ;; esac
    created="$(printf '%s' "$payload" | base64 -d | grep -o '"created_ms":[0-9]*' | cut -d: -f2)"
    sleep 0.3
    local tries
    for ((tries = 0; tries < 200; tries++)); do
      rc=0
      "$kura" bridge result -c "$d/client.toml" "$id" >"$d/res.json" 2>/dev/null || rc=$?
      ((rc == 7)) || break
      sleep 0.05
    done
    ((rc == 0)) || die "request $id: result exit code $rc"
    res="$(cat "$d/res.json")"
    started="$(grep -o '"started_ms":[0-9]*' <<<"$res" | cut -d: -f2)"
    received="$(grep -o '"received_ms":[0-9]*' <<<"$res" | cut -d: -f2)"
    [[ -n "$created" && -n "$started" && -n "$received" ]] || die "cannot parse request/result times"
    if ((i > warm)); then
      echo $((started - created)) >>"$d/start.txt"
      echo $((received - created)) >>"$d/recv.txt"
      echo $((started - received)) >>"$d/pick.txt"
    fi
  done
  kill -TERM "$runner_pid" 2>/dev/null || true
  wait "$runner_pid" 2>/dev/null || true
  runner_pid=""
  {
    echo "### Request-to-start latency ($lat_n sequential requests after 3 warm-up, inotify, poll_interval_ms 250)"
    echo
    echo "| interval | p50 ms | p99 ms | min ms | max ms |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    local f name
    for f in start recv pick; do
      case $f in
        start) name="started_ms − created_ms (request to start)" ;;
        recv) name="received_ms − created_ms (request to pick-up)" ;;
        pick) name="started_ms − received_ms (verify + claim)" ;;
      esac
      echo "| $name | $(percentile 50 <"$d/$f.txt") | $(percentile 99 <"$d/$f.txt") | $(sort -g "$d/$f.txt" | head -n1) | $(sort -g "$d/$f.txt" | tail -n1) |"
    done
    echo
  } >>"$summary"
  rm -rf "$d"
}

for p in "${parts[@]}"; do "part_$p"; done
echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$summary"
cat "$summary"
if [[ -n "$out_file" ]]; then cp "$summary" "$out_file"; fi
