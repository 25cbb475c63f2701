#!/usr/bin/env bash
# bench/logs_search_bench.sh — audit log search benchmark (issue 3, section 4).
#
# In ONE run:
#   1. generates a 90-day audit-event data set (bench/logs_search/gen_events.cc,
#      compiled here with g++ -O2) of KURA_BENCH_SIZE raw NDJSON bytes, one
#      file per day, kept uncompressed for ripgrep;
#   2. loads it with `kura logs import` into a fresh data dir (import MB/s of
#      raw NDJSON, peak memory) and measures the storage: data + index objects
#      (and the digests) against the raw bytes;
#   3. runs, in KURA_BENCH_ROUNDS interleaved rounds with a warm page cache:
#        needle    one principal's events over all 90 days:
#                  kura logs search --count principal=X       (count)
#                  kura logs search principal=X               (newest 100, listing)
#                  rg -c -F '"principal":"X"' RAW             (ripgrep, uncompressed)
#                  DuckDB count(*) WHERE principal='X'         over Kura's .jsonl.zst
#        group-by  count grouped by event over all 90 days:
#                  kura logs search --count --group-by event
#                  DuckDB GROUP BY event                        over Kura's .jsonl.zst
#      and checks that every tool returns the same counts (the generator's
#      needle count, and Kura's groups = DuckDB's groups);
#   4. optionally (KURA_BENCH_COLD=1, needs root) one cold round after
#      `sync; echo 3 > /proc/sys/vm/drop_caches`.
# Times are wall clock (date +%s%N around the process; for DuckDB the query
# alone, as timed inside node, so node's start-up is not counted against it);
# peak memory is the max RSS from /usr/bin/time -v. The summary gives medians
# and the ratios against the targets: needle >= 20x faster than ripgrep,
# group-by >= 2x faster than DuckDB, storage <= 1/5 of raw.
#
# Usage: bench/logs_search_bench.sh      (10 GB: ~20 minutes on 2 cores)
# Environment (all optional):
#   KURA_BIN             kura binary (default: $KURA_BUILD_DIR/src/cli/kura;
#                        built with scripts/build.sh RelWithDebInfo if missing)
#   KURA_BUILD_DIR       build directory (default: <repo>/build)
#   KURA_BENCH_SIZE      raw bytes to generate (default 10737418240 = 10 GiB)
#   KURA_BENCH_ROUNDS=3  interleaved rounds
#   KURA_BENCH_DIR       work directory (default /work/bench-data/logs-search-$$;
#                        removed on exit unless KURA_BENCH_KEEP=1)
#   KURA_BENCH_COLD=0    1 = also one cold-cache round (root only)
#   KURA_BENCH_OUT       if set, the summary (Markdown) is also written here
# Needs: g++, rg (ripgrep), node + src/logs/search/duckdb/node_modules
# (scripts/install-deps.sh), /usr/bin/time (package `time`, installed here if
# missing and we are root).
set -euo pipefail
export LC_ALL=C

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/common.sh
source "$root/bench/common.sh"
build_dir="${KURA_BUILD_DIR:-$root/build}"
kura="${KURA_BIN:-$build_dir/src/cli/kura}"
size="${KURA_BENCH_SIZE:-10737418240}"
rounds="${KURA_BENCH_ROUNDS:-3}"
work="${KURA_BENCH_DIR:-/work/bench-data/logs-search-$$}"
keep="${KURA_BENCH_KEEP:-0}"
cold="${KURA_BENCH_COLD:-0}"
out_file="${KURA_BENCH_OUT:-}"
duckdb_modules="$root/src/logs/search/duckdb/node_modules"

log() { printf 'logs-search-bench: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ "$size" =~ ^[0-9]+$ ]] && ((size >= 1000000)) || die "KURA_BENCH_SIZE must be >= 1000000"
[[ "$rounds" =~ ^[0-9]+$ ]] && ((rounds >= 1)) || die "KURA_BENCH_ROUNDS must be >= 1"
case "$work" in "$root"|"$root"/*) die "KURA_BENCH_DIR must be outside the repository" ;; esac
for tool in g++ rg node awk; do
  command -v "$tool" >/dev/null || die "$tool not found (run scripts/install-deps.sh)"
done
[[ -d "$duckdb_modules/@duckdb/node-api" ]] ||
  die "no $duckdb_modules/@duckdb/node-api (cd src/logs/search/duckdb && npm ci)"
if [[ ! -x /usr/bin/time ]]; then
  if ((EUID == 0)); then
    apt-get install -y -qq time >/dev/null || die "cannot install package time"
  else
    die "/usr/bin/time not found (apt-get install time)"
  fi
fi
if [[ ! -x "$kura" ]]; then
  log "building kura (RelWithDebInfo) in $build_dir"
  "$root/scripts/build.sh" RelWithDebInfo >&2
fi
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$(dirname "$kura")/../../CMakeCache.txt" \
  2>/dev/null || true)"

child_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$child_pid" ]]; then kill "$child_pid" 2>/dev/null || true; wait "$child_pid" 2>/dev/null || true; fi
  if [[ "$keep" != 1 && -d "$work" ]]; then rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$work"
free_kb="$(df -Pk "$work" | awk 'NR == 2 { print $4 }')"
((free_kb * 1024 > size * 3 / 2 + (2 << 30))) || die "need ~1.5x KURA_BENCH_SIZE + 2 GiB free in $work"
raw="$work/raw"
data="$work/data"
tmp="$work/tmp"
mkdir -p "$tmp"
ln -sfn "$duckdb_modules" "$tmp/node_modules"
cp "$root/bench/logs_search/duckdb_query.mjs" "$tmp/duckdb_query.mjs"

# --- 1. data set ------------------------------------------------------------
log "compiling the generator"
g++ -O2 -std=c++20 -o "$tmp/gen_events" "$root/bench/logs_search/gen_events.cc"
end_day="$(date -u -d yesterday +%F)"
log "generating $size raw bytes over 90 days ending $end_day into $raw"
gen_out="$(run_child "$tmp/gen_events" --out "$raw" --bytes "$size" --days 90 --end "$end_day")"
log "$gen_out"
events="$(sed -n 's/^events=\([0-9]*\).*/\1/p' <<<"$gen_out")"
raw_bytes="$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' <<<"$gen_out")"
needle="$(sed -n 's/.*needle=\([^ ]*\).*/\1/p' <<<"$gen_out")"
needle_events="$(sed -n 's/.*needle_events=\([0-9]*\).*/\1/p' <<<"$gen_out")"

# --- 2. import ----------------------------------------------------------------
"$kura" logs init --data-dir "$data" >/dev/null
log "importing with kura logs import"
t0="$(date +%s%N)"
run_child /usr/bin/time -v -o "$tmp/import.time" \
  bash -c 'cat "$1"/dt=*/events.jsonl | "$2" logs import --data-dir "$3" -' _ "$raw" "$kura" "$data" \
  >"$tmp/import.out"
t1="$(date +%s%N)"
cat "$tmp/import.out" >&2
import_s="$(calc "($t1 - $t0) / 1e9")"
import_mbs="$(calc "$raw_bytes / 1e6 / $import_s" "%.1f")"
import_rss_mb="$(calc "$(awk -F': ' '/Maximum resident/ { print $2 }' "$tmp/import.time") / 1024" "%.0f")"
grep -q "imported $events events" "$tmp/import.out" || die "import did not take all $events events"

bytes_of() { find "$data/archive/$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
data_bytes="$(bytes_of data)"
index_bytes="$(bytes_of index)"
digest_bytes="$(bytes_of digest)"
stored=$((data_bytes + index_bytes))
storage_ratio="$(calc "$raw_bytes / $stored" "%.2f")"

# --- 3. queries -----------------------------------------------------------------
# time_cmd NAME CMD...: runs CMD, stdout to $tmp/NAME.out, appends wall seconds
# to $tmp/NAME.s and the peak RSS (KB) to $tmp/NAME.rss.
time_cmd() {
  local name="$1"
  shift
  local a b
  a="$(date +%s%N)"
  run_child /usr/bin/time -v -o "$tmp/$name.time" "$@" >"$tmp/$name.out"
  b="$(date +%s%N)"
  calc "($b - $a) / 1e9" >>"$tmp/$name.s"
  echo >>"$tmp/$name.s"
  awk -F': ' '/Maximum resident/ { print $2 }' "$tmp/$name.time" >>"$tmp/$name.rss"
}
duck() {  # duck NAME ARGS...: DuckDB query time as reported by node
  local name="$1"
  shift
  run_child /usr/bin/time -v -o "$tmp/$name.time" node "$tmp/duckdb_query.mjs" "$data/archive/data" "$@" \
    >"$tmp/$name.out"
  sed -n 's/.*"seconds":\([0-9.e+-]*\).*/\1/p' "$tmp/$name.out" >>"$tmp/$name.s"
  awk -F': ' '/Maximum resident/ { print $2 }' "$tmp/$name.time" >>"$tmp/$name.rss"
}
rg_count() { rg -c -F "\"principal\":\"$1\"" "$2" | awk -F: '{ s += $NF } END { print s + 0 }'; }
export -f rg_count

check_round() {
  local k_needle rg_n duck_n
  k_needle="$(cat "$tmp/kura_needle.out")"
  rg_n="$(cat "$tmp/rg_needle.out")"
  duck_n="$(sed -n 's/.*"rows":\[\[\([0-9]*\)\]\].*/\1/p' "$tmp/duck_needle.out")"
  [[ "$k_needle" == "$needle_events" && "$rg_n" == "$needle_events" && "$duck_n" == "$needle_events" ]] ||
    die "needle counts differ: generator $needle_events, kura $k_needle, rg $rg_n, duckdb $duck_n"
  local listed
  listed="$(wc -l <"$tmp/kura_list.out")"
  ((listed == (needle_events < 100 ? needle_events : 100))) || die "listing returned $listed records"
  # Groups: kura ndjson {"event":V,"count":N} vs DuckDB rows [V,N].
  local kg dg
  kg="$(sed -n 's/^{"event":"\([^"]*\)","count":\([0-9]*\)}$/\1 \2/p' "$tmp/kura_group.out" | sort)"
  dg="$(node -e 'const o = JSON.parse(require("fs").readFileSync(0, "utf8"));
                 for (const [v, n] of o.rows) console.log(v + " " + n);' <"$tmp/duck_group.out" | sort)"
  [[ -n "$kg" && "$kg" == "$dg" ]] || die "group-by results differ between kura and DuckDB"
  local total
  total="$(awk '{ s += $2 } END { print s }' <<<"$kg")"
  [[ "$total" == "$events" ]] || die "group-by total $total != $events events"
}

run_round() {
  time_cmd kura_needle "$kura" logs search --data-dir "$data" --count "principal=$needle"
  time_cmd rg_needle bash -c 'rg_count "$1" "$2"' _ "$needle" "$raw"
  duck duck_needle needle "$needle"
  time_cmd kura_list "$kura" logs search --data-dir "$data" --format ndjson "principal=$needle"
  time_cmd kura_group "$kura" logs search --data-dir "$data" --count --group-by event --format ndjson
  duck duck_group group-by-event
  check_round
}

names=(kura_needle kura_list rg_needle duck_needle kura_group duck_group)
log "warm-up round (fills the page cache; not counted)"
run_round
for n in "${names[@]}"; do : >"$tmp/$n.s"; : >"$tmp/$n.rss"; done
for ((r = 1; r <= rounds; ++r)); do
  log "round $r/$rounds"
  run_round
done
declare -A med rss
for n in "${names[@]}"; do
  med[$n]="$(grep -v '^$' "$tmp/$n.s" | median)"
  rss[$n]="$(calc "$(sort -n "$tmp/$n.rss" | tail -1) / 1024" "%.0f")"
done
cold_line=""
if [[ "$cold" == 1 ]]; then
  ((EUID == 0)) || die "KURA_BENCH_COLD=1 needs root (drop_caches)"
  declare -A cold_s
  for n in "${names[@]}"; do
    : >"$tmp/$n.s"
    sync
    echo 3 >/proc/sys/vm/drop_caches
    case "$n" in
      kura_needle) time_cmd kura_needle "$kura" logs search --data-dir "$data" --count "principal=$needle" ;;
      kura_list) time_cmd kura_list "$kura" logs search --data-dir "$data" --format ndjson "principal=$needle" ;;
      rg_needle) time_cmd rg_needle bash -c 'rg_count "$1" "$2"' _ "$needle" "$raw" ;;
      duck_needle) duck duck_needle needle "$needle" ;;
      kura_group) time_cmd kura_group "$kura" logs search --data-dir "$data" --count --group-by event --format ndjson ;;
      duck_group) duck duck_group group-by-event ;;
    esac
    cold_s[$n]="$(grep -v '^$' "$tmp/$n.s" | head -1)"
  done
  check_round
  cold_line="| cold (one round, caches dropped before each) | kura count ${cold_s[kura_needle]} s, kura list ${cold_s[kura_list]} s, rg ${cold_s[rg_needle]} s, DuckDB ${cold_s[duck_needle]} s | kura ${cold_s[kura_group]} s, DuckDB ${cold_s[duck_group]} s |"
fi

needle_ratio="$(calc "${med[rg_needle]} / ${med[kura_needle]}" "%.1f")"
list_ratio="$(calc "${med[rg_needle]} / ${med[kura_list]}" "%.1f")"
duck_needle_ratio="$(calc "${med[duck_needle]} / ${med[kura_needle]}" "%.1f")"
group_ratio="$(calc "${med[duck_group]} / ${med[kura_group]}" "%.1f")"
verdict() { awk "BEGIN { print ($1) ? \"PASS\" : \"BELOW\" }"; }
summary="$(
  echo "### logs search benchmark ($(date -u +%F), $rounds warm rounds, medians)"
  echo
  echo "- machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB RAM; kura \`$kura\` (CMAKE_BUILD_TYPE=$build_type)"
  echo "- data set: 90 days, $events events, $(calc "$raw_bytes / 1e9" "%.2f") GB raw NDJSON; needle principal $needle with $needle_events events"
  echo "- import: $(calc "$import_s" "%.1f") s = **$import_mbs MB/s** of raw NDJSON, peak RSS $import_rss_mb MB"
  echo "- storage: data $(calc "$data_bytes / 1e6" "%.1f") MB + index $(calc "$index_bytes / 1e6" "%.1f") MB = 1/$storage_ratio of raw (target <= 1/5: $(verdict "$storage_ratio >= 5")); digests $(calc "$digest_bytes / 1e6" "%.2f") MB"
  echo
  echo "| query | tool | median s | peak RSS MB |"
  echo "|---|---|---|---|"
  echo "| needle count | kura logs search --count principal=X | ${med[kura_needle]} | ${rss[kura_needle]} |"
  echo "| needle list (newest 100) | kura logs search principal=X | ${med[kura_list]} | ${rss[kura_list]} |"
  echo "| needle count | rg -c (uncompressed) | ${med[rg_needle]} | ${rss[rg_needle]} |"
  echo "| needle count | DuckDB (query only) | ${med[duck_needle]} | ${rss[duck_needle]} |"
  echo "| group by event | kura logs search --count --group-by event | ${med[kura_group]} | ${rss[kura_group]} |"
  echo "| group by event | DuckDB (query only) | ${med[duck_group]} | ${rss[duck_group]} |"
  [[ -z "$cold_line" ]] || { echo; echo "| cold | needle | group-by |"; echo "|---|---|---|"; echo "$cold_line"; }
  echo
  echo "- needle: rg / kura count = **${needle_ratio}x** (target >= 20x: $(verdict "$needle_ratio >= 20")); rg / kura list = ${list_ratio}x; DuckDB / kura count = ${duck_needle_ratio}x"
  echo "- group-by: DuckDB / kura = **${group_ratio}x** (target >= 2x: $(verdict "$group_ratio >= 2"))"
  echo "- all counts equal across kura, rg, DuckDB and the generator (checked every round)"
)"
echo "$summary"
[[ -z "$out_file" ]] || echo "$summary" >"$out_file"
