"""The bare Flask JSON endpoint that bench/api.py measures the API against: served by the
same gunicorn configuration (`gunicorn -c python:service.gunicorn_conf bench._bare_app:app`),
it does nothing but answer a small JSON document, so its rate is what gunicorn and Flask
alone allow on this machine."""
from __future__ import annotations

from flask import Flask

app = Flask("bare")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/bare")
def bare():
    return {"id": "clm_000000000000000000000000", "status": "ok", "items": [1, 2, 3]}
