"""A scripted HTTP server on a real loopback socket, for pointing the real SDKs at.

Each request gets the next scripted ``Reply`` (JSON, an SSE stream, or an error status)
and is recorded with its path, headers and JSON body. The server runs in a daemon thread
(``http.server``), binds 127.0.0.1 on a free port, and never touches the network.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted response."""

    status: int = 200
    body: Mapping[str, Any] | None = None
    events: Sequence[tuple[str | None, Mapping[str, Any] | str]] = ()
    """SSE events as (event name or None, data); data may be a raw string like [DONE]."""
    headers: Mapping[str, str] = field(default_factory=dict)
    drop_after: int | None = None
    """Close the connection after this many SSE events, without finishing the body."""


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: Mapping[str, Any]


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the listen backlog: room for many parallel connections


class FakeServer:
    """Serves scripted replies in order; ``requests`` records what came in.

    ``keep_alive`` keeps each connection open for the next request (the SDKs' pooling);
    ``connections`` counts the TCP connections accepted.
    """

    def __init__(self, *, keep_alive: bool = False) -> None:
        self.replies: list[Reply | Callable[[Seen], Reply]] = []
        self.requests: list[Seen] = []
        self.connections = 0
        self.keep_alive = keep_alive
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server.connections += 1

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                seen = Seen(
                    "POST",
                    self.path,
                    {key.lower(): value for key, value in self.headers.items()},
                    json.loads(raw or b"{}"),
                )
                with server._lock:
                    server.requests.append(seen)
                    scripted = server.replies.pop(0) if server.replies else None
                if scripted is None:
                    reply = Reply(500, {"error": {"message": "fake server: no reply scripted"}})
                else:
                    reply = scripted(seen) if callable(scripted) else scripted
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                if reply.events:
                    chunks = [_sse(name, data) for name, data in reply.events]
                    if reply.drop_after is not None:
                        chunks = chunks[: reply.drop_after]
                    payload = b"".join(chunks)
                    content_type = "text/event-stream"
                else:
                    payload = json.dumps(reply.body or {}).encode()
                    content_type = "application/json"
                self.send_response(reply.status)
                self.send_header("content-type", content_type)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.drop_after is None:
                    self.send_header("content-length", str(len(payload)))
                else:
                    self.send_header("content-length", str(len(payload) + 1000))
                close = not server.keep_alive or reply.drop_after is not None
                if close:
                    self.send_header("connection", "close")
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()
                self.close_connection = close

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = _Listener(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, *replies: Reply | Callable[[Seen], Reply]) -> None:
        """Queue replies for the next requests."""
        with self._lock:
            self.replies.extend(replies)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _sse(name: str | None, data: Mapping[str, Any] | str) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {text}\n\n".encode()


@contextmanager
def running_server(*, keep_alive: bool = False) -> Iterator[FakeServer]:
    """A started fake server, stopped afterwards."""
    server = FakeServer(keep_alive=keep_alive)
    server.start()
    try:
        yield server
    finally:
        server.stop()
