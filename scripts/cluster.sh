# Sourced by scripts/run.sh for `make run CLUSTER=1`: a local Redis Cluster of three masters and
# a queue Redis beside it, all append-only under $1 (var/cluster), on loopback ports chosen once
# and kept in $1/ports so that a later session finds the same cluster again. Sets REDIS_URL,
# CLAIMTRACK_REDIS_CLUSTER and CLAIMTRACK_QUEUE_URL, and appends the servers to redis_pids.

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_local_cluster() {
  local dir=$1 i port bus
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
    || { echo "CLUSTER=1 needs redis-server and redis-cli (apt-get install redis-server)" >&2; exit 1; }
  mkdir -p "$dir"
  if [ ! -s "$dir/ports" ]; then
    # Three nodes' client and cluster-bus ports, then the queue Redis's port.
    for i in 1 2 3 4 5 6 7; do free_port; done | tr '\n' ' ' > "$dir/ports"
  fi
  read -r -a ports < "$dir/ports" || true
  for i in 0 1 2; do
    port=${ports[$((2 * i))]}
    bus=${ports[$((2 * i + 1))]}
    mkdir -p "$dir/node$i"
    if redis_answers "redis://127.0.0.1:$port"; then
      echo "port $port already answers (another session's cluster?); stop it, or remove $dir" >&2; exit 1
    fi
    setsid redis-server scripts/redis.conf --dir "$dir/node$i" --port "$port" --cluster-enabled yes \
      --cluster-config-file nodes.conf --cluster-port "$bus" --cluster-node-timeout 5000 \
      --cluster-require-full-coverage no --logfile redis.log &
    redis_pids+=($!)
  done
  mkdir -p "$dir/queue"
  setsid redis-server scripts/redis.conf --dir "$dir/queue" --port "${ports[6]}" --logfile redis.log &
  redis_pids+=($!)
  for i in 0 2 4 6; do
    for _ in $(seq 100); do redis_answers "redis://127.0.0.1:${ports[$i]}" && break; sleep 0.1; done
    redis_answers "redis://127.0.0.1:${ports[$i]}" || { echo "a local redis-server did not start" >&2; exit 1; }
  done
  if [ ! -e "$dir/created" ]; then
    redis-cli --cluster create "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[2]}" "127.0.0.1:${ports[4]}" \
      --cluster-replicas 0 --cluster-yes >/dev/null
    touch "$dir/created"
  fi
  for _ in $(seq 300); do
    redis-cli -p "${ports[0]}" cluster info 2>/dev/null | grep -q '^cluster_state:ok' && break
    sleep 0.1
  done
  redis-cli -p "${ports[0]}" cluster info | grep -q '^cluster_state:ok' \
    || { echo "the local Redis Cluster did not reach cluster_state:ok" >&2; exit 1; }
  export REDIS_URL="redis://127.0.0.1:${ports[0]}"
  export CLAIMTRACK_REDIS_CLUSTER=on
  export CLAIMTRACK_QUEUE_URL="redis://127.0.0.1:${ports[6]}/0"
  echo "started a local Redis Cluster (3 masters on ports ${ports[0]} ${ports[2]} ${ports[4]}) and a queue Redis (port ${ports[6]}), data in $dir"
}
