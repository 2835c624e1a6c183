"""Starlette, behind one module: the viewer's routes, its guard, and its lifetime.

Every route goes through ``_guarded``: the ``Host`` check, the access token, the session
cookie, and for POST the CSRF token (see ``_security``). Pages are sent with a Content
Security Policy that allows only the viewer's own script, so even a value that escaped
escaping could not run.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from plait.ui._actions import ActionError
from plait.ui._pages import NotFoundError, Viewer
from plait.ui._security import SESSION_COOKIE, TOKEN_COOKIE, new_session

if TYPE_CHECKING:
    from starlette.types import ASGIApp

__all__ = ["asgi_app"]

STATIC = Path(__file__).parent / "static"
STATIC_FILES = {"ui.js": "text/javascript", "ui.css": "text/css"}
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
FORM_TYPE = "application/x-www-form-urlencoded"
Endpoint = Callable[[Request, Viewer, str], Awaitable[Response]]
"""A route: the request, the viewer, and the session's CSRF token."""


def _guarded(viewer: Viewer, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    guard = viewer.guard

    async def guarded(request: Request) -> Response:
        if not guard.host_allowed(request.headers.get("host")):
            return _text(400, "this server answers to 127.0.0.1 and localhost only")
        auth = request.headers.get("authorization", "")
        if not guard.token_given(request.query_params, request.cookies, auth):
            return _text(401, "this viewer needs its access token: open it with ?token=TOKEN")
        session = request.cookies.get(SESSION_COOKIE)
        fresh = session is None
        session = session or new_session()
        if request.method == "POST":
            given = (await _form(request)).get("csrf")
            if fresh or not guard.csrf_valid(session, given):
                return _text(403, "missing or wrong CSRF token: reload the page and try again")
        try:
            response = await endpoint(request, viewer, guard.csrf(session))
        except NotFoundError as error:
            response = HTMLResponse(viewer.problem(404, str(error)), status_code=404)
        except ActionError as error:
            response = HTMLResponse(viewer.problem(409, str(error)), status_code=409)
        if fresh:
            response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict")
        if guard.token is not None and request.query_params.get("token"):
            response.set_cookie(TOKEN_COOKIE, guard.token, httponly=True, samesite="strict")
        response.headers["content-security-policy"] = POLICY
        response.headers["x-content-type-options"] = "nosniff"
        response.headers["referrer-policy"] = "no-referrer"
        return response

    return guarded


async def _form(request: Request) -> dict[str, str]:
    """A posted form (``application/x-www-form-urlencoded``, what the pages send): the
    first value of each field."""
    from urllib.parse import parse_qs

    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_TYPE:
        return {}
    fields = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def _text(status: int, message: str) -> Response:
    return Response(message + "\n", status_code=status, media_type="text/plain")


async def _home(request: Request, viewer: Viewer, csrf: str) -> Response:
    return RedirectResponse("/runs", status_code=303)


async def _runs(request: Request, viewer: Viewer, csrf: str) -> Response:
    return HTMLResponse(await viewer.runs(dict(request.query_params), csrf))


async def _run(request: Request, viewer: Viewer, csrf: str) -> Response:
    run_id = request.path_params["run_id"]
    return HTMLResponse(await viewer.run(run_id, request.query_params.get("node"), csrf))


async def _node(request: Request, viewer: Viewer, csrf: str) -> Response:
    run_id = request.path_params["run_id"]
    return HTMLResponse(await viewer.node(run_id, request.query_params.get("path", "")))


async def _diagram(request: Request, viewer: Viewer, csrf: str) -> Response:
    from plait.visual import RenderError

    try:
        svg = await viewer.diagram(request.path_params["run_id"])
    except (RenderError, ValueError) as error:
        return _text(500, f"cannot draw the run: {error}")
    return Response(svg, media_type="image/svg+xml")


async def _events(request: Request, viewer: Viewer, csrf: str) -> Response:
    run_id = request.path_params["run_id"]
    await viewer.stored(run_id)  # a 404 now, not an empty stream
    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    return StreamingResponse(viewer.events(run_id), media_type="text/event-stream", headers=headers)


def _back(run_id: str) -> Response:
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


async def _answer(request: Request, viewer: Viewer, csrf: str) -> Response:
    run_id = request.path_params["run_id"]
    form = await _form(request)
    node, text = form.get("node", ""), form.get("answer", "")
    try:
        answer = json.loads(text)
    except json.JSONDecodeError as error:
        raise ActionError(
            f"the answer to `{node}` is not valid JSON ({error.msg}): write it as the "
            'schema shows, e.g. {"approved": true}'
        ) from None
    return _back(await viewer.actions.resume(run_id, {node: answer}))


async def _resume(request: Request, viewer: Viewer, csrf: str) -> Response:
    return _back(await viewer.actions.resume(request.path_params["run_id"], None))


async def _cancel(request: Request, viewer: Viewer, csrf: str) -> Response:
    run_id = request.path_params["run_id"]
    await viewer.actions.cancel(run_id)
    return _back(run_id)


async def _fork(request: Request, viewer: Viewer, csrf: str) -> Response:
    run_id = request.path_params["run_id"]
    form = await _form(request)
    at = form.get("at") or None
    outputs: dict[str, object] = {}
    for line in form.get("set", "").splitlines():
        if not line.strip():
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip():
            raise ActionError(f"set {line!r}: expected NODE=JSON, e.g. score=0.9")
        try:
            outputs[name.strip()] = json.loads(value)
        except json.JSONDecodeError as error:
            raise ActionError(f"set {line!r}: the value is not valid JSON ({error.msg})") from None
    return _back(await viewer.actions.fork(run_id, at, outputs))


async def _graph(request: Request, viewer: Viewer, csrf: str) -> Response:
    if request.method == "POST":
        form = await _form(request)
        return HTMLResponse(await viewer.graph(form.get("target", ""), csrf))
    name = request.query_params.get("name")
    if name is not None and name not in viewer.graphs.names():
        message = f"no graph is named `{name}` here: give a target in the form"
        return HTMLResponse(await viewer.graph(None, csrf, message), status_code=404)
    return HTMLResponse(await viewer.graph(name, csrf))


async def _static(request: Request, viewer: Viewer, csrf: str) -> Response:
    name = request.path_params["name"]
    if name not in STATIC_FILES:
        raise NotFoundError(f"no file `{name}`")
    return FileResponse(STATIC / name, media_type=STATIC_FILES[name])


def asgi_app(viewer: Viewer, *, own_store: bool) -> ASGIApp:
    """The viewer as an ASGI app; its lifespan holds the task group runs started from
    the page run in, and opens and closes the store when it ``own_store``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if own_store:
            await viewer.store.open()
        try:
            async with anyio.create_task_group() as group:
                viewer.actions.task_group = group
                try:
                    yield
                finally:
                    viewer.actions.task_group = None
                    group.cancel_scope.cancel()
        finally:
            if own_store:
                with anyio.CancelScope(shield=True):
                    await viewer.store.close()

    def route(path: str, endpoint: Endpoint, methods: tuple[str, ...] = ("GET",)) -> Route:
        return Route(path, _guarded(viewer, endpoint), methods=list(methods))

    routes = [
        route("/", _home),
        route("/runs", _runs),
        route("/runs/{run_id}", _run),
        route("/runs/{run_id}/node", _node),
        route("/runs/{run_id}/diagram.svg", _diagram),
        route("/runs/{run_id}/events", _events),
        route("/runs/{run_id}/answer", _answer, ("POST",)),
        route("/runs/{run_id}/resume", _resume, ("POST",)),
        route("/runs/{run_id}/cancel", _cancel, ("POST",)),
        route("/runs/{run_id}/fork", _fork, ("POST",)),
        route("/graph", _graph, ("GET", "POST")),
        route("/static/{name}", _static),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
