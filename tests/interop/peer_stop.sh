#!/usr/bin/env bash
# Stops the peer that peer_start.sh started in STATE_DIR, by the pid it recorded. CTest runs
# it as a FIXTURES_CLEANUP test; it succeeds when no peer was recorded.
#
#   peer_stop.sh STATE_DIR
set -euo pipefail

if (($# != 1)); then
  echo "usage: peer_stop.sh STATE_DIR" >&2
  exit 2
fi
pid_file="$1/pid"
stop_timeout_seconds=10

[[ -f "$pid_file" ]] || exit 0
pid=$(<"$pid_file")

# The pid may have been reused since the peer exited; only a process running peer.mjs is ours.
if ! [[ "$pid" =~ ^[0-9]+$ ]] || ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'peer\.mjs'; then
  rm -f "$pid_file"
  exit 0
fi

# running succeeds while |pid| exists and has not exited. The peer is not our child, so after
# it exits it stays a zombie until its new parent reaps it; a zombie counts as exited.
running() {
  local stat
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ "${stat##*) }" != Z* ]]
}

kill -TERM "$pid"
deadline=$((SECONDS + stop_timeout_seconds))
while running; do
  if ((SECONDS >= deadline)); then
    echo "peer_stop: the peer (pid $pid) ignored SIGTERM for ${stop_timeout_seconds} s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    break
  fi
  sleep 0.1
done
rm -f "$pid_file"
echo "peer_stop: stopped the peer (pid $pid)"
