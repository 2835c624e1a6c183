"""``plait ui``: serve the web viewer of the stored runs.

plait ui                                  # http://127.0.0.1:8421
plait ui --graph examples.approval:graph  # and answer, resume, fork its runs
plait ui --host 0.0.0.0 --allow-remote --token "$PLAIT_UI_TOKEN"
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, TypeVar

from plait.cli._graph_name import named_graph
from plait.cli._settings import add_store_option, open_store, settings
from plait.cli._usage import RUN_FAILED, CliError

if TYPE_CHECKING:
    from plait.engine import Store

__all__ = ["DEFAULT_PORT", "add_ui_parser", "ui_command"]

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)
DEFAULT_PORT = 8421


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return value


def add_ui_parser(commands: argparse._SubParsersAction[ParserT]) -> None:
    """Add ``ui`` to ``commands``."""
    ui = commands.add_parser(
        "ui",
        help="look at runs in a web browser",
        description="Serve a web viewer of the stored runs on 127.0.0.1: the runs list, "
        "each run's diagram (live while it goes) and nodes, answering, resuming, "
        "cancelling and forking runs, and graph diagrams. Needs `pip install 'plait[ui]'`.",
        allow_abbrev=False,
    )
    add_store_option(ui)
    ui.add_argument(
        "--graph",
        metavar="TARGET",
        action="append",
        default=[],
        help="a graph (module:attribute or spec) whose runs can be answered, resumed and "
        "forked, found by its name (repeatable; plait.yaml's graphs: too)",
    )
    ui.add_argument(
        "--import",
        dest="imports",
        metavar="MODULE",
        action="append",
        default=[],
        help="a module registering what a spec --graph names (repeatable)",
    )
    ui.add_argument("--host", default="127.0.0.1", help="the address to listen on (127.0.0.1)")
    ui.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"the port (default {DEFAULT_PORT})"
    )
    ui.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other than loopback (needs --token)",
    )
    ui.add_argument(
        "--token",
        default=None,
        help="the access token every request must carry (default: PLAIT_UI_TOKEN)",
    )


def ui_command(args: argparse.Namespace) -> int:
    """Serve the viewer until interrupted.

    Raises:
        CliError: code 2 for a refused address, a missing extra or a bad --graph; code 1
            when the store cannot be opened or the port is taken.
    """
    from plait.ui._build import EXTRA_HINT, missing_extra

    missing = missing_extra()
    if missing is not None:
        raise CliError(f"plait ui needs the Python package `{missing}`: {EXTRA_HINT}")
    from plait.ui import BindingError, create_app
    from plait.ui._security import check_binding
    from plait.ui._server import bind, serve

    token = args.token or os.environ.get("PLAIT_UI_TOKEN") or None
    try:
        check_binding(args.host, allow_remote=args.allow_remote, token=token)
    except BindingError as error:
        raise CliError(str(error)) from None
    config = settings()
    graphs = [
        config.configure_agents(named_graph(target, args.imports, config), None)
        for target in args.graph
    ]
    url = config.store_url(args.store)
    store = _checked_store(url)
    try:
        sock = bind(args.host, args.port)
    except OSError as error:
        raise CliError(
            f"cannot listen on {args.host}:{args.port}: {error.strerror or error} (choose "
            "another --port, or 0 for any free port)",
            RUN_FAILED,
        ) from None
    host, port = sock.getsockname()[:2]
    app = create_app(
        store, config=config, graphs=graphs, imports=args.imports, host=args.host, port=port,
        allow_remote=args.allow_remote, token=token,
    )  # fmt: skip
    shown = f"[{host}]" if ":" in host else host

    def ready() -> None:
        print(f"plait ui: serving {url} at http://{shown}:{port}/ (Ctrl-C to stop)", flush=True)

    serve(app, sock, ready)
    return 0


def _checked_store(url: str) -> Store:
    """The store ``url`` names, opened once to check it (one clear error now, not in the
    server) and closed again: the app opens it in its own event loop.

    Raises:
        CliError: as ``open_store`` does.
    """
    import anyio

    async def check() -> Store:
        store = await open_store(url)
        await store.close()
        return store

    return anyio.run(check)
