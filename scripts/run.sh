#!/usr/bin/env bash
# `make run`: the API (gunicorn), a pool of extraction workers and a pool of webhook delivery
# workers in the foreground, plus a private redis-server when REDIS_URL is not set (never one
# that merely answers on a default address: that may be another application's data), or, with
# CLUSTER=1, a local 3-master Redis Cluster and a queue Redis beside it (scripts/cluster.sh).
#
# It supervises: RQ's worker pool starts a new worker when one dies, and this script starts
# again any of its three services that exits. Only Ctrl-C (SIGINT) or SIGTERM ends the session:
# everything is stopped (workers finish their current job) and the exit status is 0.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY="$VENV/bin/python"
export PORT=${PORT:-8000}
WORKERS=${WORKERS:-1}
WEBHOOK_WORKERS=${WEBHOOK_WORKERS:-1}
# Where the session keeps its private Redis data, local API key and metrics.
VAR=${CLAIMTRACK_VAR_DIR:-var}
mkdir -p "$VAR"
VAR=$(cd "$VAR" && pwd)
declare -A service_of=()
redis_pids=()
stopping=""

# Whether any of the given processes is still running.
any_alive() {
  local pid
  for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}

stop_all() {
  trap - INT TERM EXIT
  local pids=("${!service_of[@]}") pid
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    # Workers finish their current job. A service still up after STOP_GRACE seconds (a long job,
    # or a worker its pool was starting when the signal came and so never heard of) gets the
    # signal in its whole process group (each service is a session of its own), then SIGKILL.
    for _ in $(seq $((${STOP_GRACE:-30} * 10))); do any_alive "${pids[@]}" || break; sleep 0.1; done
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    for _ in $(seq 100); do any_alive "${pids[@]}" || break; sleep 0.1; done
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    wait "${pids[@]}" 2>/dev/null || true
  fi
  # Redis last, once nothing uses it any more.
  if [ ${#redis_pids[@]} -gt 0 ]; then
    kill -TERM "${redis_pids[@]}" 2>/dev/null || true
    wait "${redis_pids[@]}" 2>/dev/null || true
  fi
}
trap stop_all EXIT
trap 'stopping=1' INT TERM

# REDIS_URL as it may be shown: a password in it becomes ***.
shown_url() { sed -E 's#(://[^:/@]*:)[^@]*@#\1***@#' <<<"$1"; }

redis_answers() {
  "$PY" -c 'import sys, redis; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()' "$1" 2>/dev/null
}

if [ -n "${CLUSTER:-}" ] && [ "$CLUSTER" != 0 ]; then
  [ -z "${REDIS_URL:-}" ] || { echo "CLUSTER=1 starts a local cluster of its own: leave REDIS_URL unset" >&2; exit 1; }
  source scripts/cluster.sh
  start_local_cluster "$VAR/cluster"
elif [ -n "${REDIS_URL:-}" ]; then
  redis_answers "$REDIS_URL" || { echo "REDIS_URL=$(shown_url "$REDIS_URL") does not answer" >&2; exit 1; }
else
  # A redis-server of this session's own, on a unix socket in $VAR/redis (or, where that path
  # is too long for a socket, a free loopback port), with its data there, append-only.
  command -v redis-server >/dev/null || { echo "REDIS_URL is not set and no redis-server is installed (apt-get install redis-server)" >&2; exit 1; }
  mkdir -p "$VAR/redis"
  socket="$VAR/redis/redis.sock"
  if [ ${#socket} -le 100 ]; then
    if [ -S "$socket" ] && redis_answers "unix://$socket"; then
      echo "another session already runs the private Redis at $socket; stop it, or set REDIS_URL" >&2; exit 1
    fi
    rm -f "$socket"
    listen=(--port 0 --unixsocket "$socket" --unixsocketperm 700)
    export REDIS_URL="unix://$socket?db=0"
  else
    port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    listen=(--port "$port" --bind 127.0.0.1)
    export REDIS_URL="redis://127.0.0.1:$port/0"
  fi
  echo "starting a private redis-server (data in $VAR/redis, append-only, fsync on every write)"
  # In a session of its own, so that Ctrl-C reaches it only through stop_all, after the rest.
  setsid redis-server scripts/redis.conf --dir "$VAR/redis" "${listen[@]}" &
  redis_pids+=($!)
  for _ in $(seq 100); do redis_answers "$REDIS_URL" && break; sleep 0.1; done
  redis_answers "$REDIS_URL" || { echo "the private redis-server did not start" >&2; exit 1; }
fi

if [ -z "${CLAIMTRACK_API_KEYS:-}" ]; then
  keyfile=$VAR/local-admin.key
  if [ ! -s "$keyfile" ]; then
    (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(24))' > "$keyfile")
    echo "created a local admin API key (kept in $keyfile): $(cat "$keyfile")"
  else
    echo "using the local admin API key in $keyfile"
  fi
  export CLAIMTRACK_API_KEYS="local-admin:$(cat "$keyfile"):admin"
fi

# Bring stored data to the current layout before any worker writes (a no-op when current).
"$VENV/bin/flask" --app service.app migrate >/dev/null

# One metrics directory for the API and the workers of this session, so that /metrics shows the
# job series too (docs/operations.md); emptied at each start, as prometheus-client needs.
if [ -z "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  export PROMETHEUS_MULTIPROC_DIR="$VAR/metrics"
  rm -rf "$PROMETHEUS_MULTIPROC_DIR"
fi
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

# Each service in a session of its own, so that Ctrl-C reaches it only through this script
# (a worker pool that got the terminal's SIGINT as well would stop its workers cold).
start() {
  case "$1" in
    api) setsid "$VENV/bin/gunicorn" -c python:service.gunicorn_conf 'service.app:create_app()' & ;;
    extraction) setsid "$PY" -m workers.worker --pool "$WORKERS" --serve extraction & ;;
    webhooks) setsid "$PY" -m workers.worker --pool "$WEBHOOK_WORKERS" --serve webhooks & ;;
  esac
  service_of[$!]=$1
}
start api
start extraction
start webhooks
echo "Claimtrack: API on http://127.0.0.1:$PORT (docs at /docs), $WORKERS extraction and $WEBHOOK_WORKERS webhook worker(s), Redis at $(shown_url "$REDIS_URL")${CLAIMTRACK_QUEUE_URL:+, queues at $(shown_url "$CLAIMTRACK_QUEUE_URL")}. Ctrl-C stops."

while [ -z "$stopping" ]; do
  ended=""
  wait -n -p ended "${!service_of[@]}" "${redis_pids[@]}" || true
  if [ -n "$stopping" ] || [ -z "$ended" ]; then
    continue
  fi
  if [[ " ${redis_pids[*]} " == *" $ended "* ]]; then
    echo "a local redis-server exited; stopping" >&2
    exit 1
  fi
  name=${service_of[$ended]}
  unset "service_of[$ended]"
  echo "$name (pid $ended) exited; starting it again" >&2
  sleep 1
  if [ -z "$stopping" ]; then
    start "$name"
  fi
done
stop_all
exit 0
