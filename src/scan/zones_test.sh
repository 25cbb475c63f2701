#!/usr/bin/env bash
# Namespace test of the segmentation scan (issue 5), run by ctest as root in
# CI. Builds its own isolated zones (unique KURA_ZONES_PREFIX) and removes
# them on exit, also when a check fails. Exits 77 (skipped) without root,
# ip, nft or nmap.
#
#   zones_test.sh KURA_BINARY
#
# Checks:
#   1. per-port open/closed/filtered of `kura scan segments` equals nmap -sT
#      on the same targets and ports, in both directions (DROP, REJECT with
#      reset, REJECT with ICMP admin-prohibited, open listeners), and its UDP
#      probe classes equal nmap -sU's (echo service open, ICMP port
#      unreachable from the host closed / from the router filtered, drops
#      open|filtered);
#   2. the scan refuses to run outside its segment (host namespace);
#   3. merge of the corp and CDE scanner hosts gives PASS;
#   4. after `zones.sh hole add tcp 5432` merge FAILs naming that flow, and
#      PASSes again once the hole is closed;
#   5. merge rejects a result signed with an untrusted key and a result made
#      for another policy.
set -uo pipefail

KURA="${1:?usage: zones_test.sh KURA_BINARY}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ZONES="$ROOT/scripts/zones.sh"

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for tool in ip nft nmap; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[ -x "$KURA" ] || { echo "FAIL: $KURA not built"; exit 1; }

export KURA_BIN="$KURA"
export KURA_ZONES_PREFIX="kzt$$"
W="$(mktemp -d /tmp/kura-zones-test-XXXXXX)"
cleanup() {
  "$ZONES" down >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A container without CAP_SYS_ADMIN cannot create namespaces: skip, saying so.
if ! ip netns add "$KURA_ZONES_PREFIX-probe" 2>/dev/null; then
  skip "cannot create network namespaces here (missing CAP_SYS_ADMIN?)"
fi
ip netns del "$KURA_ZONES_PREFIX-probe"

failures=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}

"$ZONES" up >"$W/up.log" 2>&1 || { cat "$W/up.log"; echo "FAIL: zones up"; exit 1; }
# `up` twice is harmless.
check "zones up is idempotent" "$ZONES" up

P="$KURA_ZONES_PREFIX"
cat >"$W/policy.toml" <<'TOML'
[policy]
name = "zones test"

[segments.cde]
cidrs = ["10.42.0.0/16"]
hosts = ["10.42.1.10"]

[segments.corp]
cidrs = ["172.30.0.0/16"]
hosts = ["172.30.1.10"]

[[expect]]
from = "corp"
to = "cde"

[[expect]]
from = "cde"
to = "corp"
allow = ["tcp/443", "udp/53"]
TOML
PORTS="20-25,53,80,123,443,1433,3306,3389,5432,6379,8080,8443,9000"

"$KURA" keys signing-key --private "$W/corp.key" --public "$W/corp.pub" >/dev/null
"$KURA" keys signing-key --private "$W/cde.key" --public "$W/cde.pub" >/dev/null
"$KURA" keys signing-key --private "$W/rogue.key" --public "$W/rogue.pub" >/dev/null

# expand "1-3,7" -> "1 2 3 7"
expand() {
  local item out=""
  IFS=',' read -ra items <<<"$1"
  for item in "${items[@]}"; do
    [ -z "$item" ] && continue
    if [[ "$item" == *-* ]]; then out+=" $(seq -s ' ' "${item%-*}" "${item#*-}")"; else out+=" $item"; fi
  done
  echo "$out"
}

# classes_kura ZONE SEGMENT OUT: prints "port state" lines from the scan output
classes_kura() {
  local line open closed p
  ip netns exec "$P-$1" "$KURA" scan segments --policy "$W/policy.toml" --from "$2" \
    --key "$W/$2.key" --out "$3" --ports "$PORTS" >"$W/$2.out" || return 1
  line="$(grep ' -> ' "$W/$2.out")" || return 1
  open="$(sed -n 's/.*open \[\([^]]*\)\].*/\1/p' <<<"$line")"
  closed="$(sed -n 's/.*closed \[\([^]]*\)\].*/\1/p' <<<"$line")"
  for p in $(expand "$PORTS"); do
    if [[ " $(expand "$open") " == *" $p "* ]]; then echo "$p open"
    elif [[ " $(expand "$closed") " == *" $p "* ]]; then echo "$p closed"
    else echo "$p filtered"; fi
  done
}

UDP_PORTS="53,69,123,137,161,162,500,514,1812,1900,11211"

# udp_classes_kura SEGMENT: "port state" lines from the UDP line of a scan output
udp_classes_kura() {
  local line p cls list
  line="$(grep ' => ' "$W/$1.out" | grep ' udp: ')" || return 1
  for p in $(expand "$UDP_PORTS"); do
    for cls in "open|filtered" open closed filtered; do
      # In a basic regex '|' is literal.
      list="$(sed -n "s/.* $cls \[\([^]]*\)\].*/\1/p" <<<"$line")"
      if [[ " $(expand "$list") " == *" $p "* ]]; then echo "$p $cls"; break; fi
    done
  done
}

udp_classes_nmap() {
  ip netns exec "$P-$1" nmap -sU -Pn -n --max-retries 1 -p "$UDP_PORTS" "$2" -oG - |
    grep -o 'Ports: .*' | sed 's/^Ports: //; s/\tIgnored.*//' | tr ',' '\n' |
    sed -n 's#^ *\([0-9]*\)/\([a-z|]*\)/udp.*#\1 \2#p' | sort -n
}

udp_compare() {  # udp_compare ZONE SEGMENT TARGET (after compare wrote $W/SEGMENT.out)
  udp_classes_kura "$2" | sort -n >"$W/$2.udp.kura"
  udp_classes_nmap "$1" "$3" >"$W/$2.udp.nmap"
  [ -s "$W/$2.udp.kura" ] && diff -u "$W/$2.udp.nmap" "$W/$2.udp.kura"
}

# classes_nmap ZONE TARGET: the same lines from nmap -sT (no root needed by the method)
classes_nmap() {
  ip netns exec "$P-$1" nmap -sT -Pn -n --max-retries 1 -p "$PORTS" "$2" -oG - |
    grep -o 'Ports: .*' | sed 's/^Ports: //; s/\tIgnored.*//' | tr ',' '\n' |
    sed -n 's#^ *\([0-9]*\)/\([a-z|]*\)/tcp.*#\1 \2#p' | sort -n
}

compare() {  # compare ZONE SEGMENT TARGET
  classes_kura "$1" "$2" "$W/$2.json" | sort -n >"$W/$2.kura" || return 1
  classes_nmap "$1" "$3" >"$W/$2.nmap"
  [ -s "$W/$2.kura" ] && diff -u "$W/$2.nmap" "$W/$2.kura"
}

check "corp -> cde classification equals nmap's" compare corp corp 10.42.1.10
check "cde -> corp classification equals nmap's" compare cde cde 172.30.1.10
every_class() {  # the two directions together exercise every class
  cat "$W/corp.kura" "$W/cde.kura" >"$W/both.kura"
  grep -q ' open$' "$W/both.kura" && grep -q ' closed$' "$W/both.kura" &&
    grep -q ' filtered$' "$W/both.kura"
}
check "open, closed and filtered all occur" every_class
check "corp -> cde UDP probe classes equal nmap -sU's" udp_compare corp corp 10.42.1.10
check "cde -> corp UDP probe classes equal nmap -sU's" udp_compare cde cde 172.30.1.10
check "an open UDP service (corp udp/53 echo) is found" grep -qx '53 open' "$W/cde.udp.kura"
check "tcp/23 (ICMP admin-prohibited) is filtered" grep -qx '23 filtered' "$W/corp.kura"
check "tcp/22 (REJECT with reset) is closed" grep -qx '22 closed' "$W/corp.kura"

refused() {
  ! "$KURA" scan segments --policy "$W/policy.toml" --from corp --key "$W/corp.key" \
      --out "$W/x.json" --ports 443 2>"$W/refused.err" &&
    grep -q "no address in segment" "$W/refused.err"
}
check "scan from the host namespace is refused" refused

merge() {  # merge OUT_PREFIX RESULTS...
  local out="$1"; shift
  "$KURA" scan merge "$@" --policy "$W/policy.toml" --keys "$W/corp.pub" "$W/cde.pub" \
    --json "$W/$out.merged.json" --html "$W/$out.html" >"$W/$out.out" 2>&1
}
check "merge of two scanner hosts passes" merge pass "$W/corp.json" "$W/cde.json"
check "the HTML report says PASS" grep -q 'class="PASS">PASS' "$W/pass.html"

"$ZONES" hole add tcp 5432 >/dev/null
classes_kura corp corp "$W/corp-hole.json" >/dev/null
hole_fails() {
  ! merge hole "$W/corp-hole.json" "$W/cde.json" &&
    grep -q 'offending: 172.30.1.10 (corp) -> 10.42.1.10 (cde) tcp/5432 open' "$W/hole.out"
}
check "a hole in the router fails naming tcp/5432" hole_fails
"$ZONES" hole del tcp 5432 >/dev/null
classes_kura corp corp "$W/corp-restored.json" >/dev/null
check "restoring the rule passes again" merge restored "$W/corp-restored.json" "$W/cde.json"

ip netns exec "$P-corp" "$KURA" scan segments --policy "$W/policy.toml" --from corp \
  --key "$W/rogue.key" --out "$W/rogue.json" --ports 22 >/dev/null
rogue_rejected() { ! merge rogue "$W/rogue.json" "$W/cde.json" && grep -q untrusted "$W/rogue.out"; }
check "merge rejects a result signed by an untrusted key" rogue_rejected
sed 's/name = "zones test"/name = "other"/' "$W/policy.toml" >"$W/other.toml"
other_rejected() {
  ! "$KURA" scan merge "$W/corp.json" --policy "$W/other.toml" --keys "$W/corp.pub" \
      >/dev/null 2>"$W/other.err" && grep -q "different policy" "$W/other.err"
}
check "merge rejects a result made for another policy" other_rejected

"$ZONES" down >/dev/null
gone() { ! ip netns list | grep -q "^$P-"; }
check "zones down removes every namespace" gone

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all checks passed"
