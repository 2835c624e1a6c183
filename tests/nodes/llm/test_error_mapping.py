"""Every exception class each SDK exports maps to a plait provider error, also the ones a
newer SDK release adds (through their base class)."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
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
from plait.nodes._errors import PlaitError
from plait.nodes.llm.providers._anthropic import ANTHROPIC_ERRORS
from plait.nodes.llm.providers._anthropic import translate_error as from_anthropic
from plait.nodes.llm.providers._errors import kind_of
from plait.nodes.llm.providers._openai import OPENAI_ERRORS
from plait.nodes.llm.providers._openai import translate_error as from_openai


def _exported_exceptions(module: ModuleType) -> set[str]:
    return {
        name
        for name in dir(module)
        if not name.startswith("_")
        and inspect.isclass(getattr(module, name))
        and issubclass(getattr(module, name), BaseException)
    }


_SDKS = [("anthropic", ANTHROPIC_ERRORS), ("openai", OPENAI_ERRORS)]


@pytest.mark.parametrize(("sdk", "table"), _SDKS)
def test_no_exported_exception_class_escapes_unmapped(
    sdk: str, table: Mapping[str, type[ProviderError]]
) -> None:
    module = pytest.importorskip(sdk)
    exported = _exported_exceptions(module)

    assert exported, f"{sdk} exports no exception classes?"
    unmapped = sorted(
        name for name in exported if kind_of(getattr(module, name), sdk, table) is None
    )
    assert not unmapped, f"{sdk} exceptions with no plait kind, even through a base: {unmapped}"
    assert all(issubclass(kind, ProviderError) for kind in table.values())


@pytest.mark.parametrize(
    ("sdk", "base", "expected"),
    [
        ("anthropic", "AnthropicError", ProviderError),
        ("anthropic", "APIConnectionError", ProviderConnectionError),
        ("anthropic", "APITimeoutError", ProviderTimeoutError),
        ("anthropic", "RateLimitError", RateLimitedError),
        ("anthropic", "AuthenticationError", AuthenticationError),
        ("anthropic", "BadRequestError", BadRequestError),
        ("openai", "OpenAIError", ProviderError),
        ("openai", "APIConnectionError", ProviderConnectionError),
        ("openai", "APITimeoutError", ProviderTimeoutError),
        ("openai", "RateLimitError", RateLimitedError),
        ("openai", "AuthenticationError", AuthenticationError),
        ("openai", "BadRequestError", BadRequestError),
    ],
)
def test_a_class_a_new_release_adds_maps_through_its_base(
    sdk: str, base: str, expected: type[ProviderError]
) -> None:
    module = pytest.importorskip(sdk)
    table = dict(_SDKS)[sdk]
    # What a new SDK release looks like: a subclass the table has never heard of, defined in
    # the SDK's own package.
    added = type("BrandNewError", (getattr(module, base),), {"__module__": f"{sdk}._exceptions"})

    assert "BrandNewError" not in table
    assert kind_of(added, sdk, table) is expected
    assert kind_of(getattr(module, base), sdk, table) is expected


def test_a_class_from_another_package_is_not_mistaken_for_the_sdk_s() -> None:
    imposter = type("RateLimitError", (Exception,), {"__module__": "anthropic_tools.errors"})

    assert kind_of(imposter, "anthropic", ANTHROPIC_ERRORS) is None
    assert type(from_anthropic(imposter("x"))) is ProviderError


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
