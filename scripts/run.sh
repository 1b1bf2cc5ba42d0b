#!/usr/bin/env bash
# `make run`: the API (gunicorn) and extraction workers in the foreground, plus a local
# redis-server when REDIS_URL is not set and nothing answers on the default address.
# Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY="$VENV/bin/python"
export PORT=${PORT:-8000}
WORKERS=${WORKERS:-1}
pids=()
redis_pid=""

stop_all() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  # Redis last, once nothing uses it any more.
  if [ -n "$redis_pid" ]; then
    kill -TERM "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# REDIS_URL as it may be shown: a password in it becomes ***.
shown_url() { sed -E 's#(://[^:/@]*:)[^@]*@#\1***@#' <<<"$1"; }

redis_answers() {
  "$PY" -c 'import sys, redis; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()' "$1" 2>/dev/null
}

if [ -n "${REDIS_URL:-}" ]; then
  redis_answers "$REDIS_URL" || { echo "REDIS_URL=$(shown_url "$REDIS_URL") does not answer" >&2; exit 1; }
else
  export REDIS_URL=redis://127.0.0.1:6379/0
  if ! redis_answers "$REDIS_URL"; then
    command -v redis-server >/dev/null || { echo "no Redis at $REDIS_URL and no redis-server installed (apt-get install redis-server)" >&2; exit 1; }
    mkdir -p var/redis
    echo "starting a local redis-server (data in var/redis, append-only, fsync on every write)"
    # In a session of its own, so that Ctrl-C reaches it only through stop_all, after the rest.
    setsid redis-server scripts/redis.conf --dir "$PWD/var/redis" &
    redis_pid=$!
    for _ in $(seq 50); do redis_answers "$REDIS_URL" && break; sleep 0.1; done
    redis_answers "$REDIS_URL" || { echo "the local redis-server did not start" >&2; exit 1; }
  fi
fi

if [ -z "${CLAIMTRACK_API_KEYS:-}" ]; then
  keyfile=var/local-admin.key
  if [ ! -s "$keyfile" ]; then
    mkdir -p var
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
# job series too (README, "Operating Claimtrack"); emptied at each start, as prometheus-client needs.
if [ -z "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  export PROMETHEUS_MULTIPROC_DIR="$PWD/var/metrics"
  rm -rf "$PROMETHEUS_MULTIPROC_DIR"
fi
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

"$VENV/bin/gunicorn" -c python:service.gunicorn_conf 'service.app:create_app()' &
pids+=($!)
for i in $(seq "$WORKERS"); do
  "$PY" -m workers.worker &
  pids+=($!)
done
echo "Claimtrack: API on http://127.0.0.1:$PORT (docs at /docs), $WORKERS worker(s), Redis at $(shown_url "$REDIS_URL"). Ctrl-C stops."
# Whichever process ends first (or Ctrl-C) ends the session; the EXIT trap stops the rest.
wait -n "${pids[@]}" ${redis_pid:+"$redis_pid"}
