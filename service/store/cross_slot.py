"""Transactions that span hash slots, for a store on a Redis Cluster.

On one server every write of the store is a WATCH / MULTI / EXEC transaction (`base.transaction`)
over whatever keys it needs. A cluster runs MULTI/EXEC only within one hash slot, and most of the
store's transactions touch several (an article, its claims, the indexes, the speakers, the change
feed). This module gives the same bodies the same guarantees on a cluster, without changing them:

- **Isolation: locks where WATCH was.** ``pipe.watch(key)`` takes ``ct:lock:{key}`` (SET NX with a
  lease, in the key's own slot) for the transaction. A key already locked means another
  transaction is between its reads and its writes: ours lets go of its locks and starts again,
  as a WatchError does on one server. Every store write that reads before it writes WATCHes what
  it read, so every such writer takes the same locks and two of them never interleave.
- **Atomicity: written intent, rolled forward.** The writes queued after ``multi()`` are grouped by
  slot. One group (the usual case for small writes) is one MULTI/EXEC, as on one server. Several
  are first given a *ticket* each (`Keys.ticket`, in the group's slot: "still to apply"), then
  written down as one *intent* (`Keys.intent`, in one MULTI with its entry in `Keys.intents`);
  the locks are made permanent (a process that dies now leaves them to whoever finishes its
  intent); then every group is applied, each by one script in its own slot (atomic there, as a
  MULTI/EXEC) that applies it only if its ticket is there and deletes the ticket, so that a group
  is applied once however many processes finish the intent, all the groups in one pipelined
  round trip per node; then the locks and the intent go, and nothing of the transaction's
  bookkeeping is left in the store. A process killed anywhere in between leaves an intent that
  the next transaction wanting one of its keys finishes (`finish_intent`, after `STALE_INTENT`
  seconds), and so does every extraction worker's maintenance pass (`finish_intents`): every
  group is applied exactly once, and no other write to those keys happens before. A process
  killed (or a node that does not answer) between its tickets and its intent leaves tickets that
  nothing applies: they expire after a day (`TICKET_LEASE`); the intent's round trip that makes
  the locks permanent makes its tickets permanent too.
- **What readers may see:** the groups of one transaction become visible slot by slot, within
  one round trip, not at once as on one server; a reader never sees a group half applied. An
  index entry may so be visible a moment before the claim record it names (the readers skip a
  claim whose record they do not find, as they do one taken down while a page is read).
  docs/guarantees.md says which guarantees hold differently.

A lock without an intent (its transaction was still reading, or died while reading) expires
after `LOCK_LEASE`; nothing was written under it. Keys written without a WATCH anywhere (the
claim counter, a webhook's delivery log) need no lock and take none.
"""
from __future__ import annotations

import base64
import json
import random
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from redis import RedisCluster
from redis.commands.core import DataAccessCommands
from redis.exceptions import RedisError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .base import hold_before_multi
from .layout import Keys

#: How long a lock lasts without an intent (ms): far longer than any transaction's reads (a
#: long article's save reads for well under a second).
LOCK_LEASE = 30_000
#: An intent older than this (s) is taken to belong to a process that died, and is finished by
#: whoever needs one of its keys. A live process applies its intent within milliseconds; one
#: finishing it at the same time changes nothing (each group is applied once).
STALE_INTENT = 2.0
#: How long a transaction waits for locks held by others before it gives up (s).
LOCK_WAIT = 10.0
#: How long a ticket lasts before its intent makes it permanent (s): a process that dies just
#: after writing its intent leaves tickets that must outlive the wait for a finisher (a writer of
#: one of its keys, or a worker's maintenance pass, within minutes).
TICKET_LEASE = 24 * 3600

#: Commands with several keys, split into one command per key before grouping by slot.
_PER_KEY = {"delete": "delete", "unlink": "unlink"}
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
#: One slot's group of writes, atomically: KEYS[1] is its ticket (or, with ARGV[1] = 0, any key
#: of the slot, for a group that needs none); then each command as its number of arguments
#: followed by them. With a ticket, the group is applied only while its ticket is there, which
#: it deletes: returns 0 when it was applied already.
_APPLY = """
local ticketed = ARGV[1] == '1'
if ticketed and redis.call('DEL', KEYS[1]) == 0 then return 0 end
local i = 2
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return 1
"""


class _Capture(DataAccessCommands):
    """redis-py's command methods, returning the command they would send instead of sending it
    (so that a queued write is kept as plain arguments: grouped, written into an intent, sent
    by `_APPLY`)."""

    def execute_command(self, *args: Any, **options: Any) -> Any:
        return list(args)


_capture = _Capture()


class LockTimeout(RedisTimeoutError):
    """Another transaction held a key this one needs for longer than `LOCK_WAIT`: to a client,
    the store did not answer in time (503 with Retry-After), as with a slow server."""


Command = tuple[str, list[Any], dict[str, Any]]


def _encode(value: Any) -> Any:
    """JSON for an intent: bytes (packed claim records) as {"b64": ...}."""
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {"d": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "b64" in value:
            return base64.b64decode(value["b64"])
        return {_decode(k): _decode(v) for k, v in value["d"]}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def key_of(command: Command) -> str:
    name, args, kwargs = command
    return str(kwargs["name"] if "name" in kwargs else args[0])


def split(commands: Iterable[Command]) -> list[Command]:
    """One key per command: DEL of several keys and MSET become one command per key."""
    out: list[Command] = []
    for name, args, kwargs in commands:
        if name in _PER_KEY and len(args) > 1:
            out += [(name, [key], {}) for key in args]
        elif name == "mset":
            out += [("set", [key, value], {}) for key, value in dict(args[0]).items()]
        else:
            out.append((name, list(args), dict(kwargs)))
    return out


def group(client: RedisCluster, commands: Iterable[Command]) -> list[list[list[Any]]]:
    """The commands as the arguments they send, grouped by hash slot (in the order of each
    group's first command)."""
    groups: dict[int, list[list[Any]]] = {}
    for command in split(commands):
        name, args, kwargs = command
        groups.setdefault(client.keyslot(key_of(command)), []).append(getattr(_capture, name)(*args, **kwargs))
    return list(groups.values())


def issue_tickets(client: RedisCluster, txid: str, groups: Sequence[Sequence[Sequence[Any]]]) -> None:
    """One ticket per group of transaction `txid`, in the group's slot, in one pipelined round
    trip per node: written before the intent, so that every group an intent holds has one. They
    expire after `TICKET_LEASE` until the intent is written and they are made permanent with the
    locks, so that those of a transaction that never wrote its intent (its process died, or a
    node did not answer) do not stay."""
    with client.pipeline(transaction=False) as pipe:
        for commands in groups:
            pipe.set(Keys.ticket(str(commands[0][1]), txid), 1, ex=TICKET_LEASE)
        pipe.execute()


def drop_tickets(client: RedisCluster, txid: str, groups: Sequence[Sequence[Sequence[Any]]]) -> None:
    """Withdraw the tickets of a transaction that will not be applied."""
    with client.pipeline(transaction=False) as pipe:
        for commands in groups:
            pipe.delete(Keys.ticket(str(commands[0][1]), txid))
        pipe.execute()


def apply_groups(client: RedisCluster, txid: str | None, groups: Sequence[Sequence[Sequence[Any]]]) -> None:
    """Every group in one pipelined round trip per node, each group by one `_APPLY` in its slot;
    with `txid`, each only while its ticket is there (`issue_tickets`), which it takes."""
    with client.pipeline(transaction=False) as pipe:
        for commands in groups:
            first_key = str(commands[0][1])
            flat: list[Any] = []
            for command in commands:
                flat += [len(command), *command]
            if txid is None:
                pipe.execute_command("EVAL", _APPLY, 1, first_key, 0, *flat)
            else:
                pipe.execute_command("EVAL", _APPLY, 1, Keys.ticket(first_key, txid), 1, *flat)
        pipe.execute()


def finish_intent(client: RedisCluster, txid: str) -> bool:
    """Apply whatever of intent `txid` is not applied yet, then drop it and its locks.
    False when there was no such intent (already finished)."""
    raw = client.get(Keys.intent(txid))
    if raw is None:
        client.zrem(Keys.intents, txid)
        return False
    intent = json.loads(raw)
    apply_groups(client, txid, _decode(intent["groups"]))
    # Locks before the intent: an intent outliving its locks is only applied again as no-ops
    # (its tickets are taken).
    release(client, txid, intent["locks"])
    _end_intent(client, txid)
    return True


def finish_intents(client: RedisCluster, older_than: float = STALE_INTENT, limit: int = 500) -> list[str]:
    """Finish the intents left for more than `older_than` seconds (their process died); the
    extraction workers' maintenance pass calls it. Returns their ids."""
    cutoff = int((time.time() - older_than) * 1000)
    stale = client.zrangebyscore(Keys.intents, "-inf", cutoff, start=0, num=limit)
    return [txid for txid in stale if finish_intent(client, txid)]


def _end_intent(client: RedisCluster, txid: str) -> None:
    with client.pipeline(transaction=True) as pipe:
        pipe.delete(Keys.intent(txid))
        pipe.zrem(Keys.intents, txid)
        pipe.execute()


def release(client: RedisCluster, txid: str, keys: Iterable[str]) -> None:
    """Drop the locks of `keys` that `txid` still holds (never another transaction's)."""
    keys = list(keys)
    if not keys:
        return
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.execute_command("EVAL", _RELEASE, 1, Keys.lock(key), txid)
        pipe.execute()


class CrossSlotTransaction:
    """One attempt of one transaction: its id, the keys it has locked, and its commit."""

    def __init__(self, client: RedisCluster) -> None:
        self.client = client
        self.txid = secrets.token_hex(8)
        self.locked: set[str] = set()
        #: Set once the intent is written and until it is finished: then the locks belong to
        #: the intent (whoever finishes it releases them), not to this attempt.
        self.pending_intent = False

    def lock(self, keys: Iterable[str]) -> None:
        """Take the locks of `keys`; WatchError (after finishing a dead holder's intent) when
        another transaction holds one."""
        wanted = sorted({str(k) for k in keys} - self.locked)
        if not wanted:
            return
        with self.client.pipeline(transaction=False) as pipe:
            for key in wanted:
                pipe.set(Keys.lock(key), self.txid, nx=True, px=LOCK_LEASE)
            taken = pipe.execute()
        self.locked.update(k for k, ok in zip(wanted, taken) if ok)
        busy = [k for k, ok in zip(wanted, taken) if not ok]
        if busy:
            for holder in {h for h in (self.client.get(Keys.lock(k)) for k in busy) if h}:
                since = self.client.zscore(Keys.intents, holder)
                if since is not None and since < (time.time() - STALE_INTENT) * 1000:
                    finish_intent(self.client, holder)
            raise WatchError("a key is locked by another transaction")

    def commit(self, commands: Sequence[Command]) -> list[Any]:
        """Apply the queued writes: one group directly, several through an intent."""
        groups = group(self.client, commands)
        if not groups:
            return []
        if len(groups) == 1:
            apply_groups(self.client, None, groups)
            return [None] * len(groups[0])
        intent = json.dumps({"groups": _encode(groups), "locks": sorted(self.locked)})
        issue_tickets(self.client, self.txid, groups)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.set(Keys.intent(self.txid), intent)
            pipe.zadd(Keys.intents, {self.txid: int(time.time() * 1000)})
            pipe.execute()
        self.pending_intent = True
        locks = sorted(self.locked)
        with self.client.pipeline(transaction=False) as pipe:
            for commands in groups:
                pipe.persist(Keys.ticket(str(commands[0][1]), self.txid))
            for key in locks:
                pipe.persist(Keys.lock(key))
                pipe.get(Keys.lock(key))
            held = pipe.execute()[len(groups):][1::2]
        if any(h != self.txid for h in held):
            # A lock outlived its lease (this transaction's reads took that long) and may have
            # been taken since: write nothing, and start again. The tickets go first: whoever
            # read the intent meanwhile then applies nothing of it.
            drop_tickets(self.client, self.txid, groups)
            _end_intent(self.client, self.txid)
            self.pending_intent = False
            raise WatchError("a lock's lease ran out before the commit")
        apply_groups(self.client, self.txid, groups)
        # Locks before the intent, as in `finish_intent`.
        release(self.client, self.txid, self.locked)
        self.locked = set()
        _end_intent(self.client, self.txid)
        self.pending_intent = False
        return [None] * sum(len(g) for g in groups)

    def release(self) -> None:
        """Let go of this attempt's locks, unless an unfinished intent holds them (a failure
        while applying it: whoever finishes the intent releases them)."""
        if self.pending_intent:
            return
        release(self.client, self.txid, self.locked)
        self.locked = set()


class ClusterPipe:
    """What a transaction body is handed on a cluster, in place of redis-py's Pipeline: reads
    go to the cluster at once, `watch` locks, and after `multi` commands are queued until
    `execute` commits them (`CrossSlotTransaction.commit`)."""

    def __init__(self, tx: CrossSlotTransaction) -> None:
        self._tx = tx
        self._queued: list[Command] | None = None

    def watch(self, *keys: str) -> None:
        self._tx.lock(keys)

    def unwatch(self) -> None:
        """Nothing to do: the transaction lets go of its locks when its body returns."""

    def multi(self) -> None:
        self._queued = []

    def execute(self) -> list[Any]:
        queued, self._queued = self._queued or [], None
        return self._tx.commit(queued)

    def mget(self, keys: Sequence[str], *more: str) -> list[Any]:
        if self._queued is not None:
            raise TypeError("reads belong before multi()")
        return self._tx.client.mget_nonatomic(list(keys) + list(more))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._queued is None:
            return getattr(self._tx.client, name)
        queued = self._queued

        def queue(*args: Any, **kwargs: Any) -> "ClusterPipe":
            queued.append((name, list(args), kwargs))
            return self
        return queue


def transaction(client: RedisCluster, body: Callable[[Any], Any], before_exec: Callable[[str], None] | None,
                name: str, after_attr: str) -> Any:
    """`base.transaction` on a cluster: `body` run on a `ClusterPipe` until no lock it wanted
    was held by another transaction, then what it handed to `base.after_commit`."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        tx = CrossSlotTransaction(client)
        pipe = ClusterPipe(tx)
        hold_before_multi(pipe, before_exec, name)
        setattr(pipe, after_attr, [])
        try:
            result = body(pipe)
        except WatchError:
            tx.release()
            if time.monotonic() > deadline:
                raise LockTimeout(f"keys of {name or 'a transaction'} stayed locked for {LOCK_WAIT} s") from None
            time.sleep(random.uniform(0.001, 0.02))
            continue
        except BaseException:
            try:
                tx.release()
            except RedisError:
                pass  # the failure that got us here; the locks' lease ends them
            raise
        tx.release()
        for action in getattr(pipe, after_attr):
            action()
        return result
