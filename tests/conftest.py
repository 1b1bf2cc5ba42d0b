"""Shared fixtures: a throwaway redis-server per test session, and apps bound to it.

The tests never touch a Redis they did not start: the server below listens on a free port
with its data in a temporary folder, and each test starts from an empty database.
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

from helpers import API_KEYS, RedisServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis(redis_server: RedisServer) -> Iterator[Redis]:
    client = Redis.from_url(redis_server.url, decode_responses=True)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def config(redis_server: RedisServer, redis: Redis) -> Config:
    return Config(redis_url=redis_server.url, api_keys=API_KEYS, job_retries=0, rate_limit="", auth_failure_limit="")


@pytest.fixture
def app(config: Config) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def store(app: Flask) -> Repositories:
    return app.extensions[EXTENSION].repos
