#!/usr/bin/env bash
# Reproduces every performance claim side by side with the tools users would pick instead,
# on this machine, one step after another:
#   1. signing on one core (dpopfleet bench sign, the library's raw ECDSA, openssl speed,
#      PyJWT, jose, dpop, node:crypto) and on two threads, with both crypto backends;
#   2. end to end: dpopfleet mint against the reference realm and node-oidc-provider, and a
#      plain Node client against node-oidc-provider, all over HTTPS;
#   3. HTTP requests/s next to wrk and h2load (bench/compare_http.sh);
#   4. peak resident bytes per agent for mint, and per key of a large key pool.
# Every figure is the median of --repeat runs, every ratio is taken from the same run, and
# bench/compare/report.py prints one table and rewrites the generated section of
# bench/RESULTS.md. Servers listen on 127.0.0.1 only and are stopped on exit.
#
# Usage: bench/compare.sh [--quick] [--no-write] [--repeat N] [--build-dir DIR]
#                         [--boringssl-build-dir DIR]
#   --quick      short runs and small fleets (well under 3 minutes), for smoke tests
#   --no-write   print the table only; leave bench/RESULTS.md alone
# Defaults: --build-dir build, --boringssl-build-dir build-boringssl (skipped if absent).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

quick=0
write=1
repeat=""
build_dir="$root/build"
boring_dir="$root/build-boringssl"
while (($# > 0)); do
  case "$1" in
    --quick) quick=1 ;;
    --no-write) write=0 ;;
    --repeat) repeat=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    --boringssl-build-dir) boring_dir=$2; shift ;;
    *) echo "compare.sh: unknown option '$1'; see the usage at the top of bench/compare.sh" >&2; exit 2 ;;
  esac
  shift
done
build_dir=$(cd "$build_dir" && pwd)

if ((quick)); then
  repeat=${repeat:-1}; sign_seconds=1; proof_seconds=0.3; gbench_min_time=0.05
  e2e_agents=200; memory_agents=(1000 5000); pool_keys=20000; http_seconds=1
else
  repeat=${repeat:-3}; sign_seconds=4; proof_seconds=2; gbench_min_time=0.5
  e2e_agents=3000; memory_agents=(10000 100000); pool_keys=1000000; http_seconds=4
fi
if ! [[ "$repeat" =~ ^[1-9][0-9]*$ ]]; then
  echo "compare.sh: --repeat '$repeat' is invalid; pass a positive integer" >&2
  exit 2
fi

cli="$build_dir/dpopfleet"
python=/usr/bin/python3  # Debian's, which has python3-jwt; a pyenv python3 may not.
for tool in "$cli" "$build_dir/dpopfleet_bench_server" "$build_dir/bench/compare/dpopfleet_bench_fresh_key" \
            "$build_dir/bench/crypto/dpopfleet_bench_crypto" "$python" node openssl taskset /usr/bin/time \
            wrk h2load nghttpx curl; do
  if ! command -v "$tool" >/dev/null; then
    echo "compare.sh: '$tool' not found; build the targets (ninja dpopfleet dpopfleet_bench_server" \
      "dpopfleet_bench_fresh_key dpopfleet_bench_crypto) and run tools/setup.sh" >&2
    exit 2
  fi
done
for folder in "$here/compare" "$root/tests/interop"; do
  if [[ ! -d "$folder/node_modules" ]]; then
    echo "compare.sh: $folder/node_modules is missing; run tools/setup.sh (npm ci)" >&2
    exit 2
  fi
done

work=$(mktemp -d)
results="$work/results.jsonl"
realm_pid=""
cleanup() {
  if [[ -n "$realm_pid" ]]; then kill "$realm_pid" 2>/dev/null || true; wait "$realm_pid" 2>/dev/null || true; fi
  [[ -f "$work/peer/pid" ]] && "$root/tests/interop/peer_stop.sh" "$work/peer" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { echo "compare.sh: $*" >&2; }

# bounded SECONDS COMMAND...: runs COMMAND, stopping it after SECONDS. A stopped run keeps the
# lines it wrote, so one stalled tool cannot stall the whole comparison.
bounded() {
  local limit=$1
  shift
  local status=0
  timeout -k 5 "$limit" "$@" || status=$?
  ((status != 124 && status != 137)) || say "stopped after ${limit}s and kept its partial output: $*"
  return 0
}

# record STEP NAME RUN VALUE: one measurement for report.py.
record() {
  [[ -n "$4" ]] || { say "no value for $1 $2 (run $3); see the log above"; return 0; }
  printf '{"step":"%s","name":"%s","run":%s,"value":%s}\n' "$1" "$2" "$3" "$4" >>"$results"
}

# cpu_rate FILE LABEL prints the number before " per CPU second" on LABEL's line of
# `bench sign` output, and wall_rate the first number after LABEL.
cpu_rate() { awk -v label="$2" 'index($0, label) == 1 { sub(/.*\(/, ""); print $1; exit }' "$1"; }
wall_rate() { awk -v label="$2" 'index($0, label) == 1 { sub(label, ""); print $1; exit }' "$1"; }

# speed_sign COMMAND... runs an `openssl speed ... ecdsap256` command and prints its sign/s.
speed_sign() { "$@" 2>/dev/null | awk '/ecdsa \(nistp256\)/ { rate = $(NF-1) } END { print rate }'; }

# json_lines FILE STEP RUN PREFIX KEY...: records KEY of every JSON line as PREFIX.impl.case.KEY.
json_lines() {
  local file=$1 step=$2 run=$3 prefix=$4
  shift 4
  "$python" - "$file" "$@" <<'EOF' | while read -r name value; do record "$step" "$prefix.$name" "$run" "$value"; done
import json, sys
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    row = json.loads(line)
    for key in sys.argv[2:]:
        print(f'{row["impl"]}.{row["case"]}.{key} {row[key]}')
EOF
}

# gbench STEP RUN PREFIX BINARY FILTER: items/s (per CPU second) of each Google benchmark.
gbench() {
  local step=$1 run=$2 prefix=$3 binary=$4 filter=$5
  taskset -c 0 "$binary" --benchmark_filter="$filter" --benchmark_min_time="$gbench_min_time" \
    --benchmark_format=json >"$work/gbench.json" 2>"$work/gbench.log"
  "$python" - "$work/gbench.json" <<'EOF' | while read -r name value; do record "$step" "$prefix.$name" "$run" "$value"; done
import json, sys
for bench in json.load(open(sys.argv[1]))["benchmarks"]:
    print(bench["name"], bench["items_per_second"])
EOF
}

echo "{\"load_start\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >"$work/load.json"
say "$repeat run(s) per figure; work files in $work"

# ---- 1. Signing ----------------------------------------------------------------------
for run in $(seq 1 "$repeat"); do
  say "signing, run $run/$repeat"
  taskset -c 0 "$cli" bench sign --seconds "$sign_seconds" --keys 1 >"$work/sign.txt"
  record sign raw_cpu "$run" "$(cpu_rate "$work/sign.txt" "raw ECDSA sign, 1 key:")"
  record sign proof_cpu "$run" "$(cpu_rate "$work/sign.txt" "proofs:")"
  taskset -c 0 "$cli" bench sign --seconds "$sign_seconds" --keys 1 --ath >"$work/sign.txt"
  record sign raw_ath_cpu "$run" "$(cpu_rate "$work/sign.txt" "raw ECDSA sign, 1 key:")"
  record sign proof_ath_cpu "$run" "$(cpu_rate "$work/sign.txt" "proofs with ath:")"
  for threads in 1 2; do
    "$cli" bench sign --seconds "$sign_seconds" --keys 1000 --threads "$threads" >"$work/sign.txt"
    record sign "threads$threads.proof_wall" "$run" "$(wall_rate "$work/sign.txt" "proofs:")"
    record sign "threads$threads.proof_cpu" "$run" "$(cpu_rate "$work/sign.txt" "proofs:")"
  done

  # openssl speed pinned to one core is the library's own single-core sign rate. Unpinned,
  # one process against two (-multi 2) is the most two threads can gain on this machine.
  openssl_seconds=${sign_seconds%.*}
  openssl_seconds=$((openssl_seconds > 0 ? openssl_seconds : 1))
  record sign openssl_speed_sign "$run" "$(speed_sign taskset -c 0 openssl speed -seconds "$openssl_seconds" ecdsap256)"
  record sign openssl_speed_one_process "$run" "$(speed_sign openssl speed -seconds "$openssl_seconds" ecdsap256)"
  record sign openssl_speed_two_processes "$run" \
    "$(speed_sign openssl speed -seconds "$openssl_seconds" -multi 2 ecdsap256)"

  proof_limit=$(awk -v s="$proof_seconds" 'BEGIN { print int(9 * s * 4 + 60) }')
  bounded "$proof_limit" taskset -c 0 "$python" "$here/compare/pyjwt_proof.py" "$proof_seconds" >"$work/pyjwt.jsonl"
  json_lines "$work/pyjwt.jsonl" sign "$run" proof proofs_per_cpu_second proofs_per_second
  # NOTE: Node.js 20.20.2 sometimes stops making progress in node_proof.mjs's fresh-key case,
  # pinned or not (all threads asleep on futexes, cause unknown), and `bounded` then keeps the
  # cases before it. Node runs unpinned; its proofs per CPU second count all its threads.
  (cd "$here/compare" && bounded "$proof_limit" node node_proof.mjs "$proof_seconds") >"$work/node.jsonl"
  json_lines "$work/node.jsonl" sign "$run" proof proofs_per_cpu_second proofs_per_second

  gbench sign "$run" openssl "$build_dir/bench/compare/dpopfleet_bench_fresh_key" "."
  gbench sign "$run" openssl "$build_dir/bench/crypto/dpopfleet_bench_crypto" \
    'BM_LibraryEcdsaSign/keys:1$|BM_LibraryKeygen$|BM_Keygen$|BM_ProofBuild/0$'
  if [[ -x "$boring_dir/bench/compare/dpopfleet_bench_fresh_key" ]]; then
    gbench sign "$run" boringssl "$boring_dir/bench/compare/dpopfleet_bench_fresh_key" "."
    gbench sign "$run" boringssl "$boring_dir/bench/crypto/dpopfleet_bench_crypto" \
      'BM_LibraryEcdsaSign/keys:1$|BM_LibraryKeygen$|BM_Keygen$|BM_ProofBuild/0$'
  fi
done

source "$here/compare/e2e_steps.sh"
run_e2e_and_memory

# ---- 3. HTTP ---------------------------------------------------------------------------
for run in $(seq 1 "$repeat"); do
  say "HTTP, run $run/$repeat"
  RUN_SECONDS=$http_seconds CONNECTIONS=8 "$here/compare_http.sh" "$build_dir" >"$work/http.txt" 2>"$work/http.log"
  # Rows are "TOOL [OPTION] PROTOCOL IN-FLIGHT RATE RATIO"; the tool name may hold a space.
  while read -r name rate; do
    record http "$name" "$run" "$rate"
  done < <(awk 'NR > 1 { tool = $1; for (i = 2; i <= NF - 4; i++) tool = tool $i; print tool "." $(NF-3), $(NF-1) }' "$work/http.txt")
done

echo "{\"load_end\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >>"$work/load.json"
"$python" "$here/compare/report.py" --results "$results" --load "$work/load.json" \
  --quick "$quick" --repeat "$repeat" --cli "$cli" --boringssl-build-dir "$boring_dir" \
  $( ((write)) && echo --write "$here/RESULTS.md")
