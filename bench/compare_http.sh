#!/usr/bin/env bash
# Measures requests/s on a trivial loopback endpoint with wrk, h2load and
# `dpopfleet bench http`, one after another with the same connection count, and prints a
# table. HTTP/1.1 runs go straight to dpopfleet_bench_server; HTTP/2 runs go through nghttpx
# (TLS with ALPN h2, certificate made here) in front of it. Nothing leaves 127.0.0.1.
#
# Usage: bench/compare_http.sh [BUILD_DIR]   (default: build)
# Environment: CONNECTIONS (default 8), RUN_SECONDS per run (default 5), STREAMS per
# HTTP/2 connection (default 10), SERVER_THREADS (default 1). Bash reserves SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
connections=${CONNECTIONS:-8}
seconds=${RUN_SECONDS:-5}
streams=${STREAMS:-10}
server_threads=${SERVER_THREADS:-1}

dpopfleet="$build/dpopfleet"
server="$build/dpopfleet_bench_server"
for tool in wrk h2load nghttpx openssl python3 "$dpopfleet" "$server"; do
  if ! command -v "$tool" >/dev/null; then
    echo "compare_http.sh: '$tool' not found; build with tools/build.sh and install" \
      "packages with tools/setup.sh" >&2
    exit 2
  fi
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "compare_http.sh: nothing listens on 127.0.0.1:$1 after 10 s; see $work" >&2
  exit 1
}

# The backend: a single-purpose server that returns "200 ok" to every request.
backend_port=$(free_port)
"$server" --port "$backend_port" --threads "$server_threads" >"$work/server.log" 2>&1 &
pids+=($!)
wait_for_port "$backend_port"

# The HTTP/2 front: nghttpx with a throwaway CA and server certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" \
  -out "$work/ca.pem" -days 1 -subj "/CN=dpopfleet bench CA" \
  -addext basicConstraints=critical,CA:TRUE >"$work/openssl.log" 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/server.key" \
  -out "$work/server.csr" -subj "/CN=127.0.0.1" >>"$work/openssl.log" 2>&1
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$work/server.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
  -CAcreateserial -out "$work/server.pem" -days 1 -extfile "$work/server.ext" \
  >>"$work/openssl.log" 2>&1
front_port=$(free_port)
nghttpx --conf=/dev/null --no-ocsp --workers=1 --frontend="127.0.0.1,$front_port" \
  --backend="127.0.0.1,$backend_port" --accesslog-file=/dev/null \
  --errorlog-file="$work/nghttpx.log" "$work/server.key" "$work/server.pem" &
pids+=($!)
wait_for_port "$front_port"

h1_url="http://127.0.0.1:$backend_port/"
h2_url="https://127.0.0.1:$front_port/"
rows=()

# record TOOL PROTOCOL IN_FLIGHT RATE
record() { rows+=("$1|$2|$3|$4"); }

wrk_rate() { wrk -t1 -c"$connections" -d"${seconds}s" "$h1_url" | awk '/^Requests\/sec:/ {print $2}'; }
h2load_rate() { h2load -t1 "$@" -D "$seconds" | awk '/^finished in/ {print $4}'; }
dpopfleet_rate() { "$dpopfleet" bench http --connections "$connections" --seconds "$seconds" "$@" | awk '/^requests\/s/ {print $2}'; }

echo "compare_http.sh: $connections connections, ${seconds}s a run, $streams streams per HTTP/2 connection" >&2
record wrk "HTTP/1.1" "$connections" "$(wrk_rate)"
record "h2load --h1" "HTTP/1.1" "$connections" "$(h2load_rate --h1 -c "$connections" -m 1 "$h1_url")"
record "dpopfleet" "HTTP/1.1" "$connections" "$(dpopfleet_rate --url "$h1_url")"
record "dpopfleet --dpop" "HTTP/1.1" "$connections" "$(dpopfleet_rate --url "$h1_url" --dpop)"
h2_in_flight=$((connections * streams))
record h2load "HTTP/2" "$h2_in_flight" "$(h2load_rate -c "$connections" -m "$streams" "$h2_url")"
record "dpopfleet" "HTTP/2" "$h2_in_flight" \
  "$(dpopfleet_rate --url "$h2_url" --h2 --streams "$streams" --ca-file "$work/ca.pem")"
record "dpopfleet --dpop" "HTTP/2" "$h2_in_flight" \
  "$(dpopfleet_rate --url "$h2_url" --h2 --streams "$streams" --ca-file "$work/ca.pem" --dpop)"

# The reference for each protocol is the first row: wrk for HTTP/1.1, h2load for HTTP/2.
printf '%-18s %-9s %10s %12s %8s\n' tool protocol in-flight requests/s ratio
declare -A reference
for row in "${rows[@]}"; do
  IFS='|' read -r tool protocol in_flight rate <<<"$row"
  [[ -n "${reference[$protocol]:-}" ]] || reference[$protocol]=$rate
  ratio=$(awk -v a="$rate" -v b="${reference[$protocol]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  printf '%-18s %-9s %10s %12.0f %8s\n' "$tool" "$protocol" "$in_flight" "${rate:-0}" "$ratio"
done
