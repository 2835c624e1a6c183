"""Every exception class each SDK exports maps to a plait provider error, on purpose."""

from __future__ import annotations

import inspect
from types import ModuleType

import httpx2
import pytest

from plait.nodes import (
    AuthenticationError,
    BadRequestError,
    OverloadedError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitedError,
    StreamInterruptedError,
)
from plait.nodes._anthropic import ANTHROPIC_ERRORS
from plait.nodes._anthropic import translate_error as from_anthropic
from plait.nodes._errors import PlaitError
from plait.nodes._openai import OPENAI_ERRORS
from plait.nodes._openai import translate_error as from_openai


def _exported_exceptions(module: ModuleType) -> set[str]:
    return {
        name
        for name in dir(module)
        if not name.startswith("_")
        and inspect.isclass(getattr(module, name))
        and issubclass(getattr(module, name), BaseException)
    }


@pytest.mark.parametrize(
    ("sdk", "table"), [("anthropic", ANTHROPIC_ERRORS), ("openai", OPENAI_ERRORS)]
)
def test_every_exported_exception_class_is_mapped(sdk: str, table: dict[str, type]) -> None:
    module = pytest.importorskip(sdk)
    exported = _exported_exceptions(module)

    assert exported, f"{sdk} exports no exception classes?"
    unmapped = sorted(exported - set(table))
    assert not unmapped, f"{sdk} exceptions with no plait mapping: {unmapped}"
    stale = sorted(set(table) - exported)
    assert not stale, f"mapped names {sdk} no longer exports: {stale}"
    assert all(issubclass(kind, ProviderError) for kind in table.values())


def _status_error(module: ModuleType, name: str, status: int, body: dict[str, object]) -> Exception:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/messages")
    response = httpx2.Response(status, request=request, json=body, headers={"retry-after": "3"})
    cls = getattr(module, name)
    error: Exception = cls("failed", response=response, body=body)
    return error


@pytest.mark.parametrize(
    ("name", "status", "expected"),
    [
        ("RateLimitError", 429, RateLimitedError),
        ("OverloadedError", 529, OverloadedError),
        ("AuthenticationError", 401, AuthenticationError),
        ("PermissionDeniedError", 403, AuthenticationError),
        ("BadRequestError", 400, BadRequestError),
        ("NotFoundError", 404, BadRequestError),
        ("GatewayTimeoutError", 504, ProviderTimeoutError),
        ("EnforcedSpendLimitReachedError", 429, AuthenticationError),
        ("APIStatusError", 429, RateLimitedError),
        ("APIStatusError", 418, BadRequestError),
    ],
)
def test_anthropic_status_errors_by_kind(name: str, status: int, expected: type) -> None:
    anthropic = pytest.importorskip("anthropic")
    body: dict[str, object] = {"type": "error", "error": {"type": "some_error", "message": "nope"}}

    mapped = from_anthropic(_status_error(anthropic, name, status, body))

    assert type(mapped) is expected
    assert mapped.provider == "anthropic"
    if isinstance(mapped, RateLimitedError):
        assert mapped.retry_after == 3.0


def test_sdk_connection_errors_and_stream_interruptions() -> None:
    anthropic = pytest.importorskip("anthropic")
    openai = pytest.importorskip("openai")
    request = httpx2.Request("POST", "http://127.0.0.1/v1/messages")

    assert type(from_anthropic(anthropic.APITimeoutError(request))) is ProviderTimeoutError
    assert type(from_openai(openai.APITimeoutError(request))) is ProviderTimeoutError
    dropped = anthropic.APIConnectionError(request=request)
    assert type(from_anthropic(dropped)) is ProviderConnectionError
    assert type(from_anthropic(dropped, mid_stream=True)) is StreamInterruptedError
    bare = openai.APIError("server overloaded", request, body={"code": "overloaded"})
    assert type(from_openai(bare, mid_stream=True)) is StreamInterruptedError
    assert isinstance(from_openai(openai.OpenAIError("odd")), PlaitError)
