#!/usr/bin/env bash
# Starts `dpopfleet realm serve` over plain HTTP on a loopback port and nghttpx in front of it
# as a TLS frontend offering h2 and http/1.1 through ALPN, then waits until discovery responds
# through the front. h2_front_stop.sh stops both by the pids recorded here.
#
#   h2_front_start.sh DPOPFLEET STATE_DIR CERT KEY CA CLIENT [MAX_STREAMS]
#
# CERT and KEY are nghttpx's server certificate for 127.0.0.1 and CA is the CA that signed it.
# CLIENT is a realm static client, ID:SECRET[:dpop]. MAX_STREAMS is the frontend's
# SETTINGS_MAX_CONCURRENT_STREAMS (default 250, where nghttpx's own default of 100 would let
# 4 connections carry only 400 of 500 requests in flight). H2_FRONT_NGHTTPX_FLAGS, if set,
# holds extra nghttpx flags separated by spaces, such as --no-add-x-forwarded-proto.
#
# STATE_DIR receives, one value a line:
#   realm_port, realm_issuer   the realm's own listener (http://127.0.0.1:PORT/realms/default)
#   front_port, front_issuer   nghttpx's listener (https://127.0.0.1:PORT/realms/default)
#   realm.pid, nghttpx.pid     the two process ids
#   realm.out                  the realm's stdout: its key=value lines and, after it stops, its counters
#   access.log                 one line a request: "<remote_port> <alpn> <status> <method> <path>"
#   error.log, realm.err, nghttpx.out   diagnostics
set -euo pipefail

if (($# < 6 || $# > 7)); then
  echo "usage: h2_front_start.sh DPOPFLEET STATE_DIR CERT KEY CA CLIENT [MAX_STREAMS]" >&2
  exit 2
fi
dpopfleet=$1
state_dir=$2
cert=$3
key=$4
ca=$5
client=$6
max_streams=${7:-250}
here=$(cd "$(dirname "$0")" && pwd)
start_timeout_seconds=20
port_attempts=5

# Debian installs nghttpx in /usr/sbin, which is not on an ordinary user's PATH.
nghttpx=$(command -v nghttpx || true)
if [[ -z "$nghttpx" && -x /usr/sbin/nghttpx ]]; then
  nghttpx=/usr/sbin/nghttpx
fi
if [[ -z "$nghttpx" ]]; then
  echo "h2_front_start: nghttpx was not found on PATH or in /usr/sbin; install nghttp2-proxy with tools/setup.sh" >&2
  exit 1
fi
if [[ ! -x "$dpopfleet" ]]; then
  echo "h2_front_start: the dpopfleet binary '$dpopfleet' is not executable; build the dpopfleet target first" >&2
  exit 1
fi
for file in "$cert" "$key" "$ca"; do
  if [[ ! -r "$file" ]]; then
    echo "h2_front_start: cannot read '$file'; pass the PEM certificate, key and CA for 127.0.0.1" >&2
    exit 1
  fi
done

read -r -a extra_flags <<<"${H2_FRONT_NGHTTPX_FLAGS:-}"

mkdir -p "$state_dir"
state_dir=$(cd "$state_dir" && pwd)

# Processes left over from an interrupted run are stopped first, by their recorded pids.
"$here/h2_front_stop.sh" "$state_dir" >/dev/null
rm -f "$state_dir"/{realm_port,realm_issuer,front_port,front_issuer,realm.out,realm.err}
rm -f "$state_dir"/{access.log,error.log,nghttpx.out}

# fail prints |message|, stops whatever started, and exits 1.
fail() {
  echo "h2_front_start: $1" >&2
  "$here/h2_front_stop.sh" "$state_dir" >&2 || true
  exit 1
}

# start_realm starts the realm on a free port of its own (--port 0) with the front's URL as its
# public URL, so discovery and token claims name the front, and waits for its "port=N" line.
# Its stdin and stdout must not be CTest's, or CTest waits for the realm to exit.
start_realm() {
  local front_port=$1
  setsid "$dpopfleet" realm serve --no-tls --bind 127.0.0.1 --port 0 --client "$client" \
    --public-url "https://127.0.0.1:$front_port" \
    </dev/null >"$state_dir/realm.out" 2>"$state_dir/realm.err" &
  realm_pid=$!
  echo "$realm_pid" >"$state_dir/realm.pid"

  local deadline=$((SECONDS + start_timeout_seconds))
  until grep -q '^port=' "$state_dir/realm.out"; do
    kill -0 "$realm_pid" 2>/dev/null ||
      fail "the realm (pid $realm_pid) exited before it listened: $(cat "$state_dir/realm.err")"
    ((SECONDS < deadline)) || fail "the realm (pid $realm_pid) printed no port= line within ${start_timeout_seconds} s"
    sleep 0.05
  done
  realm_port=$(sed -n 's/^port=//p' "$state_dir/realm.out")
  echo "$realm_port" >"$state_dir/realm_port"
  echo "http://127.0.0.1:$realm_port/realms/default" >"$state_dir/realm_issuer"
}

# nghttpx cannot report a port it picked, so the script picks one and retries on a clash,
# restarting the realm too because its public URL names the port.
# By default nghttpx 1.52 keeps the client's :authority as the backend's Host and appends
# X-Forwarded-Proto: https, which is what the realm needs to rebuild each proof's htu.
started=0
for ((attempt = 1; attempt <= port_attempts; ++attempt)); do
  front_port=$((20000 + RANDOM % 40000))
  start_realm "$front_port"
  setsid "$nghttpx" --conf=/dev/null --no-ocsp --workers=1 \
    "--frontend=127.0.0.1,$front_port" "--backend=127.0.0.1,$realm_port;;proto=http/1.1" \
    "--frontend-http2-max-concurrent-streams=$max_streams" \
    "--accesslog-file=$state_dir/access.log" \
    '--accesslog-format=$remote_port $alpn $status $method $path' \
    "--errorlog-file=$state_dir/error.log" "${extra_flags[@]}" \
    "$key" "$cert" </dev/null >"$state_dir/nghttpx.out" 2>&1 &
  nghttpx_pid=$!
  echo "$nghttpx_pid" >"$state_dir/nghttpx.pid"

  # Discovery through the front proves the listener, the TLS certificate and the backend.
  deadline=$((SECONDS + start_timeout_seconds))
  while kill -0 "$nghttpx_pid" 2>/dev/null && ((SECONDS < deadline)); do
    if curl --silent --fail --max-time 5 --cacert "$ca" --output /dev/null \
        "https://127.0.0.1:$front_port/realms/default/.well-known/openid-configuration"; then
      started=1
      break 2
    fi
    sleep 0.1
  done
  kill -0 "$nghttpx_pid" 2>/dev/null && fail "nghttpx (pid $nghttpx_pid) returned no discovery document on port $front_port within ${start_timeout_seconds} s; see $state_dir/error.log"
  echo "h2_front_start: nghttpx exited, probably because port $front_port was in use (attempt $attempt of $port_attempts): $(tail -n 2 "$state_dir/error.log" 2>/dev/null)" >&2
  "$here/h2_front_stop.sh" "$state_dir" >/dev/null
done
((started)) || fail "nghttpx did not start after $port_attempts ports; see $state_dir/error.log"

echo "$front_port" >"$state_dir/front_port"
echo "https://127.0.0.1:$front_port/realms/default" >"$state_dir/front_issuer"
echo "h2_front_start: realm pid $realm_pid on port $realm_port, nghttpx pid $nghttpx_pid on port $front_port"
