#!/usr/bin/env python3
"""Cluster: the store on a local 3-master Redis Cluster against the store on one redis-server,
loaded with the same articles and read with the same reads, in the same run (issue 22).

Each topology gets its own servers: one redis-server; three cluster nodes (`redis-cli --cluster
create`, no replicas) and a queue redis-server beside them. Both are loaded through the store's
real write path, article after article alternately (`_common.store_synthetic_article`: 20
synthetic claims each), so both see the same machine at the same moments; the cluster's saves
go through its cross-slot transactions (service/store/cross_slot.py). A share of the claims
(--verified) then gets a verdict. The reads are `scale.py`'s (list pages by filter, deep pages,
an article's claims, one claim), each timed --samples times per topology, all interleaved in one
random order.

Figures: p50/p99 of each read on each topology and the ratios cluster/single of p99 (target
<= 1.5 for list pages and get_claim) and p50; the CPU time each read costs, the client's and
the Redis servers' (measured apart, in alternating blocks: CPU time moves less with the load of
a shared machine than latency does) and its ratio; ms per article saved and the ratio; Redis memory per
claim (used_memory growth, summed over the cluster's primaries) and its ratio (target within
10%), with the cross-slot bookkeeping left in the store (tickets of groups not applied: none once
every transaction has finished) counted apart.

  bench/cluster.py [--claims 20000] [--samples 300] [--verified 0.03]
"""
from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (MEMORY_SETTINGS, Processes, RedisServer, emit, free_port, log, machine,  # noqa: E402
                     percentile, rounded, store_synthetic_article)
from scale import PER_ARTICLE, choose_queries, read_ops, time_reads, verify_some  # noqa: E402


def start_cluster(procs: Processes, size: int = 3) -> list[int]:
    """`size` cluster nodes on free ports, joined into one cluster; returns their ports."""
    binary = shutil.which("redis-server")
    if binary is None or shutil.which("redis-cli") is None:
        raise SystemExit("redis-server and redis-cli are needed (`make bench` installs them)")
    ports = []
    for n in range(size):
        port, bus = free_port(), free_port()
        data = procs.tmp / f"cluster-{n}"
        data.mkdir()
        procs.start([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--save", "",
                     "--appendonly", "no", "--protected-mode", "yes", "--cluster-enabled", "yes",
                     "--cluster-config-file", "nodes.conf", "--cluster-port", str(bus), *MEMORY_SETTINGS],
                    name=f"cluster-{n}")
        ports.append(port)
    from redis import Redis

    for port in ports:
        client = Redis(port=port, socket_connect_timeout=0.5)
        for _ in range(200):
            try:
                if client.ping():
                    break
            except Exception:
                time.sleep(0.05)
        client.close()
    subprocess.run(["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
                    "--cluster-replicas", "0", "--cluster-yes"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    for _ in range(600):
        infos = []
        for port in ports:
            with Redis(port=port, decode_responses=True) as client:
                infos.append(client.execute_command("CLUSTER", "INFO"))
        if all("cluster_state:ok" in str(i) or (isinstance(i, dict) and i.get("cluster_state") == "ok")
               for i in infos):
            return ports
        time.sleep(0.1)
    raise RuntimeError("the cluster did not reach cluster_state:ok")


def used_memory(clients) -> int:
    return sum(int(c.info("memory")["used_memory"]) for c in clients)


def markers(cluster) -> tuple[int, int]:
    """The cross-slot transactions' bookkeeping left in the store (tickets of groups not
    applied, locks): how many keys, and their bytes."""
    keys = [k for pattern in ("ct:ticket:*", "ct:lock:*") for k in cluster.scan_iter(match=pattern, count=1000)]
    sample = keys[:: max(1, len(keys) // 200)]
    per_key = (sum(cluster.memory_usage(k) or 0 for k in sample) / len(sample)) if sample else 0
    return len(keys), int(per_key * len(keys))


#: Reads of one kind in a row, per topology, while their CPU time is measured.
CPU_BLOCK = 20


def redis_cpu(clients) -> float:
    """CPU seconds the servers behind `clients` have used (user + system, every thread)."""
    total = 0.0
    for client in clients:
        info = client.info("cpu")
        total += float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    return total


def cpu_per_read(ops_by_topology: list[dict], servers: list[list], samples: int) -> list[dict[str, dict]]:
    """The CPU time each read costs on each topology, in ms: this process's (the client's
    Python, redis-py, the sockets) and the Redis servers' (summed over the cluster's masters),
    measured over blocks of `CPU_BLOCK` reads of one kind, the topologies alternating. CPU time
    moves far less with the machine's load than the latency does, and it is what a round trip
    and a reply cost on both sides."""
    spent = [{name: [0.0, 0.0] for name in ops} for ops in ops_by_topology]
    for _ in range(max(1, samples // CPU_BLOCK)):
        for name in ops_by_topology[0]:
            for k, ops in enumerate(ops_by_topology):
                server_before, client_before = redis_cpu(servers[k]), time.process_time()
                for i in range(CPU_BLOCK):
                    ops[name](i)
                spent[k][name][0] += time.process_time() - client_before
                spent[k][name][1] += redis_cpu(servers[k]) - server_before
    calls = max(1, samples // CPU_BLOCK) * CPU_BLOCK
    return [{name: {"client": c / calls * 1000, "redis": r / calls * 1000} for name, (c, r) in done.items()}
            for done in spent]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=20_000)
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--verified", type=float, default=0.03)
    args = ap.parse_args()

    from redis import Redis

    from service.store import Repositories
    from service.store.connection import cluster_client

    articles = max(1, args.claims // PER_ARTICLE)
    with Processes() as procs:
        single_server = RedisServer(procs, notify=False, name="redis-single")
        queue_server = RedisServer(procs, notify=False, name="redis-queue")
        ports = start_cluster(procs)
        single = Repositories.from_url(single_server.url, socket_timeout=None)
        clustered = Repositories.from_url(f"redis://127.0.0.1:{ports[0]}", socket_timeout=None,
                                          queue_url=queue_server.url, cluster=True)
        single_raw = single_server.client()
        cluster_raw = cluster_client(f"redis://127.0.0.1:{ports[0]}", None)
        nodes = [Redis(port=p) for p in ports]
        before = {"single": used_memory([single_raw]), "cluster": used_memory(nodes)}
        saving = {"single": 0.0, "cluster": 0.0}
        text_bytes = 0
        log(f"loading {articles} articles of {PER_ARTICLE} claims into each topology")
        for n in range(articles):
            for name, store in (("single", single), ("cluster", clustered)):
                t0 = time.perf_counter()
                _, records = store_synthetic_article(store, 1_000_000 + n, PER_ARTICLE)
                saving[name] += time.perf_counter() - t0
            text_bytes += sum(len(r["text"].encode()) for r in records)
            if n % 200 == 199:
                log(f"  {n + 1} articles")
        claims = articles * PER_ARTICLE
        rng = random.Random(22)
        verify_some(single, single_raw, args.verified, random.Random(7), set())
        verify_some(clustered, cluster_raw, args.verified, random.Random(7), set())
        grown = {"single": used_memory([single_raw]) - before["single"],
                 "cluster": used_memory(nodes) - before["cluster"]}
        marker_count, marker_bytes = markers(cluster_raw)

        queries = choose_queries(single_raw)
        limits: dict[str, int] = {}
        ops_single, items_single = read_ops(single, single_raw, args.samples, queries, limits)
        ops_cluster, items_cluster = read_ops(clustered, cluster_raw, args.samples, queries, limits)
        log(f"timing {len(ops_single)} reads x {args.samples} on each topology, interleaved")
        times = time_reads([ops_single, ops_cluster], rng, args.samples)

        log(f"CPU per read, {args.samples} of each on each topology, in alternating blocks of {CPU_BLOCK}")
        cpu = cpu_per_read([ops_single, ops_cluster], [[single_server.client()], nodes], args.samples)

        reads = {}
        for name in ops_single:
            s, c = times[0][name], times[1][name]
            reads[name] = {
                "single_ms": {"p50": percentile(s, 50) * 1000, "p99": percentile(s, 99) * 1000},
                "cluster_ms": {"p50": percentile(c, 50) * 1000, "p99": percentile(c, 99) * 1000},
                "p99_ratio": percentile(c, 99) / percentile(s, 99),
                "p50_ratio": percentile(c, 50) / percentile(s, 50),
                "cpu_ms": {"single": cpu[0][name], "cluster": cpu[1][name],
                           "ratio": sum(cpu[1][name].values()) / sum(cpu[0][name].values())},
                "items": {"single": items_single[name], "cluster": items_cluster[name]},
            }
        per_claim = {name: grown[name] / claims for name in grown}
        without_markers = (grown["cluster"] - marker_bytes) / claims
        emit(rounded({
            "benchmark": "cluster", "machine": machine(), "claims": claims, "articles": articles,
            "cluster_nodes": len(ports), "samples": args.samples,
            "reads": reads,
            "max_p99_ratio": max(r["p99_ratio"] for r in reads.values()),
            "save_ms_per_article": {name: saving[name] / articles * 1000 for name in saving},
            "save_ratio": saving["cluster"] / saving["single"],
            "bytes_per_claim": {**per_claim, "cluster_without_markers": without_markers,
                                "claim_text": text_bytes / claims},
            "bytes_ratio": per_claim["cluster"] / per_claim["single"],
            "bytes_ratio_without_markers": without_markers / per_claim["single"],
            "bookkeeping_keys": {"count": marker_count, "bytes": marker_bytes,
                                 "note": "tickets and locks left (none once every transaction finished)"},
        }))
        for client in (single_raw, cluster_raw, *nodes):
            client.close()
        single.close()
        clustered.close()


if __name__ == "__main__":
    main()
