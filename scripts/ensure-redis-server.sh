#!/usr/bin/env bash
# The tests start their own throwaway redis-server; install one when it is missing and
# the system package manager can be used (root or password-less sudo).
set -euo pipefail
command -v redis-server >/dev/null && exit 0
echo "redis-server is missing; installing it with the system package manager"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "cannot install redis-server without root; install it (e.g. apt-get install redis-server) and retry" >&2
  exit 1
fi
if command -v apt-get >/dev/null; then
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
elif command -v dnf >/dev/null; then $SUDO dnf install -y redis
elif command -v apk >/dev/null; then $SUDO apk add --no-cache redis
elif command -v brew >/dev/null; then brew install redis
else echo "no supported package manager; install redis-server yourself" >&2; exit 1
fi
command -v redis-server >/dev/null
