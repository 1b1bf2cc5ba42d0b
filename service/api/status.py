"""`GET /v1/status`: is the pipeline processing articles? (admin or the `metrics` role)

`/readyz` answers load balancers (does Redis answer); this answers operators: queue depths and
ages, each worker's state and heartbeat, and a verdict (`service.pipeline` defines it).
"""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from .. import pipeline
from ..auth import requires
from ..runtime import runtime
from ..store import ARTICLE_STATUSES

blp = Blueprint("status", __name__, url_prefix="/v1", description="The job pipeline's state (operators).")


class QueueStateSchema(Schema):
    name = fields.String(required=True)
    depth = fields.Integer(required=True, metadata={"description": "Jobs waiting in the queue."})
    oldest_age_seconds = fields.Float(required=True, allow_none=True,
                                      metadata={"description": "How long the oldest waiting job has waited."})
    started = fields.Integer(required=True, metadata={"description": "Jobs being run now."})
    scheduled = fields.Integer(required=True, metadata={"description": "Jobs waiting for a retry's back-off."})
    failed = fields.Integer(required=True, metadata={"description": "Jobs that failed for good (kept 7 days)."})
    live_workers = fields.Integer(required=True)


class WorkerStateSchema(Schema):
    name = fields.String(required=True)
    hostname = fields.String(required=True, allow_none=True)
    pid = fields.Integer(required=True, allow_none=True)
    state = fields.String(required=True, metadata={"example": "idle"})
    queues = fields.List(fields.String(), required=True)
    current_job = fields.String(required=True, allow_none=True)
    heartbeat_age_seconds = fields.Float(required=True, allow_none=True)
    live = fields.Boolean(required=True, metadata={
        "description": "Whether the worker's last heartbeat is at most `stall_after` seconds old."})


class StatusSchema(Schema):
    verdict = fields.String(required=True, validate=validate.OneOf(pipeline.VERDICTS), metadata={
        "description": "`stalled`: work waits and no live worker serves its queue; `degraded`: a queue "
                       "has no live worker, a worker stopped beating, or the oldest job waited longer "
                       "than `stall_after`; `ok` otherwise."})
    reasons = fields.List(fields.String(), required=True)
    stall_after = fields.Integer(required=True, metadata={"description": "CLAIMTRACK_STALL_AFTER, seconds."})
    checked_at = fields.String(required=True)
    queues = fields.List(fields.Nested(QueueStateSchema), required=True)
    workers = fields.List(fields.Nested(WorkerStateSchema), required=True)
    articles = fields.Dict(keys=fields.String(validate=validate.OneOf(ARTICLE_STATUSES)),
                           values=fields.Integer(), required=True,
                           metadata={"description": "Articles in each status."})


@blp.route("/status", methods=["GET"])
@requires("metrics")
@blp.response(200, StatusSchema)
def status() -> Any:
    """The pipeline's state: queues, workers, and a verdict"""
    rt = runtime()
    return pipeline.read(rt.repos, rt.config).as_dict()
