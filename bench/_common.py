"""What the benchmark scripts share: throwaway processes, a private redis-server, timing.

Every process a benchmark starts goes through `Processes`, which puts it in a session of
its own and, on exit (normal, exception, SIGINT or SIGTERM), stops the whole session:
SIGTERM first, SIGKILL after a grace period. Nothing here touches the Redis on 6379.
"""
from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
PY = sys.executable
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

API_KEY = "SECRET"
API_KEYS = f"bench:{API_KEY}:admin"
QUEUE = "claimtrack"


def log(*parts: Any) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]", *parts, file=sys.stderr, flush=True)


def emit(figures: dict[str, Any]) -> None:
    """The script's one line of JSON on stdout."""
    print(json.dumps(figures, separators=(",", ":"), default=_json_default), flush=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(type(value))


def rounded(value: Any, digits: int = 3) -> Any:
    """Round every float in a nested structure (JSON output stays readable)."""
    if isinstance(value, float):
        return round(value, digits) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    return value


def machine() -> dict[str, Any]:
    """What a reader needs to judge the absolute numbers."""
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu": cpu, "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version()}


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]) of unsorted values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p90/p99/mean/max in milliseconds of durations given in seconds."""
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50": percentile(ms, 50), "p90": percentile(ms, 90), "p99": percentile(ms, 99),
            "mean": sum(ms) / len(ms) if ms else float("nan"), "max": max(ms) if ms else float("nan")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """Child processes that are stopped, with everything they started, when the block ends.

    Use as a context manager; SIGINT and SIGTERM to the benchmark raise SystemExit inside
    the block, so the cleanup runs for them too.
    """

    def __init__(self) -> None:
        self.children: list[subprocess.Popen[bytes]] = []
        self.tmp = Path(tempfile.mkdtemp(prefix="claimtrack-bench-"))
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "Processes":
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.stop_all()
        finally:
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)
            shutil.rmtree(self.tmp, ignore_errors=True)

    @staticmethod
    def _on_signal(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    def start(self, argv: Sequence[str], *, env: dict[str, str] | None = None, name: str,
              cwd: Path = REPO) -> subprocess.Popen[bytes]:
        """Start `argv` in its own session (in `cwd`), its output in a log file under the temp dir."""
        out = open(self.tmp / f"{name}.log", "ab")
        try:
            proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            out.close()
        proc.bench_name = name  # type: ignore[attr-defined]
        self.children.append(proc)
        return proc

    def log_of(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, proc: subprocess.Popen[bytes], grace: float = 20.0) -> None:
        """SIGTERM to the process's session, SIGKILL to whatever is left after `grace`."""
        if proc in self.children:
            self.children.remove(proc)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        # The session may hold processes that outlive its leader (RQ's work horse and
        # scheduler, gunicorn's workers): kill the group whatever happened.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)

    def stop_all(self) -> None:
        for proc in reversed(list(self.children)):
            self.stop(proc, grace=10.0)


#: The memory settings scripts/redis.conf gives the private Redis and docs/operations.md asks of
#: a production one: every bucket of a search word's index stays an intset (layout.py).
MEMORY_SETTINGS = ["--set-max-intset-entries", "4096"]


class RedisServer:
    """A redis-server on a free port with its data in the temp dir; never the shared one."""

    def __init__(self, procs: Processes, *, durable: bool = False, name: str = "redis",
                 notify: bool = True) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed (`make bench` installs it)")
        self.port = free_port()
        data = procs.tmp / name
        data.mkdir()
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if durable else ["--appendonly", "no"]
        persistence += MEMORY_SETTINGS
        if notify:  # hash changes, for DoneWatcher
            persistence += ["--notify-keyspace-events", "Kh"]
        self.process = procs.start(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(data), "--save", "",
             "--protected-mode", "yes", "--daemonize", "no", *persistence],
            name=name,
        )
        self.procs = procs
        from redis import Redis

        client = Redis(port=self.port, socket_connect_timeout=0.5)
        for _ in range(200):
            with contextlib.suppress(Exception):
                if client.ping():
                    client.close()
                    return
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {procs.log_of(name)[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self, decode: bool = True):
        from redis import Redis

        return Redis.from_url(self.url, decode_responses=decode)


def service_env(redis_url: str, port: int | None = None, **extra: str) -> dict[str, str]:
    """The environment of the API and the workers, as the brief fixes it."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CLAIMTRACK_", "WEB_CONCURRENCY"))
           or k in ("CLAIMTRACK_SPACY_MODEL", "CLAIMTRACK_ATTRIBUTION_MODEL")}
    env.update(REDIS_URL=redis_url, HOST="127.0.0.1", CLAIMTRACK_API_KEYS=API_KEYS, CLAIMTRACK_RATE_LIMIT="off",
               LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    if port is not None:
        env["PORT"] = str(port)
    env.update(extra)
    return env


def gunicorn_binary() -> str:
    candidate = Path(PY).parent / "gunicorn"
    return str(candidate) if candidate.exists() else "gunicorn"


def start_gunicorn(procs: Processes, redis_url: str, *, app: str = "service.app:create_app()",
                   workers: int | None = None, name: str = "gunicorn", health: str = "/healthz",
                   env: dict[str, str] | None = None, tree: Path = REPO) -> str:
    """gunicorn with the service's own configuration (and `env`); returns the base URL once it
    answers. `tree`: the checkout whose code it runs (another one: a before/after comparison)."""
    port = free_port()
    extra = {} if workers is None else {"WEB_CONCURRENCY": str(workers)}
    extra.update(env or {})
    env = service_env(redis_url, port, **extra)
    proc = procs.start([gunicorn_binary(), "-c", "python:service.gunicorn_conf", app], env=env, name=name, cwd=tree)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {procs.log_of(name)[-3000:]}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(base + health, timeout=1) as response:
                if response.status == 200:
                    return base
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer: {procs.log_of(name)[-3000:]}")


def worker_count(redis_url: str) -> int:
    from redis import Redis
    from rq import Worker

    conn = Redis.from_url(redis_url)
    try:
        return len([w for w in Worker.all(connection=conn) if w.get_state() != "suspended"])
    finally:
        conn.close()


def start_workers(procs: Processes, redis_url: str, count: int, *, argv: Sequence[str] | None = None,
                  name: str = "worker", extra_env: dict[str, str] | None = None) -> list[subprocess.Popen[bytes]]:
    """`count` worker processes; returns once all have registered with RQ (model loaded:
    a worker registers only after its preload)."""
    before = worker_count(redis_url)
    env = service_env(redis_url, **(extra_env or {}))
    started = [procs.start(list(argv or [PY, "-m", "workers.worker"]), env=env, name=f"{name}{i}")
               for i in range(count)]
    deadline = time.monotonic() + 180
    while worker_count(redis_url) < before + count:
        for i, proc in enumerate(started):
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited: {procs.log_of(f'{name}{i}')[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError("workers did not register")
        time.sleep(0.1)
    return started


class DoneWatcher:
    """Tells when articles reach `done` (or `failed`) without polling Redis in a loop: it
    listens to the keyspace notifications of the article hashes (the private redis-server
    is started with them on), and checks an article's status when its hash changes. Create
    it before the articles are posted, so that no change is missed."""

    def __init__(self, redis_url: str) -> None:
        from redis import Redis

        from service.store import Keys

        self.key = Keys.article
        self.client = Redis.from_url(redis_url, decode_responses=True)
        self.prefix = f"__keyspace@0__:{Keys.article('')}"
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.psubscribe(self.prefix + "*")

    def close(self) -> None:
        self.pubsub.close()
        self.client.close()

    def _check(self, ids: Sequence[str]) -> list[str]:
        with self.client.pipeline(transaction=False) as pipe:
            for aid in ids:
                pipe.hget(self.key(aid), "status")
            return [aid for aid, state in zip(ids, pipe.execute()) if state in ("done", "failed")]

    def wait(self, article_ids: Sequence[str], timeout: float) -> dict[str, float]:
        """Each article's time (time.perf_counter) when it was first seen done or failed."""
        pending = set(article_ids)
        seen: dict[str, float] = {}
        now = time.perf_counter()
        for aid in self._check(list(pending)):
            seen[aid] = now
            pending.discard(aid)
        deadline = time.monotonic() + timeout
        last_sweep = time.monotonic()
        while pending:
            message = self.pubsub.get_message(timeout=0.5)
            arrived = time.perf_counter()
            if message is not None:
                channel = message["channel"]
                aid = channel[len(self.prefix):] if isinstance(channel, str) else channel.decode()[len(self.prefix):]
                if aid in pending and self._check([aid]):
                    seen[aid] = arrived
                    pending.discard(aid)
            if time.monotonic() - last_sweep > 2.0 and pending:  # belt and braces
                now = time.perf_counter()
                for aid in self._check(list(pending)):
                    seen[aid] = now
                    pending.discard(aid)
                last_sweep = time.monotonic()
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"{len(pending)} articles not done after {timeout}s")
        return seen


@contextlib.contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    box: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


def post_json(base: str, path: str, body: dict[str, Any], timeout: float = 30.0) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method="POST",
                                     headers={"Content-Type": "application/json", "X-API-Key": API_KEY})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read())


def store_synthetic_article(store: Any, seed: int, claims: int, **fields: str) -> tuple[str, list[dict]]:
    """One synthetic article (`_fixtures.synthetic_claims`) stored with its claims through
    the store's real write path, as a worker would, without a job; returns its id and claims."""
    from _fixtures import synthetic_claims

    text, records = synthetic_claims(seed, claims)
    article, _ = store.articles.create({"text": text, **fields}, [], lambda pipe, aid: None)
    store.jobs.start_processing(article["id"])
    store.claims.save(article["id"], records)
    store.claims.index_words(article["id"])  # the job's follow-up step (service/store/search.py)
    return article["id"], records


@functools.cache
def encoder_on() -> bool:
    """Whether the workers run the attribution encoder: CLAIMTRACK_ATTRIBUTION_MODEL, as the
    service reads it (benchmarks pass it on to the workers they start)."""
    from service.config import Config

    return Config.from_env().attribution_model


def extractor_model() -> Any:
    """The extraction pipeline (`load_model`, as the workers load it, with the encoder when
    `encoder_on`), once per process, warmed on a few articles so that first-call allocations
    stay out of what is timed."""
    from _fixtures import articles
    from workers.extraction import extract_claims, load_model

    nlp = load_model(None, attribution=encoder_on())
    for text in articles(3, seed=99):
        extract_claims(text, nlp)
    return nlp


def model_name() -> str:
    """The spaCy package the workers load (the same choice as `load_model(None)`)."""
    from service.config import Config

    configured = Config.from_env().spacy_model
    if configured:
        return configured
    from workers.extraction.pipeline import installed_model

    return installed_model()


_CLK = os.sysconf("SC_CLK_TCK")


def process_stats() -> Iterator[tuple[int, list[str]]]:
    """(pid, the fields of /proc/PID/stat after the command) of every process now:
    state, ppid, pgrp, session, ..., utime (index 11), stime, cutime, cstime."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        yield int(entry.name), fields


def session_cpu_seconds(leaders: Sequence[int]) -> float:
    """CPU time (user + system) of every process in the sessions led by `leaders`, plus
    what their reaped children used (a finished work horse's time moves to its parent)."""
    sessions = set(leaders)
    total = sum(sum(int(f) for f in fields[11:15]) for _, fields in process_stats() if int(fields[3]) in sessions)
    return total / _CLK
