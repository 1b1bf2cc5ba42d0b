"""Read-only commands over a Redis Cluster in one round trip, without redis-py's cluster pipeline.

redis-py's cluster pipeline works out each command's keys by parsing the command, looks up its
node and wraps it in objects of its own: about 50 us of Python a command on the machine the
figures of docs/scaling.md come from, most of a list page's time on a cluster (a page probes
and reads about a hundred keys; cProfile of bench/cluster.py's reads). The store's reads know
their key, always the command's first argument: `fanout` hashes it (CRC16 of the hash tag, as
Redis does), groups the commands by the master that serves the slot, writes each master's
commands in one packet, every master's before it reads any reply, and reads the replies as
they come, without response callbacks.

It does so on connections of its own (`_Link`, one or more per master, kept between calls),
whose replies it parses with a hiredis reader of its own: redis-py's pool checks that a
connection it hands out has nothing to read (a system call) and its per-reply Python (health
checks, error mapping) cost about as much as the commands themselves. A command packed and
parsed this way costs the client about 1 us (2.2 us through the pool and redis-py's reader).

Where that cannot be done (a slot the client's map does not cover, a master that answers MOVED
or ASK while slots move, a connection that fails), the same commands go through the client's
own pipeline, which follows redirections, refreshes its map of the slots and retries; replies
then come through redis-py's response callbacks, so the callers parse either form (`pairs`,
`floats`, `flags`).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import hiredis
from redis import RedisCluster
from redis.crc import key_slot
from redis.exceptions import ConnectionError, RedisError, ResponseError


def fanout(client: RedisCluster, commands: Sequence[Sequence[Any]]) -> list[Any]:
    """The replies to `commands` (read-only, each on one key: its first argument), in order,
    in one round trip to each master concerned, all masters at once."""
    if not commands:
        return []
    groups: dict[str, list[int]] = {}
    nodes: dict[str, Any] = {}
    try:
        slots = client.nodes_manager.slots_cache
        for i, command in enumerate(commands):
            node = slots[slot_of(command[1])][0]
            name = node.name
            if name not in groups:
                groups[name], nodes[name] = [], node
            groups[name].append(i)
    except (KeyError, IndexError, AttributeError, TypeError):
        return _through_pipeline(client, commands)
    links = _links(client)
    replies: list[Any] = [None] * len(commands)
    taken: list[tuple[str, _Link, list[int]]] = []
    failed = True
    try:
        for name, positions in groups.items():
            link = links.take(name, nodes[name])
            taken.append((name, link, positions))
            link.send([commands[i] for i in positions])
        for _, link, positions in taken:
            for i, reply in zip(positions, link.read(len(positions))):
                replies[i] = reply
        failed = False
    except (RedisError, OSError, AttributeError, TypeError):
        pass
    finally:
        for name, link, _ in taken:
            if failed:  # replies may be left unread on it
                link.connection.disconnect()
            links.give(name, link)
    return _through_pipeline(client, commands) if failed else replies


def slot_of(key: str | bytes) -> int:
    """The hash slot of `key` (CRC16 of its hash tag, or of the whole name), remembered: a
    store's reads name the same index shards and buckets over and over."""
    slot = _SLOTS.get(key)
    if slot is None:
        if len(_SLOTS) >= _SLOTS_KEPT:
            _SLOTS.clear()
        slot = _SLOTS[key] = key_slot(key.encode() if isinstance(key, str) else key)
    return slot


_SLOTS: dict[str | bytes, int] = {}
#: Keys whose slots are remembered (about 100 bytes each), after which the memory starts over.
_SLOTS_KEPT = 50_000


class _Link:
    """A connection to one master that only `fanout` uses, with a reader of its own: every
    command sent on it has its reply read before the link is given back, so nothing is ever
    left on it, and its replies are parsed by hiredis in C without redis-py's per-reply
    Python (the health check, the pool's checks that a connection taken is clean)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.reader: Any = None
        self.buffer = bytearray(65536)

    def send(self, commands: Sequence[Sequence[Any]]) -> None:
        connection = self.connection
        if connection._sock is None or self.reader is None:
            connection.connect()
            encoder = connection.encoder
            self.reader = hiredis.Reader(
                replyError=ResponseError, notEnoughData=_MORE, errors=encoder.encoding_errors,
                **({"encoding": encoder.encoding} if encoder.decode_responses else {}))
        connection.send_packed_command([b"".join([hiredis.pack_command(tuple(c)) for c in commands])],
                                       check_health=False)

    def read(self, count: int) -> list[Any]:
        replies = []
        reader, sock, buffer = self.reader, self.connection._sock, self.buffer
        while len(replies) < count:
            reply = reader.gets()
            if reply is _MORE:
                got = sock.recv_into(buffer)
                if not got:
                    raise ConnectionError("the master closed the connection")
                reader.feed(buffer, 0, got)
            elif isinstance(reply, ResponseError):
                raise reply
            else:
                replies.append(reply)
        return replies


_MORE = object()


class _Links:
    """`fanout`'s idle links, per master, in this process (a forked child starts with none)."""

    def __init__(self, client: RedisCluster) -> None:
        self.pid = os.getpid()
        self.idle: dict[str, list[_Link]] = {}

    def take(self, name: str, node: Any) -> _Link:
        try:
            return self.idle[name].pop()
        except (KeyError, IndexError):
            # Taken from the node's pool and never given back, so that closing the client
            # (which disconnects every connection of its pools) closes it too.
            return _Link(node.redis_connection.connection_pool.get_connection())

    def give(self, name: str, link: _Link) -> None:
        self.idle.setdefault(name, []).append(link)


def _links(client: RedisCluster) -> _Links:
    links = getattr(client, "_fanout_links", None)
    if links is None or links.pid != os.getpid():
        links = _Links(client)
        client._fanout_links = links  # type: ignore[attr-defined]
    return links


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
