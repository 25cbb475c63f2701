#!/usr/bin/env bash
# Benchmark of `kura scan segments` against nmap and masscan on the same
# namespace targets (issue 5, step 4), all four of the issue's targets in one
# run. Root is needed only to build the zones and enter them; kura and nmap run
# as `nobody` (setpriv), i.e. as unprivileged connect scans. masscan (SYN scan)
# needs raw sockets and runs as root.
#
#   bench/scan_bench.sh KURA_BINARY
#
# Everything is scanned from the corp zone (172.30.1.10). Targets, all in the
# CDE namespace (.11-.13 are secondary addresses this script adds to its eth0):
#
#   10.42.1.10  DROP   zones.sh's router policy: every port dropped except
#                      tcp/22, tcp/3389 (reset), tcp/23 (ICMP admin-prohibited)
#                      and tcp/5432 (a hole opened here, so one port is open)
#   10.42.1.11  RESET  every port rejected by the router with a TCP reset
#   10.42.1.12  ICMP   every port rejected by the router with ICMP port
#                      unreachable (the router's ICMP rate limit is lifted, see
#                      below)
#   10.42.1.13  OPEN   no firewall: the router forwards everything, the host
#                      answers; open 80, 443, 8080 (a listener bound to .13)
#                      and 5432, 8443 (zones.sh's CDE listener, bound to all
#                      addresses); every other port is reset by the host kernel
#
# The .11-.13 rules live in a chain `bench_targets` this script adds to the
# router's table (jumped to first for corp -> cde) and deletes at the end.
#
# Per target: kura scan segments --no-udp (nobody), nmap -sT -Pn -p-
# --min-rate 5000 --max-retries 1 (nobody), masscan --rate 100000 (root). kura's
# class of every one of the 65,535 ports must equal nmap's (the run fails on any
# mismatch), and kura must be >= 3x faster than that nmap setting on the DROP
# target. nmap's slow settings (`nmap -sT -p-` and `-T4`) would take hours on
# the DROP target, so each runs for KURA_BENCH_SLOW_SECS (default 60) seconds
# with --stats-every and the total is taken from nmap's own completion estimate
# (elapsed + nmap's "remaining"; elapsed / fraction done is printed too).
#
# ICMP: Linux rate-limits the ICMP errors a host sends (net.ipv4.icmp_ratemask /
# icmp_ratelimit / icmp_msgs_per_sec), so a router rejecting 65,535 ports with
# port-unreachable would answer only a handful and the rest would look dropped,
# differently for every run. The router namespace's icmp_ratemask is set to 0
# (no ICMP type rate-limited) so the ICMP target answers every probe; set
# KURA_BENCH_KEEP_ICMP_RATELIMIT=1 to keep the kernel defaults.
set -euo pipefail
KURA="${1:?usage: bench/scan_bench.sh KURA_BINARY}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ZONES="$ROOT/scripts/zones.sh"
SLOW_SECS="${KURA_BENCH_SLOW_SECS:-60}"
[ "$(id -u)" = 0 ] || { echo "scan_bench: needs root for the namespaces" >&2; exit 2; }
for tool in nmap masscan nft python3 setpriv; do
  command -v "$tool" >/dev/null || { echo "scan_bench: $tool is not installed" >&2; exit 2; }
done
[ -x "$KURA" ] || { echo "scan_bench: $KURA is not an executable" >&2; exit 2; }
KURA="$(cd "$(dirname "$KURA")" && pwd)/$(basename "$KURA")"

export KURA_BIN="$KURA" KURA_ZONES_PREFIX="kzb$$"
P="$KURA_ZONES_PREFIX"
W="$(mktemp -d /tmp/kura-scan-bench-XXXXXX)"
chmod 755 "$W"

TARGETS=(10.42.1.10 10.42.1.11 10.42.1.12 10.42.1.13)
declare -A KIND=([10.42.1.10]=DROP [10.42.1.11]=RESET [10.42.1.12]=ICMP [10.42.1.13]=OPEN)
EXTRA_ADDRS=(10.42.1.11 10.42.1.12 10.42.1.13)
OPEN_LISTEN="80,443,8080"

# --- cleanup: everything created below, in reverse, also on failure ---------
ZONES_UP=0 LISTENER_PID="" CHAIN_ADDED=0
cleanup() {
  set +e
  if [ -n "$LISTENER_PID" ]; then kill "$LISTENER_PID" 2>/dev/null; wait "$LISTENER_PID" 2>/dev/null; fi
  if [ "$ZONES_UP" = 1 ]; then
    if [ "$CHAIN_ADDED" = 1 ]; then
      local h
      for h in $(ip netns exec "$P-router" nft -a list chain inet kura_zones forward 2>/dev/null |
                 sed -n 's/.*comment "scan_bench".*# handle \([0-9]*\).*/\1/p'); do
        ip netns exec "$P-router" nft delete rule inet kura_zones forward handle "$h"
      done
      ip netns exec "$P-router" nft delete chain inet kura_zones bench_targets 2>/dev/null
    fi
    local a
    for a in "${EXTRA_ADDRS[@]}"; do ip -n "$P-cde" addr del "$a/16" dev eth0 2>/dev/null; done
    "$ZONES" down >/dev/null 2>&1   # kills anything left in the namespaces, deletes them
  fi
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- zones and targets -------------------------------------------------------
ZONES_UP=1
"$ZONES" up >/dev/null
"$ZONES" hole add tcp 5432 >/dev/null
for a in "${EXTRA_ADDRS[@]}"; do ip -n "$P-cde" addr add "$a/16" dev eth0; done
CHAIN_ADDED=1
ip netns exec "$P-router" nft -f - <<'NFT'
table inet kura_zones {
  chain bench_targets {
    ip daddr 10.42.1.11 meta l4proto tcp reject with tcp reset
    ip daddr 10.42.1.12 meta l4proto tcp reject with icmpx type port-unreachable
    ip daddr 10.42.1.13 accept
  }
}
NFT
ip netns exec "$P-router" nft insert rule inet kura_zones forward \
  iifname "r-corp" oifname "r-cde" jump bench_targets comment '"scan_bench"'
if [ "${KURA_BENCH_KEEP_ICMP_RATELIMIT:-0}" != 1 ]; then
  ip netns exec "$P-router" sysctl -qw net.ipv4.icmp_ratemask=0
fi
ICMP_MASK="$(ip netns exec "$P-router" sysctl -n net.ipv4.icmp_ratemask)"
ip netns exec "$P-cde" "$KURA" scan listen --bind 10.42.1.13 --tcp "$OPEN_LISTEN" \
  >"$W/listen.log" 2>&1 &
LISTENER_PID=$!
listening() { local l; l="$(ip netns exec "$P-cde" ss -ltnH 2>/dev/null)"; grep -q '10.42.1.13:8080 ' <<<"$l"; }
for _ in $(seq 1 50); do listening && break; sleep 0.1; done
listening ||
  { echo "scan_bench: listener on 10.42.1.13 did not come up" >&2; cat "$W/listen.log" >&2; exit 1; }

"$KURA" keys signing-key --private "$W/corp.key" --public "$W/corp.pub" >/dev/null
chmod 644 "$W/corp.key"  # readable by the unprivileged scanner; a throwaway key
for t in "${TARGETS[@]}"; do
  cat >"$W/policy-$t.toml" <<TOML
[segments.cde]
cidrs = ["10.42.0.0/16"]
hosts = ["$t"]
[segments.corp]
cidrs = ["172.30.0.0/16"]
hosts = ["172.30.1.10"]
[[expect]]
from = "corp"
to = "cde"
TOML
done
chmod 777 "$W"
as_nobody() { ip netns exec "$P-corp" setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }

# Per-port comparison of kura's signed result with nmap's XML, and a summary.
cat >"$W/compare.py" <<'PY'
import json, sys, xml.etree.ElementTree as ET

def expand(spec):
    out = []
    for part in filter(None, spec.split(",")):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out

def ranges(ports):
    ports, out, i = sorted(ports), [], 0
    while i < len(ports):
        j = i
        while j + 1 < len(ports) and ports[j + 1] == ports[j] + 1:
            j += 1
        out.append(str(ports[i]) if i == j else f"{ports[i]}-{ports[j]}")
        i = j + 1
    return ",".join(out)

def summary(cls):
    by = {}
    for p, c in cls.items():
        by.setdefault(c, []).append(p)
    parts = []
    for c in ("open", "closed", "filtered"):
        ps = by.get(c, [])
        parts.append(f"{c} {ranges(ps) or '-'}" if len(ps) <= 6 else f"{c} {len(ps)}")
    return "; ".join(parts)

kura_json, nmap_xml, target = sys.argv[1:4]
res = json.load(open(kura_json))["result"]
kura = {}
for f in res["flows"]:
    if f["dst"] == target and f.get("proto", "tcp") == "tcp":
        for c in ("open", "closed", "filtered"):
            for p in expand(f[c]):
                kura[p] = c
nmap = {}
host = ET.parse(nmap_xml).getroot().find("host")
for ex in host.iter("extraports"):
    for r in ex.iter("extrareasons"):
        for p in expand(r.get("ports", "")):
            nmap[p] = ex.get("state")
for port in host.iter("port"):
    if port.get("protocol") == "tcp":
        nmap[int(port.get("portid"))] = port.find("state").get("state")
allp = set(range(1, 65536))
bad = [p for p in sorted(allp) if kura.get(p) != nmap.get(p)]
print(f"kura: {summary(kura)}  (probes {res['methodology']['probes_sent']}, "
      f"attempts before filtered {res['methodology']['attempts_before_filtered']}, "
      f"timeout {res['methodology']['timeout_ms']} ms)")
print(f"nmap: {summary(nmap)}")
if bad:
    print(f"MISMATCH on {len(bad)} ports, e.g. " +
          ", ".join(f"{p}: kura {kura.get(p)} nmap {nmap.get(p)}" for p in bad[:10]))
    sys.exit(1)
print("classes identical on all 65535 ports")
PY

# --- per-target runs -----------------------------------------------------------
status=0
declare -A T_KURA T_NMAP T_MASS R_MASS SAME
for t in "${TARGETS[@]}"; do
  k="${KIND[$t]}"
  echo "== $t ($k)"
  t0=$(now)
  as_nobody "$KURA" scan segments --policy "$W/policy-$t.toml" --from corp --key "$W/corp.key" \
    --out "$W/kura-$t.json" --no-udp >"$W/kura-$t.out"
  t1=$(now)
  as_nobody nmap -sT -Pn -n -p- --min-rate 5000 --max-retries 1 "$t" -oX "$W/nmap-$t.xml" \
    >/dev/null
  t2=$(now)
  ip netns exec "$P-corp" masscan "$t" -p1-65535 --rate 100000 --wait 2 --show closed \
    --adapter eth0 -oG "$W/masscan-$t.txt" >/dev/null 2>&1 || true
  t3=$(now)
  T_KURA[$t]=$(calc "$t1 - $t0"); T_NMAP[$t]=$(calc "$t2 - $t1"); T_MASS[$t]=$(calc "$t3 - $t2")
  m_open=$(grep -c '/open/' "$W/masscan-$t.txt" 2>/dev/null || true)
  m_closed=$(grep -c '/closed/' "$W/masscan-$t.txt" 2>/dev/null || true)
  m_list=$(sed -n 's#.*Ports: \([0-9]*\)/open/.*#\1#p' "$W/masscan-$t.txt" 2>/dev/null | sort -n |
           paste -sd, || true)
  R_MASS[$t]="open ${m_open:-0} [${m_list}], closed (RST or ICMP seen) ${m_closed:-0}"
  if python3 "$W/compare.py" "$W/kura-$t.json" "$W/nmap-$t.xml" "$t"; then
    SAME[$t]=yes
  else
    SAME[$t]=NO; status=1
  fi
  printf 'kura %.2f s, nmap %.2f s, masscan %.2f s (masscan saw %s)\n' \
    "${T_KURA[$t]}" "${T_NMAP[$t]}" "${T_MASS[$t]}" "${R_MASS[$t]}"
done

# --- nmap's slow settings on the DROP target: its own completion estimate ---
# hms_s H:MM:SS -> seconds
hms_s() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }' <<<"$1"; }
fmt_hm() { awk -v s="$1" 'BEGIN { printf "%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60 }'; }
declare -A SLOW
for setting in default T4; do
  args=(); [ "$setting" = T4 ] && args=(-T4)
  echo "== nmap -sT -Pn -p- ${args[*]} on 10.42.1.10 for ${SLOW_SECS}s (--stats-every 10s)"
  as_nobody timeout "$SLOW_SECS" nmap -sT -Pn -n -p- "${args[@]}" --stats-every 10s 10.42.1.10 \
    >"$W/slow-$setting.out" 2>&1 || true
  # The last stats block with a progress line: "Stats: H:MM:SS elapsed; ..." then
  # "Connect Scan Timing: About P% done; ETC: HH:MM (H:MM:SS remaining)".
  done_s="$(sed -n 's/.*scanned in \([0-9.]*\) seconds.*/\1/p' "$W/slow-$setting.out")"
  if [ -n "$done_s" ]; then   # finished within the window: a measured time, no estimate
    echo "finished in $done_s s"; SLOW[$setting]="$done_s s (measured, finished)"; continue
  fi
  el="" pct="" rem=""
  read -r el pct rem < <(awk '
    /^Stats: / { el = $2 }
    /About [0-9.]+% done.*remaining\)/ {
      match($0, /About [0-9.]+%/); p = substr($0, RSTART + 6, RLENGTH - 7)
      match($0, /\([0-9:]+ remaining\)/); r = substr($0, RSTART + 1, RLENGTH - 12)
      if (el != "" && p + 0 > 0) { E = el; P = p; R = r }
    }
    END { if (E != "") print E, P, R }' "$W/slow-$setting.out") || true
  if [ -z "${el:-}" ]; then
    echo "no completion estimate from nmap ($setting)"; SLOW[$setting]="n/a"; status=1; continue
  fi
  line="About $pct% done, $rem remaining"
  el_s=$(hms_s "$el"); rem_s=$(hms_s "$rem")
  est=$(calc "$el_s + $rem_s"); lin=$(calc "$el_s * 100 / $pct")
  echo "$line after $el: nmap's estimate $(fmt_hm "$est") total; elapsed/fraction $(fmt_hm "$lin")"
  SLOW[$setting]="$(fmt_hm "$est") (nmap ETC; $pct% in $el), $(calc "int($est / ${T_KURA[10.42.1.10]} + 0.5)")x kura"
done

# --- table ---------------------------------------------------------------------
echo
echo "== $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, all 65,535 TCP ports, from corp 172.30.1.10;" \
  "router icmp_ratemask $ICMP_MASK"
printf '| %-18s | %9s | %12s | %12s | %-17s | %-21s |\n' Target "kura" "nmap fast" "nmap/kura" \
  "masscan" "kura = nmap, per port"
printf '| %-18s | %9s | %12s | %12s | %-17s | %-21s |\n' ------------------ --------- \
  ------------ ------------ ----------------- ---------------------
for t in "${TARGETS[@]}"; do
  printf '| %-18s | %7.2f s | %10.2f s | %11.1fx | %6.2f s          | %-21s |\n' \
    "$t ${KIND[$t]}" "${T_KURA[$t]}" "${T_NMAP[$t]}" "$(calc "${T_NMAP[$t]} / ${T_KURA[$t]}")" \
    "${T_MASS[$t]}" "${SAME[$t]}"
done
echo "masscan (SYN, root, one probe/port) saw:"
for t in "${TARGETS[@]}"; do echo "  $t ${KIND[$t]}: ${R_MASS[$t]}"; done
echo "nmap -sT -p- (default timing) on DROP: ${SLOW[default]}"
echo "nmap -sT -p- -T4 on DROP:              ${SLOW[T4]}"
echo "  (slow settings: nmap's own completion estimate after ${SLOW_SECS} s, elapsed + remaining)"

speedup=$(calc "${T_NMAP[10.42.1.10]} / ${T_KURA[10.42.1.10]}")
printf 'DROP target speed-up over nmap -sT -p- --min-rate 5000 --max-retries 1: %.1fx (target >= 3x)\n' \
  "$speedup"
if [ "$(calc "($speedup < 3) ? 1 : 0")" = 1 ]; then echo "BELOW the 3x target"; status=1; fi
for t in "${TARGETS[@]}"; do
  [ "${SAME[$t]}" = yes ] || echo "MISMATCH: kura and nmap classify $t (${KIND[$t]}) differently"
done
exit "$status"
