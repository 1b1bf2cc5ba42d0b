#!/usr/bin/env bash
# bench/api.py drives the API with wrk: install Debian's package when it is missing and the
# system package manager can be used (root or password-less sudo), as scripts/ensure-redis-server.sh does.
set -euo pipefail
command -v wrk >/dev/null && exit 0
echo "wrk is missing; installing it with the system package manager"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "cannot install wrk without root; install it (e.g. apt-get install wrk) and retry" >&2
  exit 1
fi
if command -v apt-get >/dev/null; then
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
elif command -v dnf >/dev/null; then $SUDO dnf install -y wrk
elif command -v apk >/dev/null; then $SUDO apk add --no-cache wrk
elif command -v brew >/dev/null; then brew install wrk
else echo "no supported package manager; install wrk yourself" >&2; exit 1
fi
command -v wrk >/dev/null
