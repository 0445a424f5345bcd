#!/usr/bin/env bash
# Stops the nghttpx front and the realm that h2_front_start.sh started in STATE_DIR, by the
# pids it recorded, nghttpx first. It succeeds when nothing was recorded.
#
#   h2_front_stop.sh STATE_DIR
set -euo pipefail

if (($# != 1)); then
  echo "usage: h2_front_stop.sh STATE_DIR" >&2
  exit 2
fi
state_dir=$1
stop_timeout_seconds=10

# alive succeeds while |1| exists and is no zombie. Both processes ran under setsid, so
# after they exit they stay zombies until init reaps them.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [[ "${stat##*) }" != Z* ]]
}

# stop_recorded stops the process in STATE_DIR/|1|.pid if its command line still contains
# |2|, because the pid may have been reused since that process exited.
stop_recorded() {
  local pid_file="$state_dir/$1.pid" pattern=$2 pid
  [[ -f "$pid_file" ]] || return 0
  pid=$(<"$pid_file")
  rm -f "$pid_file"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern" || return 0

  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + stop_timeout_seconds))
  while alive "$pid"; do
    if ((SECONDS >= deadline)); then
      echo "h2_front_stop: $1 (pid $pid) ignored SIGTERM for ${stop_timeout_seconds} s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.05
  done
  echo "h2_front_stop: stopped $1 (pid $pid)"
}

stop_recorded nghttpx nghttpx
stop_recorded realm 'realm serve'
