#!/usr/bin/env bash
# The issuer's two network zones on one machine (issue 5), for the demo and
# the segmentation-scan tests.
#
#   zones.sh up        create (idempotently) the namespaces, links, routes,
#                      router firewall and the demo listeners
#   zones.sh down      remove everything `up` created (namespaces, listeners)
#   zones.sh status    show what exists
#   zones.sh hole add|del tcp|udp PORT
#                      open / close one corp -> cde hole in the router (demo)
#   zones.sh exec cde|corp|router CMD...
#                      run a command inside a zone
#   zones.sh demo      the segmentation-scan demo (issue 5, step 3): scan both
#                      ways, merge -> PASS; open corp -> cde tcp/5432, scan,
#                      merge -> FAIL naming that flow; restore the rule
#
# Layout (prefix P, default "kura"; KURA_ZONES_PREFIX overrides it so tests get
# their own isolated set):
#
#   P-corp  172.30.1.10/16 --veth-- P-router --veth-- 10.42.1.10/16  P-cde
#           (out of scope)          172.30.0.1          10.42.0.1     (CDE)
#                                   10.42.0.1
#
# Each zone's only route is its default route to the router; the router has
# no link to the host's own namespace, so nothing sent inside these
# namespaces can leave the machine. The 10.42/172.30 addresses exist only
# inside them.
#
# Router policy (nftables, table inet kura_zones, chain forward, policy drop):
#   corp -> cde : DROP, except tcp/22 and tcp/3389 answered with a TCP reset
#                 and tcp/23 with ICMP admin-prohibited (so both REJECT styles
#                 are exercised), udp/162 with ICMP port unreachable and
#                 udp/514 with admin-prohibited, and the ports in the tcp_holes / udp_holes
#                 sets (empty unless `hole add` put one there)
#   cde -> corp : only tcp/443 and udp/53, udp/123 (declared ports);
#                 tcp/80 rejected with a reset, everything else dropped
#   replies of allowed connections (ct state established,related) pass.
#
# Listeners: if the kura binary is found (KURA_BIN, else build/src/cli/kura),
# `up` starts `kura scan listen` in each zone: cde tcp 5432,8443 + udp 53;
# corp tcp 443,8080 + udp 53. Their pids are kept in /run/kura-zones/P/.
#
# Requires root, iproute2 and nft. Without root it prints how to fall back to
# loopback and exits 2.
set -euo pipefail

P="${KURA_ZONES_PREFIX:-kura}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
KURA_BIN="${KURA_BIN:-$ROOT/build/src/cli/kura}"
RUN_DIR="/run/kura-zones/$P"

NS_CDE="$P-cde"
NS_CORP="$P-corp"
NS_ROUTER="$P-router"

CDE_CIDR="10.42.0.0/16"
CDE_HOST="10.42.1.10"
CDE_GW="10.42.0.1"
CORP_CIDR="172.30.0.0/16"
CORP_HOST="172.30.1.10"
CORP_GW="172.30.0.1"

CDE_TCP_LISTEN="5432,8443"
CORP_TCP_LISTEN="443,8080"
UDP_LISTEN="53"

die() { echo "zones: $*" >&2; exit 1; }

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "zones: network namespaces need root. Without root, run the scan on loopback:" >&2
    echo "  a policy whose segments are 127.0.0.0/8 hosts (see docs/scan.md, 'Loopback')." >&2
    exit 2
  fi
  command -v ip >/dev/null || die "iproute2 (ip) is missing"
  command -v nft >/dev/null || die "nft is missing (apt-get install nftables)"
}

ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }

ensure_ns() {
  ns_exists "$1" || ip netns add "$1"
  ip -n "$1" link set lo up
}

# ensure_link ZONE_NS ROUTER_IF HOST_ADDR GW_ADDR
ensure_link() {
  local zone="$1" rif="$2" addr="$3" gw="$4"
  if ! ip -n "$NS_ROUTER" link show "$rif" >/dev/null 2>&1; then
    ip -n "$NS_ROUTER" link add "$rif" type veth peer name eth0 netns "$zone"
  fi
  ip -n "$NS_ROUTER" addr replace "$gw/16" dev "$rif"
  ip -n "$NS_ROUTER" link set "$rif" up
  ip -n "$zone" addr replace "$addr/16" dev eth0
  ip -n "$zone" link set eth0 up
  ip -n "$zone" route replace default via "$gw" dev eth0
}

write_rules() {
  # Replaced atomically as a whole; sets keep their own elements across `up`
  # only if the table already existed (flush below keeps the sets).
  if ip netns exec "$NS_ROUTER" nft list table inet kura_zones >/dev/null 2>&1; then
    ip netns exec "$NS_ROUTER" nft flush chain inet kura_zones forward
    ip netns exec "$NS_ROUTER" nft flush chain inet kura_zones input
  else
    ip netns exec "$NS_ROUTER" nft -f - <<'NFT'
table inet kura_zones {
  set tcp_holes { type inet_service; }
  set udp_holes { type inet_service; }
  chain forward { type filter hook forward priority 0; policy drop; }
  chain input { type filter hook input priority 0; policy drop; }
}
NFT
  fi
  ip netns exec "$NS_ROUTER" nft -f - <<'NFT'
table inet kura_zones {
  chain input {
    ct state established,related accept
    iifname "lo" accept
    icmp type echo-request accept
  }
  chain forward {
    ct state established,related accept
    # out of scope -> CDE: denied
    iifname "r-corp" oifname "r-cde" tcp dport @tcp_holes accept
    iifname "r-corp" oifname "r-cde" udp dport @udp_holes accept
    iifname "r-corp" oifname "r-cde" tcp dport { 22, 3389 } reject with tcp reset
    iifname "r-corp" oifname "r-cde" tcp dport 23 reject with icmpx type admin-prohibited
    iifname "r-corp" oifname "r-cde" udp dport 162 reject
    iifname "r-corp" oifname "r-cde" udp dport 514 reject with icmpx type admin-prohibited
    iifname "r-corp" oifname "r-cde" drop
    # CDE -> out of scope: declared ports only
    iifname "r-cde" oifname "r-corp" tcp dport 443 accept
    iifname "r-cde" oifname "r-corp" udp dport { 53, 123 } accept
    iifname "r-cde" oifname "r-corp" tcp dport 80 reject with tcp reset
    iifname "r-cde" oifname "r-corp" drop
  }
}
NFT
}

pidfile() { echo "$RUN_DIR/listen-$1.pid"; }

start_listener() {
  local zone_ns="$1" name="$2" tcp="$3"
  local pf; pf="$(pidfile "$name")"
  if [ -f "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null; then return; fi
  ip netns exec "$zone_ns" "$KURA_BIN" scan listen --tcp "$tcp" --udp "$UDP_LISTEN" \
    >"$RUN_DIR/listen-$name.log" 2>&1 &
  echo $! >"$pf"
}

cmd_up() {
  need_root
  mkdir -p "$RUN_DIR"
  ensure_ns "$NS_ROUTER"
  ensure_ns "$NS_CDE"
  ensure_ns "$NS_CORP"
  ip netns exec "$NS_ROUTER" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
  ensure_link "$NS_CDE" r-cde "$CDE_HOST" "$CDE_GW"
  ensure_link "$NS_CORP" r-corp "$CORP_HOST" "$CORP_GW"
  write_rules
  if [ -x "$KURA_BIN" ]; then
    start_listener "$NS_CDE" cde "$CDE_TCP_LISTEN"
    start_listener "$NS_CORP" corp "$CORP_TCP_LISTEN"
    # Wait (bounded) until the listeners are bound so a scan right after
    # `up` sees them.
    for _ in $(seq 1 50); do
      if ip netns exec "$NS_CDE" ss -ltnH 2>/dev/null | grep -q ':5432 ' &&
         ip netns exec "$NS_CORP" ss -ltnH 2>/dev/null | grep -q ':443 '; then break; fi
      sleep 0.1
    done
  else
    echo "zones: $KURA_BIN not built; no listeners started (set KURA_BIN)" >&2
  fi
  echo "zones $P up: cde $CDE_HOST ($NS_CDE), corp $CORP_HOST ($NS_CORP), router $NS_ROUTER"
}

cmd_down() {
  need_root
  local name pf
  for name in cde corp; do
    pf="$(pidfile "$name")"
    if [ -f "$pf" ]; then
      kill "$(cat "$pf")" 2>/dev/null || true
      rm -f "$pf"
    fi
  done
  # Anything else still running inside our namespaces (e.g. a demo vault).
  for ns in "$NS_CDE" "$NS_CORP" "$NS_ROUTER"; do
    if ns_exists "$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
      ip netns del "$ns"
    fi
  done
  rm -rf "$RUN_DIR"
  echo "zones $P down"
}

cmd_status() {
  local any=0
  for ns in "$NS_ROUTER" "$NS_CDE" "$NS_CORP"; do
    if ns_exists "$ns"; then
      any=1
      echo "namespace $ns:"
      ip -n "$ns" -br addr 2>/dev/null | sed 's/^/  /'
      ip -n "$ns" route 2>/dev/null | sed 's/^/  route: /'
    else
      echo "namespace $ns: absent"
    fi
  done
  if ns_exists "$NS_ROUTER"; then
    echo "router rules:"
    ip netns exec "$NS_ROUTER" nft list table inet kura_zones 2>/dev/null | sed 's/^/  /' || true
  fi
  for name in cde corp; do
    local pf; pf="$(pidfile "$name")"
    if [ -f "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null; then
      echo "listener $name: pid $(cat "$pf")"
    fi
  done
  [ "$any" = 1 ] || echo "zones $P: nothing exists"
}

cmd_hole() {
  need_root
  local op="${1:-}" proto="${2:-}" port="${3:-}"
  case "$proto" in tcp|udp) ;; *) die "usage: zones.sh hole add|del tcp|udp PORT" ;; esac
  [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] ||
    die "port must be 1..65535"
  ns_exists "$NS_ROUTER" || die "zones $P are not up"
  case "$op" in
    add) ip netns exec "$NS_ROUTER" nft add element inet kura_zones "${proto}_holes" "{ $port }"
         echo "hole opened: corp -> cde $proto/$port" ;;
    del) ip netns exec "$NS_ROUTER" nft delete element inet kura_zones "${proto}_holes" \
           "{ $port }" 2>/dev/null || true
         echo "hole closed: corp -> cde $proto/$port" ;;
    *) die "usage: zones.sh hole add|del tcp|udp PORT" ;;
  esac
}

cmd_exec() {
  need_root
  local zone="${1:-}"; shift || true
  case "$zone" in
    cde) ip netns exec "$NS_CDE" "$@" ;;
    corp) ip netns exec "$NS_CORP" "$@" ;;
    router) ip netns exec "$NS_ROUTER" "$@" ;;
    *) die "usage: zones.sh exec cde|corp|router CMD..." ;;
  esac
}

# Without root there are no namespaces: show the scanner end to end on
# loopback instead. Loopback has no firewall, so the "CDE" listener is
# reachable and the verdict is FAIL: that is the honest result.
DEMO_DIR=""
DEMO_LISTENER=""
DEMO_HOLE=0
demo_cleanup() {
  [ -n "$DEMO_LISTENER" ] && kill "$DEMO_LISTENER" 2>/dev/null
  [ "$DEMO_HOLE" = 1 ] && cmd_hole del tcp 5432 >/dev/null 2>&1
  [ -n "$DEMO_DIR" ] && rm -rf "$DEMO_DIR"
  return 0
}

demo_loopback() {
  echo "zones: not root, so no namespaces; falling back to a loopback demo" >&2
  DEMO_DIR="$(mktemp -d /tmp/kura-scan-demo-XXXXXX)"
  trap demo_cleanup EXIT
  local d="$DEMO_DIR"
  cat >"$d/policy.toml" <<'TOML'
[policy]
name = "loopback demo (no firewall: expect FAIL)"

[segments.corp]
cidrs = ["127.0.0.0/16"]
hosts = ["127.0.0.1"]

[segments.cde]
cidrs = ["127.1.0.0/16"]
hosts = ["127.1.0.1"]

[[expect]]
from = "corp"
to = "cde"
TOML
  "$KURA_BIN" keys signing-key --private "$d/corp.key" --public "$d/corp.pub" >/dev/null
  "$KURA_BIN" scan listen --bind 127.1.0.1 --tcp 15432 >"$d/listen.log" 2>&1 &
  DEMO_LISTENER=$!
  sleep 0.3
  "$KURA_BIN" scan segments --policy "$d/policy.toml" --from corp --key "$d/corp.key" \
    --out "$d/corp.json" --ports 15000-16000 --no-udp
  if "$KURA_BIN" scan merge "$d/corp.json" --policy "$d/policy.toml" --keys "$d/corp.pub"; then
    echo "zones: expected FAIL on loopback" >&2
    return 1
  fi
  echo "loopback demo done: the scan found the listener, as it must without a firewall"
}

cmd_demo() {
  [ -x "$KURA_BIN" ] || die "$KURA_BIN not built (set KURA_BIN)"
  if [ "$(id -u)" != 0 ]; then demo_loopback; return; fi
  need_root
  DEMO_DIR="$(mktemp -d /tmp/kura-scan-demo-XXXXXX)"
  local d="$DEMO_DIR"
  local rc=0
  # Always close the hole and tidy up, whatever fails.
  trap demo_cleanup EXIT
  cmd_up
  cat >"$d/policy.toml" <<TOML
[policy]
name = "issuer segmentation (zones demo)"

[segments.cde]
cidrs = ["$CDE_CIDR"]
hosts = ["$CDE_HOST"]

[segments.corp]
cidrs = ["$CORP_CIDR"]
hosts = ["$CORP_HOST"]

[[expect]]
from = "corp"
to = "cde"

[[expect]]
from = "cde"
to = "corp"
allow = ["tcp/443", "udp/53", "udp/123"]
TOML
  "$KURA_BIN" keys signing-key --private "$d/corp.key" --public "$d/corp.pub" >/dev/null
  "$KURA_BIN" keys signing-key --private "$d/cde.key" --public "$d/cde.pub" >/dev/null
  echo "== scan from the out-of-scope zone towards the CDE, and back (all 65,535 TCP ports)"
  ip netns exec "$NS_CORP" "$KURA_BIN" scan segments --policy "$d/policy.toml" --from corp \
    --key "$d/corp.key" --out "$d/corp.json"
  ip netns exec "$NS_CDE" "$KURA_BIN" scan segments --policy "$d/policy.toml" --from cde \
    --key "$d/cde.key" --out "$d/cde.json"
  echo "== merge: expect PASS"
  "$KURA_BIN" scan merge "$d/corp.json" "$d/cde.json" --policy "$d/policy.toml" \
    --keys "$d/corp.pub" "$d/cde.pub" --html "$d/pass.html" || rc=1
  echo "== open a hole: corp -> cde tcp/5432, scan again: expect FAIL naming that flow"
  DEMO_HOLE=1
  cmd_hole add tcp 5432
  ip netns exec "$NS_CORP" "$KURA_BIN" scan segments --policy "$d/policy.toml" --from corp \
    --key "$d/corp.key" --out "$d/corp-hole.json"
  if "$KURA_BIN" scan merge "$d/corp-hole.json" "$d/cde.json" --policy "$d/policy.toml" \
       --keys "$d/corp.pub" "$d/cde.pub" --html "$d/fail.html"; then
    echo "zones: expected FAIL with the hole open" >&2; rc=1
  fi
  cmd_hole del tcp 5432
  if [ -n "${KURA_SCAN_DEMO_OUT:-}" ]; then
    mkdir -p "$KURA_SCAN_DEMO_OUT" && cp "$d"/*.json "$d"/*.html "$KURA_SCAN_DEMO_OUT"/
    echo "reports copied to $KURA_SCAN_DEMO_OUT"
  fi
  return "$rc"
}

case "${1:-}" in
  up) cmd_up ;;
  demo) cmd_demo ;;
  down) cmd_down ;;
  status) cmd_status ;;
  hole) shift; cmd_hole "$@" ;;
  exec) shift; cmd_exec "$@" ;;
  *) echo "usage: zones.sh up|down|status|demo|hole add|del tcp|udp PORT|exec ZONE CMD..." >&2
     exit 2 ;;
esac
