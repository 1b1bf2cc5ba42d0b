"""gunicorn settings: ``gunicorn -c python:service.gunicorn_conf 'service.app:create_app()'``.

HOST (default 127.0.0.1; the container image sets 0.0.0.0), PORT (default 8000),
WEB_CONCURRENCY (worker processes, default 2 per CPU + 1) and WEB_THREADS (threads per worker
process, default 4) come from the environment.

The worker is gthread with whole requests read in the main loop before a thread takes them
(`service.serving`), so that slow clients cannot hold the threads; see docs/serving.md.
"""
import multiprocessing
import os
import tempfile

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "service.serving.BufferedThreadWorker"
threads = int(os.environ.get("WEB_THREADS", "4"))
# Open connections per worker process; each may buffer up to CLAIMTRACK_MAX_BODY_BYTES.
worker_connections = 200
timeout = 30
graceful_timeout = 20
keepalive = 5
# The app writes its own JSON access log with request ids; gunicorn's would duplicate it.
accesslog = None
errorlog = "-"
# gunicorn's own lines (start-up, worker boots) as JSON too.
logger_class = "service.gunicorn_logging.JsonLogger"
# gunicorn 27's control socket (gunicornc) defaults to one fixed path per user, which two
# instances on one machine would fight over: off, unless GUNICORN_CONTROL_SOCKET names a path
# of this instance's own.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
# /metrics sums what every gunicorn worker counted (prometheus-client's multiprocess mode,
# service/metrics.py): each instance gets a fresh directory unless one is named, and this runs
# before any worker imports prometheus-client.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="claimtrack-api-metrics-")


def on_starting(server: object) -> None:
    """Send the app's logs (the JSON access log with request ids) to stderr as JSON lines;
    gunicorn's workers inherit this when they are forked."""
    from service import logs

    logs.configure(os.environ.get("LOG_LEVEL", "INFO"))
