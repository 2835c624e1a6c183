"""A fast fake LLM server for W7, run as its own process so it never shares the GIL.

``python benchmarks/llm_server.py`` prints its port, then serves until stdin closes, then
prints how many requests it answered and the CPU seconds it spent answering them (to show
it was not the bottleneck).
It speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) for the SDKs, with
replies built once from the test fakes' wire formats:

- ``POST /d<ms>/v1/messages``: an Anthropic message; streamed when the body asks.
- ``POST /d<ms>/v1/responses``: an OpenAI Responses reply; streamed when asked.

A reply waits ``<ms>`` milliseconds; a streamed one sends its head and first text delta
after ``<ms>``, the rest ``<ms>`` later, so the time to first token differs from the
time to the last. The listen backlog takes ``BACKLOG`` connections at once.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes import anthropic_api, openai_api
from tests.fakes.server import Reply

__all__ = ["ANSWER", "BACKLOG", "main"]

ANSWER = "ok then"
"""The text of every reply (a streamed reply sends it as two deltas)."""
BACKLOG = 4096


def _sse(name: str | None, data: Mapping[str, Any] | str) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {text}\n\n".encode()


def _whole(reply: Reply) -> bytes:
    body = json.dumps(reply.body).encode()
    head = (
        f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _split_stream(
    events: Sequence[tuple[str | None, Mapping[str, Any] | str]],
) -> tuple[bytes, bytes]:
    """The stream's head up to and including its first text delta, and the rest."""
    first = next(
        index
        for index, (_, data) in enumerate(events)
        if isinstance(data, Mapping)
        and data.get("type") in ("content_block_delta", "response.output_text.delta")
    )
    early = b"".join(_sse(name, data) for name, data in events[: first + 1])
    late = b"".join(_sse(name, data) for name, data in events[first + 1 :])
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    return head + _chunk(early), _chunk(late) + b"0\r\n\r\n"


_MESSAGE = _whole(anthropic_api.message(anthropic_api.text(ANSWER)))
_MESSAGE_STREAM = _split_stream(anthropic_api.stream(anthropic_api.text(ANSWER)).events)
_RESPONSE = _whole(openai_api.response(openai_api.output_message(ANSWER)))
_RESPONSE_STREAM = _split_stream(
    openai_api.response_stream(openai_api.output_message(ANSWER)).events
)


class _Counter:
    requests = 0


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            body = json.loads(await reader.readexactly(length)) if length else {}
            _Counter.requests += 1
            delay = int(path.split("/")[1][1:]) / 1000
            anthropic = path.endswith("/messages")
            await asyncio.sleep(delay)
            if body.get("stream"):
                early, late = _MESSAGE_STREAM if anthropic else _RESPONSE_STREAM
                writer.write(early)
                await asyncio.sleep(delay)
                writer.write(late)
            else:
                writer.write(_MESSAGE if anthropic else _RESPONSE)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _main() -> None:
    server = await asyncio.start_server(_serve, "127.0.0.1", 0, backlog=BACKLOG)
    port = server.sockets[0].getsockname()[1]
    ready = time.process_time()
    print(port, flush=True)
    loop = asyncio.get_running_loop()
    async with server:
        await loop.run_in_executor(None, sys.stdin.read)  # until the parent goes away
    print(_Counter.requests, time.process_time() - ready, flush=True)


def main() -> None:
    """Serve until stdin closes."""
    asyncio.run(_main())


if __name__ == "__main__":
    main()
