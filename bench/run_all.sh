#!/usr/bin/env bash
# `make bench`: every benchmark in turn, each printing one line of JSON on stdout (also kept
# in bench/results/NAME.json, with its progress in bench/results/NAME.log). A failing script
# does not stop the others; the exit status is then 1.
#
# Sizes (defaults are the issue's, except scale, which is quick by default):
#   BENCH_ARTICLES=200          articles through the service (bench/extraction.py)
#   BENCH_SCALE_CLAIMS=100000   claims loaded into Redis (bench/scale.py; 1000000 for the report)
#   BENCH_ONLY="api latency"    run only these scripts
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${VENV:-.venv}/bin/python"
mkdir -p bench/results
status=0

run() {
  local name=$1
  shift
  if [ -n "${BENCH_ONLY:-}" ] && [[ " $BENCH_ONLY " != *" $name "* ]]; then return; fi
  echo "== bench/$name.py $*" >&2
  if "$PY" "bench/$name.py" "$@" > "bench/results/$name.json" 2> "bench/results/$name.log"; then
    cat "bench/results/$name.json"
  else
    echo "bench/$name.py failed; the end of bench/results/$name.log:" >&2
    tail -n 20 "bench/results/$name.log" >&2
    status=1
  fi
}

run extraction --articles "${BENCH_ARTICLES:-200}"
run overhead
run latency
run api
run console
run scale --claims "${BENCH_SCALE_CLAIMS:-100000}"
run shards
exit $status
