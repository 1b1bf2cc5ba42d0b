"""The gunicorn worker that serves the API: gthread, with whole requests read before a thread runs.

gunicorn's own gthread worker hands a connection to a thread as soon as its first byte arrives;
the thread then blocks while the client sends the rest of its headers and body. A client that
sends one byte a second holds a thread, and as many such clients as there are threads take the
API offline. This worker reads each request's head and body in the main loop, without
blocking, as a buffering proxy would, and gives a thread only a request that has fully arrived:

- A request that has not fully arrived within ``CLAIMTRACK_REQUEST_TIMEOUT`` seconds of its
  first byte (or of the connection) is answered 408 and closed.
- A body larger than the limit (``CLAIMTRACK_MAX_BODY_BYTES``; with ``Content-Length`` or
  chunked) is answered 413 here, then read and thrown away (up to `DISCARD_BYTES`, for at most
  the request timeout) before the connection closes: a client still sending its body can then
  read the 413 instead of meeting a reset connection ("broken pipe").
- gunicorn's own error answers (a request line over ``limit_request_line``: 414, too many or
  too large header fields: 431, malformed requests: 400) are problem+json like the app's, and
  like the app's answers, every answer given here carries a request id (``X-Request-Id`` and
  ``request_id`` in the body).

Memory is bounded by worker_connections x the body limit per process. What a deployment still
needs in front is in docs/serving.md. This depends on gthread's structure (its accept,
keep-alive and handle steps), so gunicorn is pinned exactly; tests/test_serving.py fails when
the structure changes.
"""
from __future__ import annotations

import errno
import json
import re
import secrets
import selectors
import socket
import time
from functools import partial
from http import HTTPStatus
from typing import Any

from gunicorn.http import errors as http_errors
from gunicorn.workers.gthread import TConn, ThreadWorker

from .config import Config

#: Largest over-limit body read and thrown away so that its sender can read the 413.
DISCARD_BYTES = 64 * 1024 * 1024
#: Seconds a thread waits on a client's socket (a request the main loop let through unread, a
#: response the client does not read) before it gives the connection up.
IO_TIMEOUT = 30.0
#: Seconds a closed connection's late input is still read and dropped (gunicorn's own is 2).
LINGER_SECONDS = 2.0

_CONTENT_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*([^\r\n]*?)[ \t]*\r?$", re.I | re.M)
_CHUNKED = re.compile(rb"^transfer-encoding[ \t]*:[^\r\n]*chunked", re.I | re.M)
_EXPECT_CONTINUE = re.compile(rb"^expect[ \t]*:[ \t]*100-continue[ \t]*\r?$", re.I | re.M)
_HTTP11 = re.compile(rb"^[^\r\n]* HTTP/1\.1\r?\n")

_DONE, _MORE, _TOO_LARGE, _MALFORMED = "done", "more", "too large", "malformed"


def problem_bytes(status: int, detail: str, *, close: bool = True, extra: str = "",
                  request_id: str | None = None) -> bytes:
    """A complete HTTP/1.1 problem+json response, for answers given outside the app. Like the
    app's answers it carries a request id (a fresh one unless given), in ``X-Request-Id`` and
    in the body, so that a client can quote it and an operator find it in the log."""
    phrase = HTTPStatus(status).phrase
    request_id = request_id or secrets.token_hex(8)
    body = json.dumps({"type": "about:blank", "title": phrase, "status": status, "detail": detail,
                       "request_id": request_id}).encode()
    head = (f"HTTP/1.1 {status} {phrase}\r\nContent-Type: application/problem+json\r\n"
            f"Content-Length: {len(body)}\r\nX-Request-Id: {request_id}\r\n{extra}"
            + ("Connection: close\r\n" if close else "") + "\r\n")
    return head.encode("latin-1") + body


class _Incoming:
    """What has arrived of one request, and what is still expected."""

    def __init__(self, limit: int, max_head: int, timeout: float) -> None:
        self.buf = bytearray()
        self.limit = limit
        self.max_head = max_head
        self.deadline = time.monotonic() + timeout
        self.head_end = -1
        self.length: int | None = None
        self.chunked = False
        self.continued = False
        # chunked-body scan state
        self.pos = 0
        self.chunk_left = 0
        self.need_crlf = False
        self.trailers = False
        self.decoded = 0

    def feed(self, data: bytes) -> str:
        self.buf += data
        if self.head_end < 0:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                # Let gunicorn's parser answer a head over its limits (414/431).
                return _MALFORMED if len(self.buf) > self.max_head else _MORE
            self.head_end = end + 4
            head = bytes(self.buf[:self.head_end])
            self.chunked = bool(_CHUNKED.search(head))
            lengths = _CONTENT_LENGTH.findall(head)
            if lengths:
                if self.chunked or len(lengths) > 1 or not lengths[0].isdigit() or len(lengths[0]) > 18:
                    return _MALFORMED  # gunicorn's parser refuses these with a 400
                self.length = int(lengths[0])
                if self.length > self.limit:
                    return _TOO_LARGE
            self.pos = self.head_end
        if self.chunked:
            return self._scan_chunks()
        if self.length is None:
            return _DONE
        return _DONE if len(self.buf) - self.head_end >= self.length else _MORE

    def wants_continue(self) -> bool:
        head = bytes(self.buf[:self.head_end])
        return not self.continued and bool(_HTTP11.match(head)) and bool(_EXPECT_CONTINUE.search(head))

    def _scan_chunks(self) -> str:
        buf = self.buf
        while True:
            if self.chunk_left:
                take = min(len(buf) - self.pos, self.chunk_left)
                self.pos += take
                self.chunk_left -= take
                if self.chunk_left:
                    return _MORE
                self.need_crlf = True
            if self.need_crlf:
                if len(buf) - self.pos < 2:
                    return _MORE
                self.pos += 2
                self.need_crlf = False
            line_end = buf.find(b"\r\n", self.pos)
            if line_end < 0:
                return _MALFORMED if len(buf) - self.pos > 4096 else _MORE
            line = bytes(buf[self.pos:line_end])
            self.pos = line_end + 2
            if self.trailers:
                if not line:
                    return _DONE
                continue
            size = line.split(b";", 1)[0].strip()
            if not size or len(size) > 16 or any(c not in b"0123456789abcdefABCDEF" for c in size):
                return _MALFORMED
            self.chunk_left = int(size, 16)
            if self.chunk_left == 0:
                self.trailers = True
                continue
            self.decoded += self.chunk_left
            if self.decoded > self.limit:
                return _TOO_LARGE


class _Discarding:
    """A connection whose answer has been sent and whose write side is shut: what the client
    still sends is read and dropped until it closes (RFC 9112 section 9.6), so that it can read
    the answer instead of meeting a reset. `counted` connections still count in nr_conns."""

    def __init__(self, deadline: float, counted: bool) -> None:
        self.deadline = deadline
        self.counted = counted
        self.left = DISCARD_BYTES


class _Conn(TConn):
    """gthread's connection, closed by lingering in the main loop rather than in a blocking
    wait of up to 2 s there (gunicorn's close_graceful), which a client that sends
    ``Connection: close`` and keeps its socket open would turn into a stall of every request."""

    worker: "BufferedThreadWorker | None" = None

    def close(self, graceful: bool = False) -> None:
        if graceful and self.worker is not None:
            self.worker.linger(self)
        else:
            super().close()


class _TimedSocket(socket.socket):
    """A client socket whose blocking mode has a timeout: gthread puts sockets in blocking mode
    for its threads, and a thread must never wait on one client for ever."""

    __slots__ = ()

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(IO_TIMEOUT)
        else:
            super().setblocking(False)


class BufferedThreadWorker(ThreadWorker):
    """gthread, reading every request in full in the main loop before a thread takes it."""

    def init_process(self) -> None:
        config = Config.from_env()
        self.body_limit = config.max_body_bytes
        self.request_timeout = float(config.request_timeout)
        cfg = self.cfg
        self.max_head = cfg.limit_request_line + cfg.limit_request_fields * (cfg.limit_request_field_size + 2) + 4
        self.incoming: dict[Any, Any] = {}
        super().init_process()

    # -- reading requests in the main loop ----------------------------------------------------

    def accept(self, listener: socket.socket) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        client_sock.__class__ = _TimedSocket
        conn = _Conn(self.cfg, client_sock, client_addr, listener.getsockname())
        conn.worker = self
        if self.cfg.is_ssl:  # TLS ends in front of the API (docs/serving.md); keep gunicorn's path for it
            client_sock.setblocking(True)
            self.enqueue_req(conn)
            return
        self._start_reading(conn)

    def on_client_socket_readable(self, conn: Any, client: Any) -> None:
        """A kept-alive connection sends its next request: read it like a new one."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._start_reading(conn)

    def _start_reading(self, conn: Any) -> None:
        conn.sock.setblocking(False)
        self.incoming[conn] = _Incoming(self.body_limit, self.max_head, self.request_timeout)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn: Any, client: Any) -> None:
        state = self.incoming[conn]
        if isinstance(state, _Discarding):
            self._discard(conn, state)
            return
        try:
            data = conn.sock.recv(256 * 1024)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(conn)
            return
        if not data:
            self._drop(conn)
            return
        outcome = state.feed(data)
        if outcome == _MORE:
            if state.head_end >= 0 and state.wants_continue():
                state.continued = True
                self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
            return
        if outcome == _TOO_LARGE:
            self._refuse_body(conn)
            return
        self._dispatch(conn, bytes(state.buf))

    def _dispatch(self, conn: Any, data: bytes) -> None:
        self.poller.unregister(conn.sock)
        del self.incoming[conn]
        conn.sock.setblocking(True)
        conn.data_ready = True
        conn.prefetched = data
        self.enqueue_req(conn)

    def _refuse_body(self, conn: Any) -> None:
        self._send(conn, problem_bytes(413, f"The request body is larger than {self.body_limit} bytes."))
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._drop(conn)
            return
        self.incoming[conn] = _Discarding(time.monotonic() + self.request_timeout, counted=True)

    def linger(self, conn: Any) -> None:
        """Close after an answer: shut the write side, drop what still arrives (briefly)."""
        try:
            conn.sock.setblocking(False)
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            conn.sock.close()
            return
        self.incoming[conn] = _Discarding(time.monotonic() + LINGER_SECONDS, counted=False)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _discard(self, conn: Any, state: _Discarding) -> None:
        try:
            data = conn.sock.recv(256 * 1024)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        state.left -= len(data)
        if not data or state.left <= 0:
            self._drop(conn)

    @staticmethod
    def _send(conn: Any, data: bytes) -> None:
        """Small answers from the main loop; they fit a fresh socket's send buffer."""
        try:
            conn.sock.send(data)
        except OSError:
            pass

    def _drop(self, conn: Any) -> None:
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        state = self.incoming.pop(conn, None)
        if not isinstance(state, _Discarding) or state.counted:
            self.nr_conns -= 1
        conn.sock.close()

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        for conn, state in list(self.incoming.items()):
            if state.deadline <= now:
                if isinstance(state, _Incoming) and state.buf:
                    self._send(conn, problem_bytes(
                        408, f"The request did not arrive in full within {self.request_timeout:g} seconds."))
                self._drop(conn)

    # -- the thread's part --------------------------------------------------------------------

    def handle(self, conn: Any) -> Any:
        data = getattr(conn, "prefetched", b"")
        if data:
            conn.prefetched = b""
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(data)
        return super().handle(conn)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """gunicorn's error answers, as problem+json instead of its HTML pages."""
        status, detail = _error_status(exc)
        request_id = secrets.token_hex(8)
        if status >= 500:
            self.log.exception("Error handling request %s (request_id %s)", getattr(req, "uri", "(no URI read)"),
                               request_id)
        else:
            self.log.warning("Invalid request from ip=%s (request_id %s): %s", (addr or ("",))[0], request_id, exc)
        try:
            client.setblocking(True)
            client.settimeout(2)
            client.sendall(problem_bytes(status, detail, request_id=request_id))
        except OSError:
            self.log.debug("Failed to send error message.")


def _error_status(exc: BaseException) -> tuple[int, str]:
    e = http_errors
    if isinstance(exc, e.LimitRequestLine):
        return 414, "The request line is too long."
    if isinstance(exc, e.LimitRequestHeaders):
        return 431, f"The request's header fields are too large or too many: {exc}."
    if isinstance(exc, e.UnsupportedTransferCoding):
        return 501, str(exc)
    if isinstance(exc, e.ExpectationFailed):
        return 417, str(exc)
    if isinstance(exc, e.ForbiddenProxyRequest):
        return 403, "Request forbidden."
    client_errors = tuple(getattr(e, name) for name in (
        "InvalidRequestLine", "InvalidRequestMethod", "InvalidHTTPVersion", "InvalidHeader",
        "InvalidHeaderName", "InvalidProxyLine", "InvalidSchemeHeaders", "ObsoleteFolding",
        "InvalidChunkSize", "ChunkMissingTerminator", "InvalidChunkExtension", "InvalidH2CPreface",
        "NoMoreData", "ParseException") if hasattr(e, name))
    if isinstance(exc, client_errors):
        return 400, f"Malformed HTTP request: {exc}."
    return 500, "An unexpected error occurred; it has been logged."
