"""The viewer put together: a store, the graphs it knows, and the ASGI app serving them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from plait.ui._actions import Actions
from plait.ui._diagrams import Drawings
from plait.ui._graphs import Graphs
from plait.ui._pages import Viewer
from plait.ui._security import Guard, check_binding

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from plait.cli._settings import Settings
    from plait.engine import Store
    from plait.graphs import Graph

__all__ = ["EXTRA_HINT", "create_app", "missing_extra"]

EXTRA_HINT = "install the viewer's libraries with `pip install 'plait[ui]'`"


def missing_extra() -> str | None:
    """The name of a library the viewer needs and cannot import, if any."""
    import importlib.util

    for name in ("starlette", "uvicorn", "jinja2"):
        if importlib.util.find_spec(name) is None:
            return name
    return None


def create_app(
    store: Store,
    *,
    config: Settings | None = None,
    graphs: Sequence[Graph[object]] = (),
    imports: Sequence[str] = (),
    host: str = "127.0.0.1",
    port: int = 0,
    allow_remote: bool = False,
    token: str | None = None,
    poll: float = 0.5,
    open_store: bool = True,
) -> ASGIApp:
    """The viewer of the runs in ``store`` as an ASGI app (serve it with any ASGI server).

    ``graphs`` (and ``config``'s ``graphs:``) are the graphs runs can be resumed and
    forked with, found by name. The app opens ``store`` when it starts and closes it when
    it stops (unless ``open_store`` is false), and answers only to ``host``.

    Raises:
        BindingError: when ``host`` is not loopback and remote use is not allowed with
            a token.
        ImportError: when the ``ui`` extra is not installed.
    """
    missing = missing_extra()
    if missing is not None:
        raise ImportError(f"plait ui needs `{missing}`: {EXTRA_HINT}")
    check_binding(host, allow_remote=allow_remote, token=token)
    from plait.ui._app import asgi_app
    from plait.ui._templates import Templates

    if config is None:
        from plait.cli._settings import settings

        config = settings()
    known = Graphs(config, {graph.name: graph for graph in graphs}, imports)
    viewer = Viewer(
        store=store,
        guard=Guard(host, port, token),
        actions=Actions(store, known.for_run),
        drawings=Drawings(known.drawn),
        templates=Templates(),
        graphs=known,
        poll=poll,
    )
    return asgi_app(viewer, own_store=open_store)
