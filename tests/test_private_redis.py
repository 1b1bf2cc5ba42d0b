"""`make run` without REDIS_URL starts a redis-server of its own (a unix socket under its var
folder, append-only) and never uses a Redis that merely answers on a default address."""
from __future__ import annotations

import os

from redis import Redis

from session import Session, alive, children, cmdline, wait_for


def test_make_run_without_redis_url_uses_a_private_redis(tmp_path, redis_server, redis):
    var = tmp_path / "var"
    log = tmp_path / "run.log"
    session = Session(None, CLAIMTRACK_VAR_DIR=str(var), CLAIMTRACK_RATE_LIMIT="1000 per minute")
    with open(log, "wb") as out:
        session.stdout = out
        with session:
            aid = session.post_article('"The bridge will open in May," said Maria Okafor.\n')
            assert aid is not None
            wait_for(lambda: session.status(aid) == "done", "the article to be extracted", timeout=120)
            assert session.process is not None
            servers = [p for p in children(session.process.pid) if "redis-server" in cmdline(p) and alive(p)]
            assert len(servers) == 1, "one private redis-server, a child of the session"
            socket = var / "redis" / "redis.sock"
            private = Redis(unix_socket_path=str(socket), decode_responses=True)
            assert private.hget(f"ct:article:{aid}", "status") == "done"
            assert private.config_get("appendonly")["appendonly"] == "yes"
            assert private.config_get("port")["port"] == "0", "no TCP port: only this session's socket"
            assert oct(os.stat(socket).st_mode & 0o777) == "0o700"
            assert session.stop() == 0
        assert not alive(servers[0]), "the private Redis stops with the session"
    printed = log.read_text()
    assert f"unix://{socket}" in printed
    # The tests' own Redis (on a loopback port, as another application's would be) was never used.
    assert redis.dbsize() == 0
