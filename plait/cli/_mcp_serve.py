"""``plait mcp serve TARGET``: a graph as one MCP tool, over stdio or streamable HTTP.

    plait mcp serve examples.approval:graph                      # stdio
    plait mcp serve examples.approval:graph --http --port 8000   # http://127.0.0.1:8000/mcp

The tool's input schema is the graph's inputs, its result the graph's output (structured
content and text). Every call is a run checkpointed to the store (``--store``, else
``plait.yaml``'s, else the SQLite default). A run that waits for a person is answered
through an MCP elicitation when the client supports one (a request on the call's channel
in the handshake protocol, an ``input_required`` result since 2026-07-28); otherwise the
result says which ``plait resume`` line answers it. The MCP servers the graph's agents use
are started (and checked) once, when serving starts, shared by every call, and stopped when
it ends. The only module importing the ``mcp``
SDK (extra ``mcp``), on first use.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar

from plait.cli._graph_name import add_target_argument, named_graph
from plait.cli._graph_tool import (
    ANSWER_FIELD,
    Finished,
    GraphTool,
    Outcome,
    Refused,
    Waiting,
    tool_of,
)
from plait.cli._hints import ResumeHint
from plait.cli._settings import add_store_option, open_store, settings
from plait.cli._usage import CliError

if TYPE_CHECKING:
    import mcp_types
    from mcp.server import Server, ServerRequestContext

__all__ = ["add_mcp_serve_parser", "mcp_serve_command"]

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)
HOST = "127.0.0.1"
"""Where ``--http`` listens: loopback only."""
DEFAULT_PORT = 8000
PATH = "/mcp"
_EXTRA = "`plait mcp serve` needs the MCP SDK: pip install 'plait[mcp]'"
_DECLINED = "the question was not answered"


def add_mcp_serve_parser(mcp_commands: argparse._SubParsersAction[ParserT]) -> None:
    """Add ``serve`` to the ``plait mcp`` commands."""
    serve = mcp_commands.add_parser(
        "serve",
        help="serve a graph as an MCP server with one tool",
        description="Serve the graph named by TARGET as one MCP tool (its inputs are the "
        "tool's arguments, its output the result), over stdio, or streamable HTTP on "
        f"{HOST} with --http. Each call is a run checkpointed to the store; a run waiting "
        "for input is asked through an MCP elicitation, or its result says how to resume it.",
        allow_abbrev=False,
    )
    add_target_argument(serve)
    add_store_option(serve)
    serve.add_argument(
        "--http",
        action="store_true",
        help=f"serve streamable HTTP at http://{HOST}:PORT{PATH} instead of stdio",
    )
    serve.add_argument(
        "--port",
        metavar="PORT",
        type=_port,
        default=DEFAULT_PORT,
        help=f"the port for --http (default: {DEFAULT_PORT}; 0: any free port, printed on stderr)",
    )
    serve.add_argument(
        "--model",
        metavar="MODEL",
        default=None,
        help="run every agent node on this model (e.g. sonnet, playback)",
    )


def _port(text: str) -> int:
    if not (text.isdigit() and int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")
    return int(text)


def mcp_serve_command(args: argparse.Namespace) -> int:
    """Run ``plait mcp serve`` until the client goes (stdio) or it is interrupted (HTTP).

    Raises:
        CliError: code 2 for a bad target, a missing SDK, or a port in use.
    """
    import anyio

    from plait.nodes import ConfigError
    from plait.nodes.mcp import MCPServerError

    if getattr(args, "mcp_command", None) != "serve":
        raise CliError("missing MCP command: use `plait mcp serve TARGET` (see `plait mcp --help`)")
    _require_sdk()
    config = settings()
    graph = config.configure_agents(named_graph(args.target, args.imports, config), args.model)
    hint = ResumeHint(args.target, args.store, args.imports)
    url = config.store_url(args.store)

    async def serve() -> None:
        from plait.engine import graph_mcp, run_secrets

        store = await open_store(url)
        try:
            async with graph_mcp(graph) as hub:  # started once, shared by every call
                secrets = run_secrets(graph, config.config.secrets, hub)
                tool = tool_of(graph, store, hint, secrets, hub)
                if args.http:
                    await _serve_http(tool, args.port)
                else:
                    await _serve_stdio(tool)
        finally:
            await store.close()

    try:
        anyio.run(serve)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: how a server is stopped
        if not args.http:
            raise
        print("plait: stopped serving", file=sys.stderr, flush=True)
    except (ConfigError, MCPServerError) as error:  # the graph's MCP servers, checked at start
        problems = error.problems if isinstance(error, ConfigError) else (str(error),)
        raise CliError("; ".join(problems)) from None
    return 0


def _require_sdk() -> None:
    try:
        import mcp.server  # noqa: F401
    except ImportError:
        raise CliError(_EXTRA) from None


def _server(tool: GraphTool) -> Server[object]:
    import mcp_types as types
    from mcp.server import Server
    from mcp.server.request_state import RequestStateBoundary, RequestStateSecurity
    from mcp.shared.exceptions import MCPError

    listing = types.Tool(
        name=tool.name,
        title=tool.graph.name,
        description=tool.description,
        input_schema=tool.input_schema,
        output_schema=tool.output_schema,
    )

    async def list_tools(
        ctx: ServerRequestContext[object], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[listing])

    async def call_tool(
        ctx: ServerRequestContext[object], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        if params.name != tool.name:
            raise MCPError(
                types.INVALID_PARAMS,
                f"unknown tool `{params.name}`: this server has one tool, `{tool.name}`",
            )
        return await _call(tool, ctx, params)

    server: Server[object] = Server(
        "plait",
        title=f"plait graph {tool.graph.name}",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )
    # the 2026-07-28 request state carries a run id: sealed, so a client cannot forge one
    security = RequestStateSecurity.ephemeral(ttl=3600.0)
    server.middleware.append(RequestStateBoundary(security, default_audience=server.name))
    return server


async def _call(
    tool: GraphTool, ctx: ServerRequestContext[object], params: mcp_types.CallToolRequestParams
) -> mcp_types.CallToolResult | mcp_types.InputRequiredResult:
    """Run (or, answering an ``input_required`` result, resume) and ask until it ends."""
    import mcp_types as types

    if params.request_state is not None:
        run_id, asked = _state_of(params.request_state)
        answers = _answers(asked, params.input_responses or {})
        if answers is None:
            hint = tool.hint.command(run_id)
            return _result(Refused(f"run {run_id} still waits: {_DECLINED}; answer with: {hint}"))
        outcome = await tool.answer(run_id, answers)
    else:
        outcome = await tool.start(params.arguments)
    while isinstance(outcome, Waiting) and _can_elicit(ctx, outcome):
        if not ctx.session.can_send_request:  # 2026-07-28: ask in the result, answered by a retry
            requests: dict[str, types.InputRequest] = {
                item.node: types.ElicitRequest(params=_form(item.question, item.form))
                for item in outcome.questions
            }
            wrapped = {item.node: item.wrapped for item in outcome.questions}
            state = json.dumps({"run_id": outcome.run_id, "asked": wrapped})
            return types.InputRequiredResult(input_requests=requests, request_state=state)
        answers = await _ask(ctx, outcome)
        if answers is None:
            return _result(outcome, declined=True)
        outcome = await tool.answer(outcome.run_id, answers)
    return _result(outcome)


def _can_elicit(ctx: ServerRequestContext[object], waiting: Waiting) -> bool:
    capabilities = ctx.session.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is None or (elicitation.url is not None and elicitation.form is None):
        return False
    return all(item.form is not None for item in waiting.questions)


def _form(question: str, form: Mapping[str, object] | None) -> mcp_types.ElicitRequestFormParams:
    import mcp_types as types

    return types.ElicitRequestFormParams(message=question, requested_schema=dict(form or {}))


async def _ask(ctx: ServerRequestContext[object], waiting: Waiting) -> dict[str, object] | None:
    """Each question as an elicitation on the call's channel; None when one is not answered."""
    from mcp.shared.exceptions import MCPError

    answers: dict[str, object] = {}
    for item in waiting.questions:
        try:
            reply = await ctx.session.elicit_form(
                item.question, dict(item.form or {}), related_request_id=ctx.request_id
            )
        except MCPError:  # the client refused to ask: it can still answer with the hint
            return None
        if reply.action != "accept" or reply.content is None:
            return None
        answers[item.node] = item.answer_of(reply.content)
    return answers


def _state_of(state: str) -> tuple[str, dict[str, bool]]:
    """The run and its questions (node: whether the answer is wrapped) a sealed state holds."""
    from mcp.shared.exceptions import MCPError

    try:
        data = json.loads(state)
        run_id, asked = data["run_id"], data["asked"]
    except (ValueError, TypeError, KeyError):
        run_id, asked = None, None
    if not isinstance(run_id, str) or not isinstance(asked, dict):
        raise MCPError(-32602, "the request state names no waiting run")
    return run_id, {str(node): bool(wrapped) for node, wrapped in asked.items()}


def _answers(
    asked: Mapping[str, bool], responses: Mapping[str, mcp_types.InputResponse]
) -> dict[str, object] | None:
    """The answers an ``input_required`` retry brings, or None when one is not given."""
    import mcp_types as types

    answers: dict[str, object] = {}
    for node, wrapped in asked.items():
        reply = responses.get(node)
        if not isinstance(reply, types.ElicitResult) or reply.action != "accept":
            return None
        content = dict(reply.content or {})
        answers[node] = content.get(ANSWER_FIELD) if wrapped else content
    return answers


def _result(outcome: Outcome, *, declined: bool = False) -> mcp_types.CallToolResult:
    import mcp_types as types

    if isinstance(outcome, Finished):
        return types.CallToolResult(
            content=[types.TextContent(text=outcome.text)],
            structured_content=outcome.structured,
        )
    if isinstance(outcome, Waiting):
        text = f"{_DECLINED}: {outcome.message}" if declined else outcome.message
        return types.CallToolResult(
            content=[types.TextContent(text=text)],
            structured_content=outcome.document(),
            is_error=True,
        )
    return types.CallToolResult(content=[types.TextContent(text=outcome.message)], is_error=True)


async def _serve_stdio(tool: GraphTool) -> None:
    from mcp.server.stdio import stdio_server

    server = _server(tool)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


async def _serve_http(tool: GraphTool, port: int) -> None:
    import socket

    import uvicorn

    server = _server(tool)
    app = server.streamable_http_app(streamable_http_path=PATH, host=HOST)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((HOST, port))
    except OSError as error:
        listener.close()
        raise CliError(
            f"cannot listen on {HOST}:{port}: {error.strerror or error} (choose another --port, "
            "or 0 for any free one)"
        ) from None
    # Listening before the URL is printed: a client that connects at once waits in the
    # backlog until uvicorn accepts, instead of being refused.
    listener.listen(2048)
    bound = listener.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    where = f"http://{HOST}:{bound}{PATH}"
    print(f"plait: serving `{tool.name}` at {where}", file=sys.stderr, flush=True)
    try:
        await uvicorn.Server(config).serve(sockets=[listener])
    finally:
        listener.close()
