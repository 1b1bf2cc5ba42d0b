"""Read-only commands over a Redis Cluster in one round trip, without redis-py's cluster pipeline.

redis-py's cluster pipeline works out each command's keys by parsing the command, looks up its
node and wraps it in objects of its own: about 50 us of Python a command on the machine the
figures of docs/scaling.md come from, most of a list page's time on a cluster (a page probes
and reads about a hundred keys; cProfile of bench/cluster.py's reads). The store's reads know
their key, always the command's first argument: `fanout` hashes it (CRC16 of the hash tag, as
Redis does), groups the commands by the master that serves the slot, writes each master's
commands in one packet, every master's before it reads any reply, and reads the replies as
they come, without response callbacks.

Where that cannot be done (a slot the client's map does not cover, a master that answers MOVED
or ASK while slots move, a connection that fails), the same commands go through the client's
own pipeline, which follows redirections, refreshes its map of the slots and retries; replies
then come through redis-py's response callbacks, so the callers parse either form (`pairs`,
`floats`, `flags`).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis import RedisCluster
from redis.crc import key_slot
from redis.exceptions import RedisError


def fanout(client: RedisCluster, commands: Sequence[Sequence[Any]]) -> list[Any]:
    """The replies to `commands` (read-only, each on one key: its first argument), in order,
    in one round trip to each master concerned, all masters at once."""
    if not commands:
        return []
    groups: dict[str, tuple[Any, list[int]]] = {}
    try:
        slots = client.nodes_manager.slots_cache
        for i, command in enumerate(commands):
            key = command[1]
            node = slots[key_slot(key.encode() if isinstance(key, str) else key)][0]
            groups.setdefault(node.name, (node, []))[1].append(i)
    except (KeyError, IndexError, AttributeError):
        return _through_pipeline(client, commands)
    replies: list[Any] = [None] * len(commands)
    taken: list[tuple[Any, Any, list[int]]] = []
    failed = False
    try:
        for node, positions in groups.values():
            pool = node.redis_connection.connection_pool
            connection = pool.get_connection()
            taken.append((pool, connection, positions))
            connection.send_packed_command(connection.pack_commands([commands[i] for i in positions]))
        for _, connection, positions in taken:
            for i in positions:
                replies[i] = connection.read_response()
    except (RedisError, OSError, AttributeError):
        failed = True
    finally:
        for pool, connection, _ in taken:
            if failed:  # replies may be left unread on it
                connection.disconnect()
            pool.release(connection)
    return _through_pipeline(client, commands) if failed else replies


def _through_pipeline(client: RedisCluster, commands: Sequence[Sequence[Any]]) -> list[Any]:
    with client.pipeline(transaction=False) as pipe:
        for command in commands:
            pipe.execute_command(*command)
        return pipe.execute()


def pairs(reply: Sequence[Any]) -> list[tuple[str, float]]:
    """A sorted set range WITHSCORES, raw (member, score, ...) or as redis-py's pairs."""
    if reply and isinstance(reply[0], (list, tuple)):
        return [(member, float(score)) for member, score in reply]
    return [(member, float(score)) for member, score in zip(reply[::2], reply[1::2])]


def floats(reply: Sequence[Any]) -> list[float | None]:
    """ZMSCORE's reply: a score, or None where the member is not there."""
    return [None if value is None else float(value) for value in reply]


def flags(reply: Sequence[Any]) -> list[bool]:
    """SMISMEMBER's reply: 1 and 0, or redis-py's booleans."""
    return [bool(int(value)) for value in reply]
