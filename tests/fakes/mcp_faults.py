"""An MCP server of the test suite's own, written with the ``mcp`` SDK, for faults.

Run it as ``python -m tests.fakes.mcp_faults [MODE]`` (stdio). Its tools: ``echo`` (the
text back), ``hang`` (never answers), ``die`` (the process exits mid-call), ``huge`` (a
result of ``size`` characters), ``grow`` (adds a tool ``extra`` and says the tool list
changed), ``picture`` (an image), ``fail`` (an ``isError`` result), ``pid``, ``tick`` (a
per-process counter), ``die_once`` (exits mid-call the first time only) and ``meta`` (the
request's ``_meta`` back, as JSON: where a client's trace context arrives). It also
serves a resource ``faults://notes`` and a prompt ``reviewer``.

``MODE`` ``silent`` never answers ``initialize``; ``crash`` exits at once; ``http PORT``
serves streamable HTTP at ``http://127.0.0.1:PORT/mcp`` (``authorization`` answers with
the header the call came with). ``--starts
FILE`` appends the process id to ``FILE`` at each start (to count starts). ``token``
answers with the environment's ``FAULTS_TOKEN``: a server echoing its credential.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time

from mcp.server.mcpserver import Context, Image, MCPServer

server = MCPServer("faults")

PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@server.tool()
def echo(text: str) -> str:
    """Say ``text`` back."""
    return text


@server.tool()
def meta(ctx: Context) -> str:
    """The request's ``_meta``, as JSON."""
    return json.dumps(dict(ctx.request_context.meta or {}), sort_keys=True)


COUNT = [0]


@server.tool()
def pid() -> int:
    """This server's process id."""
    return os.getpid()


@server.tool()
def tick() -> int:
    """How many times ``tick`` was called in this process, this call included."""
    COUNT[0] += 1
    return COUNT[0]


@server.tool()
def die_once(marker: str) -> str:
    """Exit mid-call the first time (creating the file ``marker``); answer after."""
    if not os.path.exists(marker):
        with open(marker, "w") as file:
            file.write("died")
        os._exit(3)
    return "survived"


@server.tool()
def token() -> str:
    """The credential this server was started with (its ``FAULTS_TOKEN``)."""
    return os.environ.get("FAULTS_TOKEN", "")


@server.tool()
def authorization(ctx: Context) -> str:
    """The ``Authorization`` header the call came with (streamable HTTP only)."""
    return (ctx.headers or {}).get("authorization", "")


@server.tool()
def hang() -> str:
    """Never answer."""
    time.sleep(3600)
    return "late"


@server.tool()
def die() -> str:
    """Exit the server process in the middle of the call."""
    os._exit(3)


@server.tool()
def huge(size: int) -> str:
    """A result of ``size`` characters."""
    return "x" * size


@server.tool()
async def grow(ctx: Context) -> str:
    """Add the tool ``extra`` and tell the client that the tool list changed."""
    server.add_tool(extra)
    await ctx.session.send_tool_list_changed()
    return "grown"


def extra(value: int) -> int:
    """Double ``value`` (only listed after ``grow``)."""
    return value * 2


@server.tool()
def picture() -> Image:
    """One red pixel."""
    return Image(data=PIXEL, format="png")


@server.tool()
def fail() -> str:
    """Fail: the client gets an ``isError`` result."""
    raise ValueError("this tool always fails")


@server.resource("faults://notes")
def notes() -> str:
    """Notes an agent may be given as context."""
    return "The answer is 42."


@server.prompt()
def reviewer(topic: str) -> str:
    """Instructions for a reviewer."""
    return f"You review writing about {topic}. Be brief."


def _main(args: list[str]) -> None:
    if "--starts" in args:
        at = args.index("--starts")
        with open(args[at + 1], "a") as log:
            log.write(f"{os.getpid()}\n")
        del args[at : at + 2]
    mode = args[0] if args else ""
    if mode == "silent":
        time.sleep(3600)
    elif mode == "http":  # streamable HTTP on 127.0.0.1:PORT/mcp
        server.run("streamable-http", port=int(args[1]))
    elif mode == "crash":
        print("faults: configured to crash at start", file=sys.stderr)
        sys.exit(4)
    else:
        server.run()


if __name__ == "__main__":
    _main(sys.argv[1:])
