"""Turning what a provider said (status, headers, error type, message) into plait's errors.

Shared by the provider modules, which first pick a kind from the SDK exception's class;
no SDK is imported here. This is the one place provider errors are made, so it is where
secrets a provider echoes back (an error body quoting the API key) are masked: in the
plait error, and in the SDK exception it keeps as its cause.
"""

from __future__ import annotations

import contextlib
import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace

from plait.nodes._errors import (
    AuthenticationError,
    BadRequestError,
    ContextTooLongError,
    OverloadedError,
    ProviderConnectionError,
    ProviderError,
    ProviderServerError,
    ProviderTimeoutError,
    RateLimitedError,
    StreamInterruptedError,
    TransientProviderError,
)
from plait.nodes.llm._secret import Secrets

__all__ = ["Failure", "kind_of", "mask_sdk_error", "provider_error", "retry_after_seconds"]

_CONTEXT_MARKERS = (
    "context_length_exceeded",
    "prompt is too long",
    "context window",
    "maximum context length",
    "too many tokens",
)


@dataclass(frozen=True, slots=True)
class Failure:
    """What an SDK exception told us, without the SDK's types."""

    kind: type[ProviderError]
    """The kind its class maps to."""
    message: str
    status: int | None = None
    error_type: str | None = None
    code: str | None = None
    request_id: str | None = None
    headers: Mapping[str, str] | None = None
    mid_stream: bool = False
    """The error came after a streamed reply had started."""


def kind_of(
    error_class: type[BaseException], sdk: str, table: Mapping[str, type[ProviderError]]
) -> type[ProviderError] | None:
    """The kind of the nearest class in ``error_class``'s MRO that ``sdk`` defines and
    ``table`` maps, so a class a new SDK release adds is classified by its base class;
    ``None`` when no class in the MRO is mapped.
    """
    for cls in error_class.__mro__:
        if cls.__module__.split(".")[0] == sdk and cls.__name__ in table:
            return table[cls.__name__]
    return None


def retry_after_seconds(
    headers: Mapping[str, str] | None, *, now: float | None = None
) -> float | None:
    """The wait a response asks for: ``retry-after-ms``, then ``retry-after`` (seconds or
    an HTTP date); ``None`` when absent or unreadable.
    """
    if not headers:
        return None
    lowered = {key.lower(): value for key, value in headers.items()}
    milliseconds = lowered.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def mask_sdk_error(error: BaseException, secrets: Secrets) -> None:
    """Mask ``secrets`` in an SDK exception's message, arguments and error body, in place,
    before it becomes a plait error's ``__cause__`` (its text is the response body)."""
    if not secrets:
        return
    error.args = tuple(_masked(argument, secrets) for argument in error.args)
    for name in ("message", "body"):
        value = getattr(error, name, None)
        if value is not None:
            with contextlib.suppress(AttributeError):  # read-only: nothing to mask there
                setattr(error, name, _masked(value, secrets))


def _masked(value: object, secrets: Secrets) -> object:
    if isinstance(value, str):
        return secrets.mask(value)
    if isinstance(value, dict):
        return {key: _masked(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item, secrets) for item in value]
    return value


def provider_error(
    provider: str, failure: Failure, secrets: Secrets | None = None
) -> ProviderError:
    """The plait error for ``failure``: its class's kind, refined by what the body says;
    ``secrets`` (the calling client's key and every configured secret) masked in its text.
    """
    if secrets:
        failure = replace(failure, message=secrets.mask(failure.message))
    kind = failure.kind
    said = f"{failure.error_type or ''} {failure.code or ''} {failure.message}".lower()
    if failure.mid_stream:
        kind = StreamInterruptedError
    elif "overloaded" in said and issubclass(kind, TransientProviderError | ProviderServerError):
        kind = OverloadedError
    elif kind is ProviderError and failure.status is not None:
        kind = _by_status(failure.status)
    if issubclass(kind, BadRequestError) and any(marker in said for marker in _CONTEXT_MARKERS):
        kind = ContextTooLongError
    if failure.error_type == "overloaded_error" and not failure.mid_stream:
        kind = OverloadedError
    error_type = failure.error_type or failure.code
    if issubclass(kind, TransientProviderError):
        return kind(
            failure.message,
            provider=provider,
            status=failure.status,
            error_type=error_type,
            request_id=failure.request_id,
            retry_after=retry_after_seconds(failure.headers),
        )
    return kind(
        failure.message,
        provider=provider,
        status=failure.status,
        error_type=error_type,
        request_id=failure.request_id,
    )


def _by_status(status: int) -> type[ProviderError]:
    if status == 429:
        return RateLimitedError
    if status == 529:
        return OverloadedError
    if status in (401, 402, 403):
        return AuthenticationError
    if status in (408, 504):
        return ProviderTimeoutError
    if status == 499:
        return ProviderConnectionError
    if status == 409 or status >= 500:
        return ProviderServerError
    if status == 413:
        return ContextTooLongError
    if 400 <= status < 500:
        return BadRequestError
    return ProviderError
