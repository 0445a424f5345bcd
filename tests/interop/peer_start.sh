#!/usr/bin/env bash
# Starts one node-oidc-provider peer (peer.mjs) for the interop tests and waits until its
# discovery document answers over HTTP and HTTPS. CTest runs it as a FIXTURES_SETUP test.
#
#   peer_start.sh NODE STATE_DIR [peer.mjs options...]
#
# STATE_DIR receives, for the tests and for peer_stop.sh:
#   ca.pem        the test CA that signed the HTTPS listener's certificate (made here, fresh)
#   ready.json    the peer's one-line JSON: issuers, ports, client ids and secrets (mode 0600)
#   http_issuer, https_issuer   the two issuer URLs, one line each
#   pid           the peer's process id
#   peer.log      the peer's stderr
set -euo pipefail

if (($# < 2)); then
  echo "usage: peer_start.sh NODE STATE_DIR [peer.mjs options...]" >&2
  exit 2
fi
node=$1
state_dir=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
start_timeout_seconds=30

if [[ -z "$node" || "$node" == *NOTFOUND ]] || ! command -v "$node" >/dev/null; then
  echo "peer_start: node was not found (got '$node'). Run tools/setup.sh to install Node.js and npm, then reconfigure with cmake." >&2
  exit 1
fi
if [[ ! -f "$here/node_modules/oidc-provider/package.json" ]]; then
  echo "peer_start: $here/node_modules/oidc-provider is missing. Run tools/setup.sh, which runs npm ci in tests/interop." >&2
  exit 1
fi
if ! command -v openssl >/dev/null; then
  echo "peer_start: the openssl command was not found. Run tools/setup.sh to install it." >&2
  exit 1
fi

mkdir -p "$state_dir"
state_dir=$(cd "$state_dir" && pwd)

# A peer left over from an interrupted run is stopped first, by its recorded pid.
"$here/peer_stop.sh" "$state_dir"
rm -f "$state_dir"/{ready.json,http_issuer,https_issuer,pid,peer.log}

# A fresh CA and a server certificate for 127.0.0.1, both P-256 and valid for two days.
tls_dir="$state_dir/tls"
rm -rf "$tls_dir"
mkdir -m 700 "$tls_dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=dpopfleet interop test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$tls_dir/ca.key" -out "$state_dir/ca.pem" 2>"$tls_dir/openssl.log"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$tls_dir/server.key" -out "$tls_dir/server.csr" 2>>"$tls_dir/openssl.log"
printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "extendedKeyUsage=serverAuth" \
  "basicConstraints=critical,CA:FALSE" >"$tls_dir/server.ext"
openssl x509 -req -days 2 -in "$tls_dir/server.csr" -CA "$state_dir/ca.pem" -CAkey "$tls_dir/ca.key" \
  -CAserial "$tls_dir/ca.srl" -CAcreateserial -extfile "$tls_dir/server.ext" -out "$tls_dir/server.pem" 2>>"$tls_dir/openssl.log"

# The peer's stdin, stdout and stderr must not be CTest's, or CTest waits for it to exit.
umask 077
setsid "$node" "$here/peer.mjs" --tls-cert "$tls_dir/server.pem" --tls-key "$tls_dir/server.key" "$@" \
  </dev/null >"$state_dir/ready.json" 2>"$state_dir/peer.log" &
pid=$!
echo "$pid" >"$state_dir/pid"

# The peer writes its ready line only after both listeners are bound.
deadline=$((SECONDS + start_timeout_seconds))
until [[ -s "$state_dir/ready.json" && "$(tail -c 1 "$state_dir/ready.json")" == "" ]]; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "peer_start: the peer (pid $pid) exited before it was ready. Its log, $state_dir/peer.log:" >&2
    cat "$state_dir/peer.log" >&2
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "peer_start: the peer (pid $pid) was not ready after ${start_timeout_seconds} s; see $state_dir/peer.log" >&2
    "$here/peer_stop.sh" "$state_dir"
    exit 1
  fi
  sleep 0.1
done

field() {
  "$node" -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
              process.stdout.write(String(process.argv[2].split(".").reduce((o, k) => o?.[k], r) ?? ""));' \
    "$state_dir/ready.json" "$1"
}
http_issuer=$(field http.issuer)
https_issuer=$(field https.issuer)
echo "$http_issuer" >"$state_dir/http_issuer"
echo "$https_issuer" >"$state_dir/https_issuer"

# Discovery must answer on both listeners, the HTTPS one with a certificate the test CA signed.
for issuer in "$http_issuer" "$https_issuer"; do
  if ! curl --silent --show-error --fail --max-time 10 --cacert "$state_dir/ca.pem" \
      --output /dev/null "$issuer/.well-known/openid-configuration"; then
    echo "peer_start: discovery at $issuer/.well-known/openid-configuration failed; see $state_dir/peer.log" >&2
    "$here/peer_stop.sh" "$state_dir"
    exit 1
  fi
done
echo "peer_start: peer pid $pid ready at $http_issuer and $https_issuer $*"
