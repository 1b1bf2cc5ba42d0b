#!/usr/bin/env bash
# Make sure COMMAND exists, installing it with the system package manager when it is missing
# and that can be done (root or password-less sudo).
#   scripts/ensure-command.sh COMMAND DEBIAN_PACKAGE [PACKAGE_ELSEWHERE]
# The tests need redis-server (they start their own) and chromium + chromedriver (the /docs
# browser test); bench/api.py needs wrk.
set -euo pipefail
command=$1
debian_package=$2
other_package=${3:-$2}
command -v "$command" >/dev/null && exit 0
echo "$command is missing; installing it with the system package manager"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "cannot install $command without root; install it (e.g. apt-get install $debian_package) and retry" >&2
  exit 1
fi
if command -v apt-get >/dev/null; then
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$debian_package" >/dev/null
elif command -v dnf >/dev/null; then $SUDO dnf install -y "$other_package"
elif command -v apk >/dev/null; then $SUDO apk add --no-cache "$other_package"
elif command -v brew >/dev/null; then brew install "$other_package"
else echo "no supported package manager; install $command yourself" >&2; exit 1
fi
command -v "$command" >/dev/null
