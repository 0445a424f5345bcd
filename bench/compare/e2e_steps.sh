# Steps 2 (end to end) and 4 (memory) of bench/compare.sh, which sources this file and
# provides: cli, python, root, here, work, repeat, e2e_agents, memory_agents, pool_keys,
# realm_pid (set here so compare.sh's cleanup can stop the realm), record and say.

# start_realm starts `dpopfleet realm serve` over HTTPS on a free loopback port with one
# pre-registered DPoP client and stores that client under $work/config.
start_realm() {
  local secret
  secret=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  "$cli" realm serve --bind 127.0.0.1 --port 0 --client "bench:$secret:dpop" \
    --ca-out "$work/realm-ca.pem" >"$work/realm.out" 2>"$work/realm.log" &
  realm_pid=$!
  for _ in $(seq 1 300); do
    grep -q '^outbox=' "$work/realm.out" 2>/dev/null && break
    kill -0 "$realm_pid" 2>/dev/null || { say "the realm exited; its log:"; cat "$work/realm.log" >&2; exit 1; }
    sleep 0.1
  done
  realm_issuer=$(sed -n 's/^issuer=//p' "$work/realm.out" | head -1)
  [[ -n "$realm_issuer" ]] || { say "the realm printed no issuer= line after 30 s; see $work/realm.log"; exit 1; }
  store_client "$work/config" bench "$secret" "$realm_issuer"
}

# store_client DIR ID SECRET ISSUER writes DIR/ID/client.json as CredentialStore does.
store_client() {
  mkdir -p -m 700 "$1/$2"
  (umask 077 && "$python" -c 'import json, sys; print(json.dumps({"client_id": sys.argv[1],
      "client_secret": sys.argv[2], "token_endpoint": sys.argv[3] + "/token", "issuer": sys.argv[3]}))' \
      "$2" "$3" "$4" >"$1/$2/client.json")
}

# cpu_ticks PID prints the user + system clock ticks a process has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# record_server_cpu NAME RUN PID TICKS_BEFORE TOKENS records the server's CPU ms per token,
# which stays comparable when the machine's load distorts tokens/s.
record_server_cpu() {
  local used=$(( $(cpu_ticks "$3") - $4 ))
  ((${5:-0} > 0)) && record e2e "$1.server_cpu_ms_per_token" "$2" \
    "$(awk -v t="$used" -v hz="$(getconf CLK_TCK)" -v n="$5" 'BEGIN { print t * 1000 / hz / n }')"
  return 0
}

# timed_mint NAME RUN AGENTS ISSUER CLIENT CA SERVER_PID: runs dpopfleet mint under
# /usr/bin/time -v and records tokens/s, client and server CPU ms per token and peak
# resident bytes per agent.
timed_mint() {
  local name=$1 run=$2 agents=$3 issuer=$4 client=$5 ca=$6 server_pid=$7
  local server_ticks
  server_ticks=$(cpu_ticks "$server_pid")
  bounded 900 /usr/bin/time -v -o "$work/time.txt" "$cli" mint --agents "$agents" --concurrency 256 \
    --config-dir "$work/config" --client-id "$client" --issuer "$issuer" --ca-file "$ca" \
    >/dev/null 2>"$work/mint.log"
  local succeeded
  succeeded=$(awk '/agents .*succeeded/ { print $3 }' "$work/mint.log" | head -1)
  if [[ "$succeeded" != "$agents" ]]; then
    say "mint $name: ${succeeded:-no} of $agents tokens; the end of its log:"
    tail -20 "$work/mint.log" >&2
  fi
  record_server_cpu "$name" "$run" "$server_pid" "$server_ticks" "${succeeded:-0}"
  record e2e "$name.tokens_per_second" "$run" "$(awk '/throughput/ { sub(/\/s/, "", $2); print $2; exit }' "$work/mint.log")"
  "$python" - "$work/time.txt" "${succeeded:-0}" "$agents" <<'EOF' | while read -r key value; do record e2e "$name.$key" "$run" "$value"; done
import re, sys
text = open(sys.argv[1]).read()
def number(label):
    match = re.search(r"\t" + re.escape(label) + r": ([0-9.:]+)", text)
    return float(match.group(1)) if match else 0.0
tokens, agents = int(sys.argv[2]), int(sys.argv[3])
cpu = number("User time (seconds)") + number("System time (seconds)")
if tokens:
    print("cpu_ms_per_token", cpu * 1000 / tokens)
print("peak_rss_bytes", number("Maximum resident set size (kbytes)") * 1024)
print("peak_rss_bytes_per_agent", number("Maximum resident set size (kbytes)") * 1024 / agents)
EOF
}

run_e2e_and_memory() {
  say "starting the reference realm and node-oidc-provider on 127.0.0.1"
  start_realm
  "$root/tests/interop/peer_start.sh" "$(command -v node)" "$work/peer" >"$work/peer_start.log" 2>&1 ||
    { say "node-oidc-provider did not start:"; cat "$work/peer_start.log" >&2; exit 1; }
  local peer_issuer peer_secret peer_pid peer_ticks
  peer_issuer=$(cat "$work/peer/https_issuer")
  peer_pid=$(cat "$work/peer/pid")
  peer_secret=$(node -e 'const r = require(process.argv[1]); process.stdout.write(r.clients["dpop-jwt"].client_secret)' \
    "$work/peer/ready.json")
  store_client "$work/config" dpop-jwt "$peer_secret" "$peer_issuer"

  # ---- 2. End to end ----
  for run in $(seq 1 "$repeat"); do
    say "end to end with $e2e_agents agents, run $run/$repeat"
    timed_mint mint_realm "$run" "$e2e_agents" "$realm_issuer" bench "$work/realm-ca.pem" "$realm_pid"
    timed_mint mint_peer "$run" "$e2e_agents" "$peer_issuer" dpop-jwt "$work/peer/ca.pem" "$peer_pid"
    peer_ticks=$(cpu_ticks "$peer_pid")
    bounded 600 node "$here/compare/node_mint.mjs" --token-url "$peer_issuer/token" --client-id dpop-jwt \
      --client-secret "$peer_secret" --ca-file "$work/peer/ca.pem" --agents "$e2e_agents" \
      --concurrency 64 >"$work/node_mint.json" 2>"$work/node_mint.log"
    [[ ! -s "$work/node_mint.log" ]] || say "node_mint.mjs: $(head -c 400 "$work/node_mint.log")"
    "$python" - "$work/node_mint.json" <<'EOF' | while read -r key value; do record e2e "node_peer.$key" "$run" "$value"; done
import json, sys
row = json.loads(open(sys.argv[1]).read() or "{}")
for key in ("tokens_per_second", "cpu_ms_per_token", "succeeded"):
    if row.get(key) is not None:
        print(key, row[key])
EOF
    record_server_cpu node_peer "$run" "$peer_pid" "$peer_ticks" \
      "$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("succeeded", 0))' "$work/node_mint.json" 2>/dev/null)"
  done
  "$root/tests/interop/peer_stop.sh" "$work/peer" >/dev/null 2>&1 || true

  # ---- 4. Memory: each fleet size once (resident sizes vary far less than rates) ----
  for agents in "${memory_agents[@]}"; do
    say "memory: mint with $agents agents against the realm"
    timed_mint "memory_$agents" 1 "$agents" "$realm_issuer" bench "$work/realm-ca.pem" "$realm_pid"
  done
  kill "$realm_pid" 2>/dev/null || true
  wait "$realm_pid" 2>/dev/null || true
  realm_pid=""

  say "memory: key pool of $pool_keys keys"
  bounded 900 /usr/bin/time -v -o "$work/time.txt" "$cli" bench pool --keys "$pool_keys" --threads 2 --sign >"$work/pool.txt"
  record memory pool_bytes_per_key_generated 1 "$(awk -F: '/bytes per key generated/ { print $2 + 0 }' "$work/pool.txt")"
  record memory pool_bytes_per_key_signed 1 "$(awk -F: '/bytes per key signed once/ { print $2 + 0 }' "$work/pool.txt")"
  record memory pool_peak_rss_bytes 1 "$(awk -F: '/Maximum resident set size/ { print $2 * 1024 }' "$work/time.txt")"
}
