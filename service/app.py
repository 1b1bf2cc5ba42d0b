"""The application factory: `create_app(config)` builds one independent API instance.

gunicorn calls it as ``service.app:create_app()`` (configuration from the environment);
tests call it with a `Config` of their own.
"""
from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import Any

import yaml
from flask import Flask, Request, Response, redirect
from flask_smorest import Api
from werkzeug.datastructures import ImmutableMultiDict

from . import api as api_package
from . import bodies, cli, console, docs, limits, logs, metrics, problems
from .api.operation_ids import OperationIds
from .auth import SECURITY_SCHEMES, ApiKeys
from .config import Config
from .problems import ProblemSchema
from .queue import extraction_queue
from .runtime import EXTENSION, Runtime
from .store import BadCursor, CursorExpired, Gone, Repositories

API_DESCRIPTION = (
    "Claimtrack finds the claims in English-language news articles (direct quotes, reported "
    "speech and mixed quotes), attributes each to its speaker, and tracks each claim's "
    "verification by fact-checkers with an audit trail.\n\n"
    "Post an article, poll it until `status` is `done`, then read its claims. Every `/v1` "
    "endpoint needs an API key (`X-API-Key: SECRET` or `Authorization: Bearer SECRET`); errors "
    "are `application/problem+json`. Articles are expected in English: text in other languages "
    "is accepted but yields few or no claims."
)


class ClaimtrackApi(Api):
    """flask-smorest's Api, answering and documenting errors as problem+json."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: Any) -> Response:
        return problems.handle_http_exception(error)

    def _register_responses(self) -> None:
        original = self.DEFAULT_RESPONSE_CONTENT_TYPE
        self.DEFAULT_RESPONSE_CONTENT_TYPE = problems.MEDIA_TYPE
        try:
            super()._register_responses()
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = original


class QueryArgs(ImmutableMultiDict):  # type: ignore[type-arg]
    """Query (and form) parameters that answer `get` of an absent name without raising.

    Werkzeug's `MultiDict.get` looks a name up by raising and catching a `BadRequestKeyError`
    (an HTTP exception, costly to make) when it is absent; webargs asks for every field of a
    schema, so a list page with two of its fifteen filters raised thirteen of them."""

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:
        if key not in self:
            return default
        return super().get(key, default, type)


class ClaimtrackRequest(Request):
    parameter_storage_class = QueryArgs


class ClaimtrackFlask(Flask):
    """Flask, remembering which of its functions are plain ``def`` functions.

    Flask asks `ensure_sync` of every hook, view and error handler on every request (about a
    dozen here), and each answer costs an `inspect.iscoroutinefunction`: about a tenth of
    the framework's own time per request. The answer for a function never changes, so it is
    kept per function (functions only: a bound method may be made afresh for each call)."""

    request_class = ClaimtrackRequest

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain_functions: set[FunctionType] = set()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if type(func) is FunctionType and func in self._plain_functions:
            return func
        wrapped = super().ensure_sync(func)
        if wrapped is func and type(func) is FunctionType:
            self._plain_functions.add(func)
        return wrapped


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = ClaimtrackFlask("claimtrack")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config.update(
        MAX_CONTENT_LENGTH=config.max_body_bytes,
        API_TITLE="Claimtrack",
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=docs.ASSETS_URL,
        OPENAPI_SWAGGER_UI_CONFIG=docs.SWAGGER_UI_CONFIG,
        API_SPEC_OPTIONS={
            "info": {"description": API_DESCRIPTION},
            "components": {"securitySchemes": SECURITY_SCHEMES},
        },
    )
    repos = Repositories.from_config(config, socket_timeout=config.redis_socket_timeout)
    app.extensions[EXTENSION] = Runtime(
        config=config,
        repos=repos,
        api_keys=ApiKeys.parse(config.api_keys),
        queue=extraction_queue(repos.raw, config),
    )

    api = ClaimtrackApi(app, spec_kwargs={"extra_plugins": [OperationIds()]})
    api_package.register(api)
    problems.install(app)
    app.register_error_handler(BadCursor, lambda error: problems.problem(400, str(error)))
    app.register_error_handler(Gone, lambda error: problems.problem(
        410, "The article was taken down; nothing of it is kept but this record.", type=problems.TYPES["deleted"],
        title="Taken down", extra={"deleted_at": error.tombstone["deleted_at"],
                                   "deleted_by": error.tombstone.get("deleted_by")}))
    app.register_error_handler(CursorExpired, lambda error: problems.problem(
        410, "The events after this cursor are older than the feed's retention and were dropped; "
             "start again without a cursor.", type=problems.TYPES["cursor_expired"]))
    logs.install(app)
    limits.install(app, config)
    cli.install(app)
    bodies.install(app, config.max_body_bytes)
    docs.install(app)
    if config.metrics:
        metrics.install(app, repos, config)
    console.install(app, config)

    @app.get("/openapi.yaml")
    def openapi_yaml() -> Response:
        return Response(openapi_document(api), mimetype="application/yaml")

    @app.get("/")
    def index() -> Response:
        return redirect("/docs")  # type: ignore[return-value]

    app.extensions["claimtrack.api"] = api
    return app


def openapi_document(api: Api) -> str:
    """The OpenAPI document as YAML: what `openapi.yaml` in the repository must equal."""
    return yaml.safe_dump(api.spec.to_dict(), sort_keys=False, allow_unicode=True)
