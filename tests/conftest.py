"""Shared fixtures: throwaway Redis servers per test session, and apps bound to them.

The tests never touch a Redis they did not start: the servers below listen on free ports
with their data in temporary folders, and each test starts from empty databases.

Two topologies: a single redis-server holding everything (every test), and a local
3-master Redis Cluster holding the store with a redis-server beside it for the job queues
(tests marked ``both_topologies`` run on each; ``--topology single`` or ``cluster`` picks
one). The cluster is started once per session, on first use.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from service import create_app
from service.config import Config
from service.runtime import EXTENSION
from service.store import Repositories

from helpers import API_KEYS, LocalCluster, RedisServer, WholeCluster

TOPOLOGIES = ("single", "cluster")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--topology", choices=(*TOPOLOGIES, "both"), default="both",
                     help="which store topologies the tests marked both_topologies run on")
    parser.addoption("--all-on-cluster", action="store_true",
                     help="run every test's store (the redis/config/app fixtures) on the Redis Cluster")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_topologies: run on a single Redis and on a Redis Cluster")
    config.addinivalue_line("markers", "watch_race: forces transactions to overlap between their reads and "
                                       "their writes, which a cluster's locks rule out (test_cross_slot.py "
                                       "tests that instead): single Redis only, skipped with --all-on-cluster")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--all-on-cluster"):
        return
    skip = pytest.mark.skip(reason="watch_race: the overlap it forces between reads and writes cannot happen on "
                                   "a cluster, whose transactions lock what they read (test_cross_slot.py checks "
                                   "that a writer is kept out instead)")
    for item in items:
        if item.get_closest_marker("watch_race"):
            item.add_marker(skip)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "topology" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_topologies") \
            and not metafunc.definition.get_closest_marker("watch_race"):
        chosen = metafunc.config.getoption("--topology")
        metafunc.parametrize("topology", TOPOLOGIES if chosen == "both" else (chosen,), scope="session")


@pytest.fixture(scope="session")
def topology(pytestconfig: pytest.Config) -> str:
    """The store's topology; "single" unless the test is marked both_topologies (or the
    session runs with --all-on-cluster)."""
    return "cluster" if pytestconfig.getoption("--all-on-cluster") else "single"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A 3-master Redis Cluster on free loopback ports (no persistence)."""
    cluster = LocalCluster(tmp_path_factory.mktemp("redis-cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def queue_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """The job queues' own Redis, beside the cluster."""
    server = RedisServer(tmp_path_factory.mktemp("queue-redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis(request: pytest.FixtureRequest, topology: str) -> Iterator[Redis]:
    """A decoding client of the store, emptied (and the queue Redis with it, on a cluster)."""
    if topology == "cluster":
        cluster: LocalCluster = request.getfixturevalue("redis_cluster")
        queue: RedisServer = request.getfixturevalue("queue_server")
        cluster.flush()
        with Redis.from_url(queue.url) as queue_client:
            queue_client.flushall()
        client: Redis = WholeCluster.from_url(cluster.url, decode_responses=True)
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        client = Redis.from_url(server.url, decode_responses=True)
        client.flushall()
    yield client
    client.close()


@pytest.fixture
def config(request: pytest.FixtureRequest, topology: str, redis: Redis) -> Config:
    base = Config(api_keys=API_KEYS, job_retries=0, rate_limit="", auth_failure_limit="")
    if topology == "cluster":
        return base.replace(redis_url=request.getfixturevalue("redis_cluster").url, redis_cluster=True,
                            queue_url=request.getfixturevalue("queue_server").url)
    return base.replace(redis_url=request.getfixturevalue("redis_server").url)


@pytest.fixture
def queue_redis(config: Config, redis: Redis) -> Iterator[Redis]:
    """A decoding client of the job queues' Redis (emptied by `redis`): the store's own server
    on one server, the queue Redis beside a cluster. Keys that RQ, or a job through its
    connection, writes are read here."""
    client = Redis.from_url(config.queue_redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def app(config: Config) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def store(app: Flask) -> Repositories:
    return app.extensions[EXTENSION].repos
