"""The bare Flask JSON endpoint that bench/api.py measures the API against: served by the
same gunicorn configuration (`gunicorn -c python:service.gunicorn_conf bench._bare_app:app`),
it does nothing but answer a small JSON document, so its rate is what gunicorn and Flask
alone allow on this machine.

`/bare-redis` answers the same document after one Redis round trip of the shape a claim read
sends (two LINDEX and a GET of a claim-sized value, pipelined): the rate an endpoint with one
round trip and no work of its own would reach: more than `GET /v1/claims/{id}` can."""
from __future__ import annotations

import os
from functools import cache

from flask import Flask
from redis import Redis

app = Flask("bare")
#: The value `/bare-redis` reads (bench/api.py writes it, about a stored claim's size).
VALUE_KEY = "bench:bare-redis"


@cache
def _redis() -> Redis:
    return Redis.from_url(os.environ["REDIS_URL"], decode_responses=True, socket_timeout=2.0)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/bare")
def bare():
    return {"id": "clm_000000000000000000000000", "status": "ok", "items": [1, 2, 3]}


@app.get("/bare-redis")
def bare_redis():
    with _redis().pipeline(transaction=False) as pipe:
        pipe.lindex("bench:bare-redis:a", 9)
        pipe.lindex("bench:bare-redis:b", 99)
        pipe.get(VALUE_KEY)
        value = pipe.execute()[2]
    return {"id": "clm_000000000000000000000000", "status": "ok", "items": [1, 2, 3], "chars": len(value or "")}
