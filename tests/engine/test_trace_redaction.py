"""Secrets never reach a trace; volatile text (run ids, temp paths, addresses) is normalised."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr

from plait import GraphBuilder, RunContext, RunOptions, node
from plait.engine import DEFAULT_REDACTED_KEYS, ManualClock, Redaction, Trace, trace
from plait.nodes import Secret

pytestmark = pytest.mark.anyio

KEY = "sk-live-0123456789abcdef"


class Credentials(BaseModel):
    user: str
    key: SecretStr


def _reporting_graph() -> GraphBuilder:
    @node
    async def call_api(key: Secret, context: RunContext) -> dict[str, object]:
        context.emit(
            "llm_request",
            {
                "headers": {"Authorization": f"Bearer {key.reveal()}", "X-API-Key": "raw"},
                "usage": {"input_tokens": 12, "max_tokens": 100},
                "nested": [{"github_token": "ghp_abcdef", "password": "pw", "note": "ok"}],
                "echo": f"called with {key.reveal()}",
            },
        )
        return {"client_secret": "s3cr3t", "status": "ok", "debug": f"key={key.reveal()}"}

    b = GraphBuilder("api", inputs={"key": Secret})
    b.add(call_api, inputs={"key": "inputs.key"})
    return b


async def test_redacted_keys_at_any_depth_and_secret_values_everywhere() -> None:
    graph = _reporting_graph().build("call_api")

    _, found = await trace(graph, {"key": Secret(KEY)}, options=RunOptions(clock=ManualClock()))

    text = found.to_json() + found.to_yaml()
    assert KEY not in text
    assert "ghp_abcdef" not in text
    assert "s3cr3t" not in text
    assert found.inputs == {"key": "***"}
    (call,) = found.node("call_api").calls
    assert call.data == {
        "echo": "called with ***",
        "headers": {"Authorization": "***", "X-API-Key": "***"},
        "nested": [{"github_token": "***", "note": "ok", "password": "***"}],
        "usage": {"input_tokens": 12, "max_tokens": 100},
    }
    assert found.output == {"client_secret": "***", "debug": "key=***", "status": "ok"}


async def test_pydantic_secrets_and_configured_keys_and_values() -> None:
    @node
    async def login(credentials: Credentials, context: RunContext) -> str:
        context.emit("tool_call", {"ssn": "123-45-6789", "user": credentials.user})
        used = f"{credentials.key.get_secret_value()} and hunter2hunter2"
        return f"{credentials.user} (123-45-6789) used {used}"

    b = GraphBuilder("login", inputs={"credentials": Credentials})
    graph = b.build(b.add(login, inputs={"credentials": "inputs.credentials"}))
    redaction = Redaction().extended(keys={"SSN"}, values={"hunter2hunter2"})

    _, found = await trace(
        graph,
        {"credentials": Credentials(user="ada", key=SecretStr("pa55word-of-ada"))},
        redaction=redaction,
    )

    assert found.inputs == {"credentials": {"key": "***", "user": "ada"}}
    assert found.node("login").calls[0].data == {"ssn": "***", "user": "ada"}
    assert found.output == "ada (***) used *** and ***"  # a masked field's value, echoed
    assert "*_token" in DEFAULT_REDACTED_KEYS


async def test_volatile_text_is_normalised(tmp_path: Path) -> None:
    scratch = tempfile.mkdtemp()
    here = os.getcwd()

    @node
    async def volatile(context: RunContext) -> dict[str, str]:
        return {
            "address": repr(object()),
            "cwd": f"{here}/data/file.txt",
            "run": f"run {context.run_id} went well",
            "scratch": f"{scratch}/out.json",
            "tmp_path": str(tmp_path / "report.md"),
        }

    b = GraphBuilder("volatile")
    graph = b.build(b.add(volatile))
    redaction = Redaction(paths={str(tmp_path): "<tmp_path>"})

    try:
        _, found = await trace(graph, redaction=redaction)
    finally:
        os.rmdir(scratch)

    assert found.output == {
        "address": "<object object at 0x...>",
        "cwd": "<cwd>/data/file.txt",
        "run": "run <run-id> went well",
        "scratch": "<tmp>/<tmpdir>/out.json",
        "tmp_path": "<tmp_path>/report.md",
    }


async def test_values_without_a_json_form_are_made_canonical() -> None:
    class Opaque:
        def __repr__(self) -> str:
            return f"<Opaque at {hex(id(self))}>"

    @node
    async def odd() -> dict[object, object]:
        return {
            "set": {"pear", "apple", "fig", "banana"},
            "nan": float("nan"),
            "inf": float("-inf"),
            "opaque": Opaque(),
            3: "int key",
        }

    b = GraphBuilder("odd")
    graph = b.build(b.add(odd))

    _, found = await trace(graph)

    assert found.output == {
        "3": "int key",
        "inf": "-Infinity",
        "nan": "NaN",
        "opaque": "<Opaque at 0x...>",
        "set": ["apple", "banana", "fig", "pear"],
    }
    assert Trace.from_json(found.to_json()) == found
