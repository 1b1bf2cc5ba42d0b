"""service/store/fanout.py: read-only commands on a Redis Cluster grouped by master by hand, one
packet each, and the client's own pipeline where that cannot be done."""
from __future__ import annotations

from service.store.connection import cluster_client
from service.store.fanout import fanout, flags, floats, pairs


def test_fanout_answers_as_one_command_at_a_time_across_every_master(redis_cluster):
    redis_cluster.flush()
    client = cluster_client(redis_cluster.url, 5.0)
    try:
        keys = [f"ct:fanout:{n}" for n in range(60)]  # spread over the three masters
        for n, key in enumerate(keys):
            client.zadd(key, {"a": n, "b": n + 0.5})
        client.sadd("ct:fanout:{tag}:set", 1, 2)
        commands = [("ZRANGE", key, 0, -1, "WITHSCORES") for key in keys]
        commands += [("ZMSCORE", keys[3], "a", "x"), ("SMISMEMBER", "ct:fanout:{tag}:set", 2, 3),
                     ("GET", "ct:fanout:missing")]
        replies = fanout(client, commands)
        assert len({client.keyslot(k) for k in keys}) > 3 and len(client.get_primaries()) == 3
        assert [pairs(r) for r in replies[:60]] == [[("a", float(n)), ("b", n + 0.5)] for n in range(60)]
        assert floats(replies[60]) == [3.0, None] and flags(replies[61]) == [True, False]
        assert replies[62] is None
    finally:
        client.close()


def test_a_stale_map_of_the_slots_falls_back_on_the_clients_pipeline(redis_cluster):
    """A master asked about a slot it does not serve answers MOVED (as while slots move);
    fanout then sends the same commands through redis-py's pipeline, which follows it."""
    redis_cluster.flush()
    client = cluster_client(redis_cluster.url, 5.0)
    try:
        key = "ct:fanout:moved"
        client.set(key, "here")
        slots = client.nodes_manager.slots_cache
        slot = client.keyslot(key)
        right = slots[slot][0]
        wrong = next(node for node in client.get_primaries() if node.name != right.name)
        slots[slot] = [wrong]
        replies = fanout(client, [("GET", key), ("GET", "ct:fanout:other")])
        assert replies == ["here", None]
        assert client.nodes_manager.slots_cache[slot][0].name == right.name, "the client learnt where it is"
    finally:
        client.close()


def test_a_connection_the_master_closed_is_replaced(redis_cluster):
    """fanout keeps a connection to each master between calls; one that the master closed
    meanwhile (a restart, a timeout, CLIENT KILL) fails that call over to the client's
    pipeline, and the next call opens it again."""
    from redis import Redis

    redis_cluster.flush()
    client = cluster_client(redis_cluster.url, 5.0)
    try:
        keys = [f"ct:fanout:{n}" for n in range(12)]
        for key in keys:
            client.set(key, key)
        commands = [("GET", key) for key in keys]
        assert fanout(client, commands) == keys
        for node in client.get_primaries():
            with Redis(host=node.host, port=node.port) as admin:
                admin.client_kill_filter(_type="normal", skipme=True)
        assert fanout(client, commands) == keys
        assert fanout(client, commands) == keys
    finally:
        client.close()
