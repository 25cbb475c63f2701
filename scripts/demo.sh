#!/usr/bin/env bash
# The README's main command: installs dependencies, builds Kura and runs the
# end-to-end demo of the card data vault on loopback. Everything it starts is
# stopped and its working directory (which never holds a plaintext PAN) is
# removed at the end; set KURA_DEMO_KEEP=1 to keep it for inspection.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

if [ "${KURA_DEMO_SKIP_BUILD:-0}" != 1 ]; then
  "$root/scripts/install-deps.sh"
  KURA_BUILD_DIR="${KURA_BUILD_DIR:-$root/build}" "$root/scripts/build.sh" RelWithDebInfo
fi
KURA="${KURA_BUILD_DIR:-$root/build}/src/cli/kura"
[ -x "$KURA" ] || { echo "demo: $KURA not built" >&2; exit 1; }

D="$(mktemp -d /tmp/kura-demo-XXXXXX)"
VAULT_PID=""
RUNNER_PID=""
LOGS_PID=""
ZONES=0
cleanup() {
  if [ -n "$RUNNER_PID" ] && kill -0 "$RUNNER_PID" 2>/dev/null; then
    kill -TERM "$RUNNER_PID"; wait "$RUNNER_PID" 2>/dev/null || true
  fi
  if [ -n "$VAULT_PID" ] && kill -0 "$VAULT_PID" 2>/dev/null; then
    kill -TERM "$VAULT_PID"; wait "$VAULT_PID" 2>/dev/null || true
  fi
  if [ -n "$LOGS_PID" ] && kill -0 "$LOGS_PID" 2>/dev/null; then
    kill -TERM "$LOGS_PID"; wait "$LOGS_PID" 2>/dev/null || true
  fi
  if [ "$ZONES" = 1 ]; then KURA_BIN="$KURA" "$root/scripts/zones.sh" down >/dev/null 2>&1 || true; fi
  if [ "${KURA_DEMO_KEEP:-0}" = 1 ]; then echo "demo: kept $D"; else rm -rf "$D"; fi
}
trap cleanup EXIT

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }

# --- zones ---------------------------------------------------------------------
# As root, the vault runs inside the CDE network namespace and the out-of-scope
# tooling (grant minting) inside the corp namespace, with the router's firewall
# between them (scripts/zones.sh). Otherwise everything runs on loopback.
bold "Zones: CDE 10.42.0.0/16 and out of scope 172.30.0.0/16, joined by a firewalled router"
if [ "$(id -u)" = 0 ] && KURA_BIN="$KURA" "$root/scripts/zones.sh" up; then
  ZONES=1
  VAULT_ADDR=10.42.1.10; VAULT_PORT=9443
  IN_CDE=(ip netns exec kura-cde)
  IN_CORP=(ip netns exec kura-corp)
else
  echo "not root or no network namespaces here: running every zone on loopback instead"
  VAULT_ADDR=127.0.0.1; VAULT_PORT=0
  IN_CDE=()
  IN_CORP=()
fi
# Simple commands, not functions: a backgrounded function would run in a
# subshell, and signalling that subshell would orphan the vault.
in_cde() { "${IN_CDE[@]}" "$@"; }
in_corp() { "${IN_CORP[@]}" "$@"; }

# --- configuration -----------------------------------------------------------
bold "0. A vault installation: TLS certificate, grant-issuer key, config"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=kura-demo-vault" -addext "subjectAltName=IP:$VAULT_ADDR,IP:127.0.0.1,DNS:localhost" \
  -keyout "$D/server.key" -out "$D/server.pem" 2>/dev/null
chmod 600 "$D/server.key"
run "$KURA" keys signing-key --private "$D/app-backend.key" --public "$D/app-backend.pub"
cat > "$D/vault.toml" <<TOML
[vault]
listen = "$VAULT_ADDR"
port = $VAULT_PORT
data_dir = "$D/data"
node_id = "vault-demo"

[vault.tls]
cert = "$D/server.pem"
key = "$D/server.key"

[retention]
purge_grace = "30d"

[grants]
audience = "kura-vault"

[[grants.issuers]]
name = "app-backend"
public_key = "$D/app-backend.pub"
TOML
echo "wrote $D/vault.toml"

bold "1. Key ceremony: a master key split among 3 custodians, any 2 unlock the vault"
run "$KURA" keys init --config "$D/vault.toml" --custodians 3 --threshold 2 --out "$D/custodians"
C1="$D/custodians/custodian-1.key"; C2="$D/custodians/custodian-2.key"; C3="$D/custodians/custodian-3.key"

bold "2. API keys (shown once, stored as salted hashes)"
APP_KEY=$("$KURA" vault apikey create --config "$D/vault.toml" --name app-backend --scopes cards:write,cards:read 2>/dev/null)
BATCH_KEY=$("$KURA" vault apikey create --config "$D/vault.toml" --name batch-job --scopes cards:read,cards:reveal 2>/dev/null)
OPS_KEY=$("$KURA" vault apikey create --config "$D/vault.toml" --name ops --scopes cards:delete 2>/dev/null)
run "$KURA" vault apikey list --config "$D/vault.toml"

start_vault() {
  : > "$D/vault.log"
  "${IN_CDE[@]}" "$KURA" vault serve --config "$D/vault.toml" "$@" 2>>"$D/vault.log" &
  VAULT_PID=$!
  for _ in $(seq 100); do
    if grep -q "listening on" "$D/vault.log"; then break; fi
    if ! kill -0 "$VAULT_PID" 2>/dev/null; then cat "$D/vault.log"; return 1; fi
    sleep 0.1
  done
  PORT=$(sed -n 's/.*listening on https:\/\/[0-9.]*:\([0-9]*\).*/\1/p' "$D/vault.log" | tail -1)
  URL="https://$VAULT_ADDR:$PORT"
  echo "vault pid $VAULT_PID on $URL"
}
stop_vault() {
  kill -TERM "$VAULT_PID"; wait "$VAULT_PID" || true; VAULT_PID=""
  echo "vault stopped gracefully"
}
api() {  # api KEY METHOD PATH [BODY]
  local key="$1" method="$2" path="$3" body="${4:-}"
  local args=(-sS --cacert "$D/server.pem" -X "$method" -w '  [HTTP %{http_code}]\n')
  [ -n "$key" ] && args+=(-H "Authorization: Bearer $key")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
  in_cde curl "${args[@]}" "$URL$path"
}
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
store() {  # store VAR BODY: stores a card, prints the response, sets VAR to the token
  local out; out=$(api "$APP_KEY" POST /v1/cards "$2"); echo "$out"
  printf -v "$1" '%s' "$(echo "$out" | field token)"
}

bold "3. The vault refuses to start with only one component"
if "$KURA" vault serve --config "$D/vault.toml" --component "$C1"; then
  echo "demo: vault started with one component!" >&2; exit 1
fi

bold "4. Start with custodians 1 and 3"
start_vault --component "$C1" --component "$C3"

if [ "$ZONES" = 1 ]; then
  bold "4b. The one rule: the out-of-scope zone cannot open a connection into the CDE"
  if in_corp curl -sS --max-time 3 --cacert "$D/server.pem" "$URL/healthz" 2>&1; then
    echo "demo: corp reached the vault!" >&2; exit 1
  fi
  echo "corp -> $URL: no connection (the router drops it), as it must be"
  echo "(the API calls below are made from inside the CDE zone)"
fi

bold "5. Tokenize test cards (random and format-preserving tokens, one duplicate)"
store T1 '{"pan":"4111111111111111","exp_month":12,"exp_year":2030,"name":"Ada Lovelace","dedup":true}' 
store T2 '{"pan":"5555555555554444","exp_month":6,"exp_year":2029,"token_format":"fpt"}' 
store T3 '{"pan":"378282246310005","exp_month":1,"exp_year":2031}' 
store T4 '{"pan":"6011111111111117","exp_month":3,"exp_year":2028}' 
echo "-- the same Visa again with dedup: the existing token comes back, duplicate=true"
api "$APP_KEY" POST /v1/cards '{"pan":"4111111111111111","exp_month":12,"exp_year":2030,"dedup":true}'

bold "6. Masked reads (at most first 6 / last 4)"
api "$APP_KEY" GET "/v1/cards/$T1"
api "$APP_KEY" GET "/v1/cards/$T2"

bold "7. Refusals: bad card, no credentials, missing scope"
api "$APP_KEY" POST /v1/cards '{"pan":"4111111111111112","exp_month":12,"exp_year":2030}'
api "" GET "/v1/cards/$T1"
api "$APP_KEY" POST "/v1/cards/$T1/reveal"

bold "8. End-user reveal: the out-of-scope backend signs a 60-second grant"
echo "-- minted in the out-of-scope zone, which holds the signing key but never the PAN:"
GRANT=$(in_corp "$KURA" vault grant --key "$D/app-backend.key" --token "$T1" --issuer app-backend)
echo "grant: ${GRANT:0:40}..."
api "" POST /v1/reveal "{\"token\":\"$T1\",\"grant\":\"$GRANT\"}"
echo "-- the same grant a second time is refused:"
api "" POST /v1/reveal "{\"token\":\"$T1\",\"grant\":\"$GRANT\"}"

bold "9. Rotate the data key (custodians 2 and 3), restart, old cards still readable"
stop_vault
run "$KURA" keys rotate --config "$D/vault.toml" --component "$C2" --component "$C3"
start_vault --component "$C2" --component "$C3"
store T5 '{"pan":"2223003122003222","exp_month":9,"exp_year":2032}' 
echo "-- a batch job reveals a card sealed under the old key version:"
api "$BATCH_KEY" POST "/v1/cards/$T3/reveal"

bold "10. Retention purge: a card that expired in 2024 (its expiry back-dated for the demo)"
sqlite3 "$D/data/vault.db" "UPDATE cards SET exp_year = 2024, exp_month = 1 WHERE token = '$T4';"
run "$KURA" vault purge --config "$D/vault.toml"
api "$APP_KEY" GET "/v1/cards/$T4"
api "$OPS_KEY" DELETE "/v1/cards/$T5"

stop_vault

bold "11. The audit trail this demo produced (PCI DSS 10.2)"
awk '{ print }' "$D/data/audit.jsonl" | cut -c1-220

bold "11b. Audit log platform: the vault's events land in a tamper-evident store"
"$KURA" logs init --data-dir "$D/logs" >/dev/null
cat > "$D/logs.toml" <<TOML
[logs]
node_id = "logs-demo"
data_dir = "$D/logs"

[seal]
max_age = "1s"                       # seal at once for the demo (default 5m)

[audit]
file = "logs-audit.log"

[[tail]]                             # follow the vault's audit file
name = "vault"
path = "$D/data/audit.jsonl"
TOML
: > "$D/logs.out"
"$KURA" logs serve --config "$D/logs.toml" >"$D/logs.out" 2>&1 &
LOGS_PID=$!
VAULT_EVENTS=$(wc -l < "$D/data/audit.jsonl")
echo "logs node pid $LOGS_PID tails $D/data/audit.jsonl ($VAULT_EVENTS events) and seals after 1 s"
sealed=0
for _ in $(seq 150); do
  if ! kill -0 "$LOGS_PID" 2>/dev/null; then cat "$D/logs.out"; exit 1; fi
  # Polled while the node seals: a seal caught half-way is retried here; the
  # verify after the node stops (below) is the one that must pass.
  n=$({ "$KURA" logs verify --data-dir "$D/logs" 2>/dev/null || true; } |
      sed -n 's/^verified \([0-9]*\) records.*/\1/p')
  if [ "${n:-0}" -ge "$VAULT_EVENTS" ]; then
    sealed=1; break
  fi
  sleep 0.2
done
kill -TERM "$LOGS_PID"; wait "$LOGS_PID" || true
[ "$sealed" = 1 ] || { echo "demo: the vault's events were not sealed" >&2; cat "$D/logs.out"; exit 1; }
echo "-- who revealed which card (search over the sealed archive, newest first):"
run "$KURA" logs search --data-dir "$D/logs" 'event=card.reveal OR event=grant.reveal'
echo "-- refused requests, counted per event type:"
run "$KURA" logs search --data-dir "$D/logs" 'outcome=failure' --count --group-by event
echo "-- the whole chain: every digest signature, segment hash and chain link:"
run "$KURA" logs verify --data-dir "$D/logs"
SEG=$(find "$D/logs/archive/data" -name '*.jsonl.zst' | sort | head -1)
echo "-- an insider flips one byte in the middle of $(basename "$SEG"):"
size=$(stat -c %s "$SEG"); off=$((size / 2))
byte=$(od -An -tu1 -j "$off" -N1 "$SEG" | tr -d ' ')
printf "$(printf '\\%03o' $(( byte ^ 1 )))" | dd of="$SEG" bs=1 seek="$off" count=1 conv=notrunc 2>/dev/null
set +e
"$KURA" logs verify --data-dir "$D/logs"; rc=$?
set -e
echo "  [exit $rc]"
[ "$rc" = 3 ] || { echo "demo: verify did not report the modified segment" >&2; exit 1; }

bold "12. Zone bridge: the out-of-scope scheduler runs a CDE batch job through the drop zone"
mkdir -p "$D/dropzone" "$D/cde-inbox" "$D/bridge"
"$KURA" keys signing-key --private "$D/airflow.key" --public "$D/airflow.pub" >/dev/null
"$KURA" keys signing-key --private "$D/mallory.key" --public "$D/mallory.pub" >/dev/null
"$KURA" keys signing-key --private "$D/bridge/runner.key" --public "$D/runner.pub" >/dev/null
cat > "$D/cde-inbox/cards.csv" <<'CSV'
customer,pan,exp
c-001,4111111111111111,12/30
c-002,5555555555554444,06/29
c-003,4111111111111112,01/31
c-004,378282246310005,01/31
CSV
echo "a CSV of test cards sits in the CDE inbox ($D/cde-inbox/cards.csv)"
cat > "$D/client.toml" <<TOML
[client]
drop_zone = "$D/dropzone"
submitter = "airflow"
private_key_file = "$D/airflow.key"
cde_public_key_file = "$D/runner.pub"
request_ttl = "10m"
TOML
sed -e 's/airflow.key/mallory.key/' "$D/client.toml" > "$D/forged-client.toml"
cat > "$D/bridge.toml" <<TOML
[bridge]
drop_zone = "$D/dropzone"
data_dir = "$D/bridge"
runner_id = "cde-runner-1"
signing_key_file = "runner.key"
vault_config = "$D/vault.toml"
tokenize_input_dir = "$D/cde-inbox"

[[submitters]]
id = "airflow"
public_key_file = "$D/airflow.pub"

[[jobs]]
name = "tokenize-file"
kind = "builtin"
builtin = "tokenize-file"
idempotent = true
timeout = "10m"
  [[jobs.params]]
  name = "input"
  pattern = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}[.]csv"
  [[jobs.params]]
  name = "pan_column"
  pattern = "[a-z_]{1,32}"
  [[jobs.params]]
  name = "exp_column"
  pattern = "[a-z_]{1,32}"
TOML
: > "$D/runner.log"
"${IN_CDE[@]}" "$KURA" bridge run -c "$D/bridge.toml" --component "$C1" --component "$C2" 2>>"$D/runner.log" &
RUNNER_PID=$!
echo "CDE runner started (pid $RUNNER_PID); it only reads the drop zone, nothing connects to it"
echo "-- from the out-of-scope zone: submit tokenize-file and wait for the signed result"
set +e
in_corp "$KURA" bridge submit -c "$D/client.toml" tokenize-file --param input=cards.csv \
  --param pan_column=pan --param exp_column=exp --wait --timeout 60s > "$D/result.json"
rc=$?
set -e
cat "$D/result.json"; echo "  [exit $rc]"
[ "$rc" = 0 ] || { cat "$D/runner.log"; exit 1; }
ART=$(find "$D/dropzone/artifacts" -name '*.csv' | head -1)
echo "-- the tokenized artifact the out-of-scope side may fetch ($ART):"
cat "$ART"
echo "-- a request signed with a key the CDE does not trust is rejected:"
set +e
in_corp "$KURA" bridge submit -c "$D/forged-client.toml" tokenize-file --param input=cards.csv \
  --param pan_column=pan --param exp_column=exp --wait --timeout 30s; echo "  [exit $?]"
echo "-- an unknown job is rejected:"
in_corp "$KURA" bridge submit -c "$D/client.toml" drop-all-tables --wait --timeout 30s; echo "  [exit $?]"
set -e
kill -TERM "$RUNNER_PID"; wait "$RUNNER_PID" || true
rm -f "$D/cde-inbox/cards.csv"
echo "runner stopped; the input CSV was removed from the CDE inbox"

bold "13. No plaintext PAN anywhere on disk"
found=0
for pan in 4111111111111111 5555555555554444 378282246310005 6011111111111117 2223003122003222 4111111111111112; do
  if grep -rqa "$pan" "$D"; then echo "FOUND $pan on disk"; found=1; fi
done
[ "$found" = 0 ] && echo "checked every file under $D: none of the 6 card numbers appears in clear"
[ "$found" = 0 ]

bold "14. Segmentation scan (PCI DSS 11.4.5): scan both ways, merge; punch a hole; scan again"
KURA_BIN="$KURA" "$root/scripts/zones.sh" demo
echo
echo "demo complete"
