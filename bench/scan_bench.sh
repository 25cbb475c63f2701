#!/usr/bin/env bash
# Benchmark of `kura scan segments` against nmap (and masscan if installed) on
# the same namespace target (issue 5, step 4). Root is needed only to build
# the zones and enter them; kura and nmap run as `nobody` (setpriv), i.e. as
# unprivileged connect scans.
#
#   bench/scan_bench.sh KURA_BINARY
#
# Target: 10.42.1.10 in the CDE zone, scanned from the corp zone: all TCP
# ports dropped by the router except 22/3389 (reset), 23 (ICMP
# admin-prohibited) and whatever holes are open (5432 is opened here so
# there is an open port to find). Prints times and checks that kura's
# open/closed/filtered sets equal nmap's.
set -euo pipefail
KURA="${1:?usage: bench/scan_bench.sh KURA_BINARY}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ZONES="$ROOT/scripts/zones.sh"
[ "$(id -u)" = 0 ] || { echo "scan_bench: needs root for the namespaces" >&2; exit 2; }
command -v nmap >/dev/null || { echo "scan_bench: nmap is not installed" >&2; exit 2; }

export KURA_BIN="$KURA" KURA_ZONES_PREFIX="kzb$$"
W="$(mktemp -d /tmp/kura-scan-bench-XXXXXX)"
chmod 755 "$W"
cleanup() { "$ZONES" down >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
P="$KURA_ZONES_PREFIX"
"$ZONES" up >/dev/null
"$ZONES" hole add tcp 5432 >/dev/null
cat >"$W/policy.toml" <<'TOML'
[segments.cde]
cidrs = ["10.42.0.0/16"]
hosts = ["10.42.1.10"]
[segments.corp]
cidrs = ["172.30.0.0/16"]
hosts = ["172.30.1.10"]
[[expect]]
from = "corp"
to = "cde"
TOML
"$KURA" keys signing-key --private "$W/corp.key" --public "$W/corp.pub" >/dev/null
chmod 644 "$W/corp.key"  # readable by the unprivileged scanner; a throwaway key
chmod 777 "$W"
as_nobody() { ip netns exec "$P-corp" setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

now() { date +%s.%N; }
t0=$(now)
as_nobody "$KURA" scan segments --policy "$W/policy.toml" --from corp --key "$W/corp.key" \
  --out "$W/kura.json" --no-udp >"$W/kura.out"
t1=$(now)
as_nobody nmap -sT -Pn -n -p- --min-rate 5000 --max-retries 1 10.42.1.10 -oG "$W/nmap.gnmap" \
  >/dev/null
t2=$(now)
calc() { awk "BEGIN { print $1 }"; }
kura_s=$(calc "$t1 - $t0")
nmap_s=$(calc "$t2 - $t1")

line="$(grep ' -> ' "$W/kura.out")"
k_open="$(sed -n 's/.*open \[\([^]]*\)\].*/\1/p' <<<"$line")"
k_closed="$(sed -n 's/.*closed \[\([^]]*\)\].*/\1/p' <<<"$line")"
n_ports="$(grep -o 'Ports: .*' "$W/nmap.gnmap" | sed 's/^Ports: //; s/\tIgnored.*//')"
n_open="$(tr ',' '\n' <<<"$n_ports" | sed -n 's#^ *\([0-9]*\)/open/tcp.*#\1#p' | paste -sd,)"
n_closed="$(tr ',' '\n' <<<"$n_ports" | sed -n 's#^ *\([0-9]*\)/closed/tcp.*#\1#p' | paste -sd,)"

printf '%-60s %8.2f s  open [%s] closed [%s]\n' "kura scan segments (connect, 2 attempts, nobody)" \
  "$kura_s" "$k_open" "$k_closed"
printf '%-60s %8.2f s  open [%s] closed [%s]\n' \
  "nmap -sT -p- --min-rate 5000 --max-retries 1 (nobody)" "$nmap_s" "$n_open" "$n_closed"

if command -v masscan >/dev/null; then
  t3=$(now)
  ip netns exec "$P-corp" masscan 10.42.1.10 -p1-65535 --rate 100000 --wait 2 \
    --adapter eth0 -oG "$W/masscan.txt" >/dev/null 2>&1 || true
  t4=$(now)
  printf '%-60s %8.2f s  open [%s] (SYN scan, root; no closed/filtered distinction)\n' \
    "masscan -p1-65535 --rate 100000" "$(calc "$t4 - $t3")" \
    "$(grep -o 'Ports: [0-9]*' "$W/masscan.txt" | awk '{print $2}' | sort -n | paste -sd,)"
fi

status=0
if [ "$k_open" != "$n_open" ] || [ "$k_closed" != "$n_closed" ]; then
  echo "MISMATCH: kura and nmap classify differently"; status=1
fi
speedup=$(calc "$nmap_s / $kura_s")
printf 'speed-up over nmap: %.1fx (target >= 3x)\n' "$speedup"
if [ "$(calc "($speedup < 3) ? 1 : 0")" = 1 ]; then echo "below the 3x target"; status=1; fi
exit "$status"
