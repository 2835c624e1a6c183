"""uvicorn, behind one module: serve the viewer's app on a socket bound here.

The socket is bound before uvicorn starts, so the address printed is the one listened
on (port 0 picks a free port) and a busy port is one clear error.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp

__all__ = ["bind", "serve"]


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port``.

    Raises:
        OSError: when the address is taken or cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(app: ASGIApp, sock: socket.socket, ready: Callable[[], None] | None = None) -> None:
    """Serve ``app`` on ``sock`` until interrupted (Ctrl-C, SIGTERM); ``ready`` is called
    once the app has started."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if ready is not None and not self.should_exit:
                ready()

    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1, access_log=False
    )
    try:
        Server(config).run(sockets=[sock])
    finally:
        sock.close()
