"""Helpers shared by the tests: API keys, a redis-server process, seeded articles."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from redis import Redis, RedisCluster

from service.config import Config
from service.store import Keys, Repositories

API_KEYS = ",".join(
    [
        "ops:admin-secret:admin",
        "newsroom:ingest-secret:ingest",
        "reader:read-secret:read",
        "alice:verify-secret:read+verify",
        "bob:verify2-secret:read+verify",
    ]
)
KEY = {
    "admin": "admin-secret",
    "ingest": "ingest-secret",
    "read": "read-secret",
    "verify": "verify-secret",
    "verify2": "verify2-secret",
}


def headers(who: str, **extra: str) -> dict[str, str]:
    return {"X-API-Key": KEY[who], **extra}


def store_env(config: Config) -> dict[str, str]:
    """The environment that names `config`'s store to a child process (a worker, scripts/run.sh):
    REDIS_URL, and on a cluster CLAIMTRACK_REDIS_CLUSTER with the queue Redis beside it."""
    env = {"REDIS_URL": config.redis_url}
    if config.redis_cluster:
        env.update(CLAIMTRACK_REDIS_CLUSTER="on", CLAIMTRACK_QUEUE_URL=config.queue_url)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server child process that tests may kill and restart on the same data."""

    def __init__(self, data_dir: Path, *, durable: bool = False, cluster: bool = False) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed; `make test` installs it")
        self.binary = binary
        self.dir = data_dir
        self.port = free_port()
        self.durable = durable
        #: A Redis Cluster node: its cluster bus on a port of its own (not port + 10000, which
        #: may be taken or past 65535), its view of the cluster in nodes.conf in `dir`.
        self.cluster_port = free_port() if cluster else None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else ["--appendonly", "no"]
        )
        cluster = ([] if self.cluster_port is None else
                   ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                    "--cluster-port", str(self.cluster_port), "--cluster-node-timeout", "2000",
                    "--cluster-require-full-coverage", "no"])
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--save", "", "--protected-mode", "yes", *persistence, *cluster],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(200):
            try:
                if client.ping():
                    return
            except Exception:
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {self.process.returncode}") from None
                time.sleep(0.05)
        raise RuntimeError("redis-server did not answer")

    def kill(self) -> None:
        """SIGKILL: no chance to flush anything that was not already on disk."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class WholeCluster(RedisCluster):
    """The tests' view of the cluster holding the store: a key listing, a count or an MGET is
    of the whole cluster (every primary, every slot), as the same call is of the whole server
    on one redis-server, so that a test reads the same on both topologies."""

    def keys(self, pattern: str = "*", **kwargs: Any) -> list[Any]:
        """The keys of every primary, but the cross-slot transactions' bookkeeping (locks and
        tickets, gone once their transaction is; service/store/cross_slot.py), which holds
        nothing of the store's records, unless `pattern` asks for it."""
        bookkeeping = ("ct:ticket:", "ct:lock:")
        asked = pattern.startswith(bookkeeping)
        return sorted({k for k in self.scan_iter(match=pattern, count=1000)
                       if asked or not str(k).startswith(bookkeeping)})

    def dbsize(self, **kwargs: Any) -> int:
        return sum(self.dbsize_of(node) for node in self.get_primaries())

    def dbsize_of(self, node: Any) -> int:
        return int(node.redis_connection.dbsize())

    def mget(self, keys: Any, *args: Any) -> list[Any]:
        return self.mget_nonatomic(keys, *args)


class LocalCluster:
    """A Redis Cluster of `size` masters (no replicas) on free loopback ports, each node a
    `RedisServer` in a folder of its own under `data_dir`, so that a test may kill one node
    and restart it on its data (durable nodes keep every acknowledged write)."""

    def __init__(self, data_dir: Path, size: int = 3, *, durable: bool = False) -> None:
        self.nodes = []
        for index in range(size):
            folder = data_dir / f"node{index}"
            folder.mkdir(parents=True, exist_ok=True)
            self.nodes.append(RedisServer(folder, durable=durable, cluster=True))

    @property
    def url(self) -> str:
        """One node's URL: what REDIS_URL holds with CLAIMTRACK_REDIS_CLUSTER on."""
        return f"redis://127.0.0.1:{self.nodes[0].port}"

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        binary = shutil.which("redis-cli")
        if binary is None:
            raise RuntimeError("redis-cli is not installed; `make test` installs it with redis-server")
        subprocess.run([binary, "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in self.nodes),
                        "--cluster-replicas", "0", "--cluster-yes"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        self.wait_ok()

    def wait_ok(self, timeout: float = 60.0) -> None:
        """Until every node says cluster_state:ok and knows all the others."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self._ok(node) for node in self.nodes):
                return
            time.sleep(0.1)
        raise RuntimeError("the local Redis Cluster did not reach cluster_state:ok")

    def _ok(self, node: RedisServer) -> bool:
        try:
            with Redis(port=node.port, socket_timeout=1, decode_responses=True) as client:
                info = client.execute_command("CLUSTER", "INFO")
                if isinstance(info, dict):
                    state, known = info.get("cluster_state"), int(info.get("cluster_known_nodes", 0))
                else:
                    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
                    state, known = fields.get("cluster_state"), int(fields.get("cluster_known_nodes", 0))
                return state == "ok" and known == len(self.nodes)
        except Exception:
            return False

    def flush(self) -> None:
        for node in self.nodes:
            with Redis(port=node.port) as client:
                client.flushall()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def claim_record(text: str, start: int, *, speaker: str = "Maria Okafor", kind: str = "person",
                 claim_type: str = "direct", mention: str | None = None, title: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    """A claim as the extraction pipeline hands it to the store."""
    return {
        "text": text,
        "type": claim_type,
        "start": start,
        "end": start + len(text),
        "cue": "said",
        "speaker": {"name": speaker, "mention": mention or speaker.split()[-1], "title": title, "kind": kind},
        "confidence": 0.9,
        **extra,
    }


def seed_article(client: FlaskClient, store: Repositories, text: str, claims: list[dict[str, Any]], **fields: Any) -> str:
    """Post an article through the API, then store claims for it as a worker would."""
    response = client.post("/v1/articles", json={"text": text, **fields}, headers=headers("ingest"))
    assert response.status_code == 202, response.json
    article_id = response.json["id"]
    assert store.jobs.start_processing(article_id) == (text, 1)
    assert store.claims.save(article_id, claims)
    store.claims.index_words(article_id)  # the job's follow-up step (service/store/search.py)
    return article_id


def quote_article(client: FlaskClient, store: Repositories, quote: str, speaker: str, *, kind: str = "person",
                  title: str | None = None, **fields: Any) -> tuple[str, dict[str, Any]]:
    """Post an article holding one quote by `speaker` and store that claim; returns
    (article id, the stored claim)."""
    text = f'"{quote}," {speaker} said.'
    aid = seed_article(client, store, text, [claim_record(quote, 1, speaker=speaker, kind=kind, title=title)],
                       **fields)
    return aid, store.claims.of_article(aid).items[0]


def stored_claim_count(redis) -> int:
    """How many claims the index of every claim holds (a bucketed index: one set per bucket)."""
    return sum(redis.scard(key) for key in redis.scan_iter(match=Keys.claims + "*"))


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """Warm shutdown, then make sure nothing of the worker's process group is left behind
    (a group a test stopped with SIGSTOP is woken first, or it could not shut down)."""
    try:
        os.killpg(worker.pid, signal.SIGCONT)
    except ProcessLookupError:
        pass
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_for(condition: Any, what: str, timeout: float = 180.0, interval: float = 0.05,
             tolerate: tuple[type[BaseException], ...] = ()) -> Any:
    """`condition()`'s first true value, polled every `interval` seconds; an error in
    `tolerate` counts as not yet (a Redis or cluster still coming back)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except tolerate:
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"gave up waiting for {what}")
