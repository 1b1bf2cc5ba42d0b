"""API keys, roles, and the decorator that guards each endpoint.

Keys come from two places. ``CLAIMTRACK_API_KEYS`` (``NAME:SECRET:ROLES,...``, roles joined
by ``+``) is read at start; only a SHA-256 digest of each secret is kept in memory, and a
presented secret is compared against every configured digest with `hmac.compare_digest`, so
the time a check takes says nothing about how close a guess was. Managed keys are created and
revoked through ``/v1/keys`` while the service runs (that is how a key is rotated without a
restart); Redis holds only their digests, and a presented key is looked up by its digest, which
reveals nothing about the secret either. NAME is the principal recorded in audit history.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app, g, request
from flask_smorest import Blueprint
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .config import ConfigError
from .problems import abort
from .runtime import runtime
from .store import digest

if TYPE_CHECKING:
    from redis.client import Pipeline

    from .store import Repositories

ROLES = ("ingest", "read", "verify", "admin", "metrics")

#: OpenAPI security schemes; an endpoint accepts either.
SECURITY_SCHEMES = {
    "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "BearerToken": {"type": "http", "scheme": "bearer"},
}
SECURITY = [{"ApiKeyHeader": []}, {"BearerToken": []}]
#: app.extensions entry of the failed-authentication limit (`limits.AuthFailures`), if any.
AUTH_FAILURES = "claimtrack.auth_failures"

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
#: A view's first read, queued on the guard's pipeline: given the repositories, the pipeline
#: and the view's URL arguments, it queues its commands and returns what turns their replies
#: into what the view reads (`prefetched`).
Prefetch = Callable[..., Callable[[Sequence[Any]], Any]]


@dataclass(frozen=True)
class Principal:
    name: str
    roles: frozenset[str]

    def can(self, role: str) -> bool:
        return "admin" in self.roles or role in self.roles


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


class ApiKeys:
    """The configured keys, held as digests."""

    def __init__(self, entries: Iterable[tuple[bytes, Principal]] = ()) -> None:
        self._entries = list(entries)

    @classmethod
    def parse(cls, spec: str) -> "ApiKeys":
        """Parse ``NAME:SECRET:ROLES`` entries; a malformed entry is a configuration error
        (named by position, never by its secret) rather than a silently missing key."""
        entries = []
        names = set()
        for position, item in enumerate((p.strip() for p in spec.split(",")), start=1):
            if not item:
                continue
            parts = item.split(":")
            if len(parts) != 3 or not all(parts):
                raise ConfigError(f"CLAIMTRACK_API_KEYS entry {position} is not NAME:SECRET:ROLES")
            name, secret, roles_spec = parts
            roles = frozenset(r.strip() for r in roles_spec.split("+") if r.strip())
            unknown = roles - set(ROLES)
            if not roles or unknown:
                raise ConfigError(
                    f"CLAIMTRACK_API_KEYS entry {position} ({name}) has unknown roles {sorted(unknown)}; "
                    f"use {', '.join(ROLES)} joined by '+'"
                )
            if name in names:
                raise ConfigError(f"CLAIMTRACK_API_KEYS names {name!r} twice")
            names.add(name)
            entries.append((_digest(secret), Principal(name, roles)))
        return cls(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> frozenset[str]:
        return frozenset(principal.name for _, principal in self._entries)

    def authenticate(self, secret: str) -> Principal | None:
        presented = _digest(secret)
        found = None
        for stored, principal in self._entries:
            if hmac.compare_digest(stored, presented):
                found = principal
        return found

    def find_digest(self, hex_digest: str) -> Principal | None:
        """The configured key whose secret has this `secret_digest`."""
        try:
            presented = bytes.fromhex(hex_digest)
        except ValueError:
            return None
        found = None
        for stored, principal in self._entries:
            if hmac.compare_digest(stored, presented):
                found = principal
        return found


def secret_digest(secret: str) -> str:
    return digest(secret)


def authenticate_digest(hex_digest: str) -> Principal | None:
    """The principal of a key known by its `secret_digest` (what a console session keeps),
    looked up afresh so that a revoked key ends its sessions too."""
    rt = runtime()
    found = rt.api_keys.find_digest(hex_digest)
    if found is not None:
        return found
    managed = rt.repos.api_keys.find(hex_digest)
    return Principal(managed["name"], frozenset(managed["roles"])) if managed else None


def authenticate(secret: str) -> Principal | None:
    rt = runtime()
    found = rt.api_keys.authenticate(secret)
    if found is not None:
        return found
    managed = rt.repos.api_keys.find(secret_digest(secret))
    return Principal(managed["name"], frozenset(managed["roles"])) if managed else None


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def presented_secret() -> str | None:
    key = request.headers.get("X-API-Key")
    if key:
        return key.strip()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def client_address() -> str:
    """The client's address (behind CLAIMTRACK_TRUSTED_PROXIES, the one they forwarded)."""
    return request.remote_addr or "unknown"


def authenticated() -> Principal | None:
    """The principal of the key this request presents, None without a known key; looked up
    once per request (the rate limiter asks first, to count the request against the key)."""
    if "presented_principal" not in g:
        secret = presented_secret()
        g.presented_principal = authenticate(secret) if secret else None
    return g.presented_principal  # type: ignore[no-any-return]


def requires(role: str, prefetch: Prefetch | None = None, checked_read: bool = False) -> Callable[[F], F]:
    """Guard a view: 401 without a known key, 403 when the key lacks `role`.

    Apply it right under ``@blp.route`` so that it runs before argument parsing: an
    anonymous caller learns nothing about the endpoint's validation rules.

    With `prefetch`, the view's first read goes to Redis in the same round trip as the
    failed-authentication check (one round trip instead of two for a read of one record);
    the view takes it with `prefetched`. It is read whatever the checks find, and used only
    once they have passed, so the answers of a locked-out or unknown key do not depend on it.

    With `checked_read`, for a read that depends on the view's parsed arguments (a list
    page), the check goes to Redis with the view's first read instead (`read_checked`): the
    view runs before the check and the key's authentication, and whatever it answers (a page,
    a validation error) is held back until both have passed; until then it reads and
    nothing else. A locked-out address, a wrong key or a missing role is answered as without
    it (429, 401, 403; before a validation error), and the view's work does not depend on the
    key, so neither does the time it takes.
    """
    if role not in ROLES:
        raise ValueError(role)

    def decorator(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            secret = presented_secret()
            failures = current_app.extensions.get(AUTH_FAILURES)
            if secret and failures is not None:
                address = client_address()
                if checked_read and not failures.known(address):
                    return _checked_by_view(view, role, failures, address, args, kwargs)
                if prefetch is not None and not failures.known(address):
                    check_and_prefetch(failures, address, prefetch, kwargs)
                failures.refuse_if_exceeded(address)
            _admit(role, secret, failures)
            return view(*args, **kwargs)

        guarded.prefetch = prefetch  # type: ignore[attr-defined]  # for the rate limiter's key (limits.py)
        documented = Blueprint.doc(
            security=SECURITY, responses={
                "401": "UNAUTHORIZED",
                "403": "FORBIDDEN",
                "429": "TOO_MANY_REQUESTS",
                "503": "SERVICE_UNAVAILABLE",
            },
        )
        return documented(guarded)  # type: ignore[no-any-return]

    return decorator


def _admit(role: str, secret: str | None, failures: Any) -> None:
    """401 without a known key (a presented one counted as a failure), 403 when the key lacks
    `role`; else the principal, for `principal`."""
    principal = authenticated()
    if principal is None:
        if secret and failures is not None:
            failures.record(client_address())
        abort(
            401,
            "Send a valid API key in the X-API-Key header (or Authorization: Bearer).",
            headers={"WWW-Authenticate": 'Bearer realm="claimtrack"'},
        )
    if not principal.can(role):
        abort(403, f"This API key does not have the {role!r} role.")
    g.principal = principal


#: `g` entry of a view's pending lockout check (`requires`' `checked_read`): (role, failures, address).
_PENDING = "pending_check"


def _checked_by_view(view: Callable[..., Any], role: str, failures: Any, address: str, args: Any,
                     kwargs: dict[str, Any]) -> Any:
    """Run `view` with the lockout check left to its first read (`read_checked`), then make
    sure the check and the key's authentication were done (here, if the view read nothing
    with them) before its answer or its error is let out. A Redis that fails is answered 503
    as it is, for every key alike, without a second wait for the check."""
    setattr(g, _PENDING, (role, failures, address))
    try:
        answer = view(*args, **kwargs)
    except (RedisConnectionError, RedisTimeoutError):
        raise
    except Exception:
        _settle(role, failures, address)
        raise
    _settle(role, failures, address)
    return answer


def _settle(role: str, failures: Any, address: str) -> None:
    """The lockout check (its reply already in, after `read_checked`) and then the key's,
    once: nothing to do when they were settled already."""
    if g.pop(_PENDING, None) is None:
        return
    failures.refuse_if_exceeded(address)
    _admit(role, presented_secret(), failures)


def read_checked(queue: Callable[[Pipeline], Callable[[Sequence[Any]], T]]) -> T:
    """The view's first read: `queue` queues its commands on a pipeline and returns what turns
    their replies into the result. When the guard left the lockout check to the view
    (`requires`' `checked_read`), the check travels in the same round trip, and is settled,
    with the key's authentication (429, 401, 403), before the result is made."""
    repos: Repositories = runtime().repos
    pending = g.get(_PENDING)
    pipe: Pipeline
    with repos.redis.pipeline(transaction=False) as pipe:
        settle = pending[1].queue_check(pipe, pending[2]) if pending is not None else None
        checks = len(pipe)
        finish = queue(pipe)
        replies = pipe.execute(raise_on_error=False)
    if pending is not None and settle is not None:
        settle(replies[:checks])
        _settle(*pending)
    return finish(replies[checks:])


def view_prefetch() -> Prefetch | None:
    """The `prefetch` the guard of this request's view was given, if any (the rate limiter,
    which checks the failures before the guard runs, sends it in the same round trip)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "prefetch", None)


def check_and_prefetch(failures: Any, address: str, prefetch: Prefetch, kwargs: dict[str, Any]) -> None:
    """The failed-authentication check (`limits.AuthFailures`) and the view's first read in
    one pipeline; the read's result waits in `g` for `prefetched`."""
    repos: Repositories = runtime().repos
    pipe: Pipeline
    with repos.redis.pipeline(transaction=False) as pipe:
        settle = failures.queue_check(pipe, address)
        checks = len(pipe)
        finish = prefetch(repos, pipe, **kwargs)
        replies = pipe.execute(raise_on_error=False)
    settle(replies[:checks])
    g.prefetched = lambda: finish(replies[checks:])


def prefetched(read: Callable[[], T]) -> T:
    """What the guard read for this view (`requires`' `prefetch`), else `read()`."""
    finish = g.pop("prefetched", None)
    return finish() if finish is not None else read()  # type: ignore[no-any-return]


def principal() -> Principal:
    return g.principal
