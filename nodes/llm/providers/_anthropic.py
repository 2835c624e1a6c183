"""Anthropic's Messages API through the official SDK (its only home, imported on first use).

The SDK's own retries are off: plait's retry policy is the one source of truth. Every
exception class the SDK exports is mapped to plait's provider errors here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

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
    TransientProviderError,
)
from plait.nodes.llm._model import (
    DeltaHandler,
    ModelRequest,
    ModelResponse,
    TextDelta,
    ThinkingDelta,
    ToolCallDelta,
)
from plait.nodes.llm._secret import Secret, Secrets
from plait.nodes.llm.providers._anthropic_wire import anthropic_params, anthropic_response
from plait.nodes.llm.providers._clients import ClientPool, http_limits
from plait.nodes.llm.providers._errors import (
    Failure,
    kind_of,
    mask_sdk_error,
    provider_error,
)

__all__ = ["ANTHROPIC_ERRORS", "DEFAULT_BASE_URL", "AnthropicModel", "translate_error"]

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_MAX_TOKENS = 4096

ANTHROPIC_ERRORS: Mapping[str, type[ProviderError]] = {
    "AnthropicError": ProviderError,
    "APIError": ProviderError,
    "APIStatusError": ProviderError,
    "APIResponseValidationError": ProviderError,
    "APIWebhookValidationError": ProviderError,
    "APIConnectionError": ProviderConnectionError,
    "ClientClosedRequestError": ProviderConnectionError,
    "APITimeoutError": ProviderTimeoutError,
    "RequestTimeoutError": ProviderTimeoutError,
    "GatewayTimeoutError": ProviderTimeoutError,
    "DeadlineExceededError": ProviderTimeoutError,
    "RateLimitError": RateLimitedError,
    "RampLimitExceededError": RateLimitedError,
    "OverloadedError": OverloadedError,
    "InternalServerError": ProviderServerError,
    "ServiceUnavailableError": ProviderServerError,
    "CMEKContextUnavailableError": ProviderServerError,
    "CMEKKeyUnreachableError": ProviderServerError,
    "ConflictError": ProviderServerError,
    "RetryableError": TransientProviderError,
    "AuthenticationError": AuthenticationError,
    "PermissionDeniedError": AuthenticationError,
    "SandboxEgressRestrictedError": AuthenticationError,
    "PaymentRequiredError": AuthenticationError,
    "LinkedOrganizationBillingUnavailableError": AuthenticationError,
    "LinkedOrganizationSpendLimitReachedError": AuthenticationError,
    "ContractSpendLimitReachedError": AuthenticationError,
    "EnforcedSpendLimitReachedError": AuthenticationError,
    "CredentialsError": AuthenticationError,
    "WorkloadIdentityError": AuthenticationError,
    "IdentityTokenFileError": AuthenticationError,
    "OrganizationOnHoldError": AuthenticationError,
    "ClaudeCodeKeyCreatorNotMemberError": AuthenticationError,
    "BadRequestError": BadRequestError,
    "NotFoundError": BadRequestError,
    "UnprocessableEntityError": BadRequestError,
    "PreconditionFailedError": BadRequestError,
    "HTTPNotImplementedError": BadRequestError,
    "RequestHeaderFieldsTooLargeError": BadRequestError,
    "RequestBodyEncodingInvalidError": BadRequestError,
    "RequestBodyEncodingUnsupportedError": BadRequestError,
    "CMEKKeyDisabledError": BadRequestError,
    "CMEKKeyNetworkBlockedError": BadRequestError,
    "ClaudeCodeVersionTooOldError": BadRequestError,
    "OrganizationTypeNotSupportedError": BadRequestError,
    "ParentOrganizationRequiredError": BadRequestError,
    "ContentTooLargeError": ContextTooLongError,
    "RequestTooLargeError": ContextTooLongError,
    "RequestBodyTooLargeAfterDecodingError": ContextTooLongError,
}
"""The kind of the SDK's exception classes, by class name. A class missing here (one a
newer SDK release adds) takes the kind of its nearest mapped base class (`kind_of`)."""


def translate_error(
    error: BaseException, *, mid_stream: bool = False, secrets: Secrets | None = None
) -> ProviderError:
    """The plait error for an Anthropic SDK exception (the nearest mapped class wins);
    ``secrets`` are masked in both (``mask_sdk_error``)."""
    mask_sdk_error(error, secrets or Secrets())
    kind = kind_of(type(error), "anthropic", ANTHROPIC_ERRORS) or ProviderError
    status = getattr(error, "status_code", None)
    response = getattr(error, "response", None)
    body = getattr(error, "body", None)
    details = body.get("error") if isinstance(body, dict) else None
    error_type = getattr(error, "type", None)
    if error_type is None and isinstance(details, dict):
        error_type = details.get("type")
    message = getattr(error, "api_message", None) or (
        details.get("message") if isinstance(details, dict) else None
    )
    headers = dict(response.headers) if response is not None else None
    # A stream that already returned 200 reports its error as an event, not a status.
    started = mid_stream or (status == 200)
    return provider_error(
        "anthropic",
        Failure(
            kind=kind,
            message=str(message or error or type(error).__name__),
            status=None if started else status,
            error_type=error_type if isinstance(error_type, str) else None,
            request_id=getattr(error, "request_id", None),
            headers=headers,
            mid_stream=started and isinstance(error, _sdk().APIError),
        ),
        secrets,
    )


def _sdk() -> Any:
    try:
        import anthropic
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Anthropic models need the anthropic SDK: pip install 'plait[llm]'"
        ) from error
    return anthropic


class AnthropicModel:
    """A Claude model over the Messages API: system, tools, streaming, thinking, usage."""

    def __init__(
        self,
        model: str,
        *,
        api_key: Secret,
        base_url: str | None = None,
        timeout: float | None = None,
        max_tokens: int | None = None,
        headers: Mapping[str, Secret] | None = None,
        options: Mapping[str, str] | None = None,
        clients: ClientPool | None = None,
        secrets: Secrets | None = None,
    ) -> None:
        self.model = model
        self._api_key = api_key
        self.base_url = base_url or DEFAULT_BASE_URL
        self._timeout = timeout
        self._max_tokens = max_tokens or DEFAULT_MAX_TOKENS
        self._headers = dict(headers or {})
        self._options = dict(options or {})
        self._clients = clients or ClientPool()
        self._secrets = Secrets((api_key, *self._headers.values())) | (secrets or Secrets())
        self._client_key = (
            "anthropic",
            api_key,
            self.base_url,
            timeout,
            tuple(sorted(self._headers.items())),
        )

    def secrets(self) -> Secrets:
        """The values its errors never show: its key and headers, and ``secrets=``."""
        return self._secrets

    @property
    def name(self) -> str:
        """``anthropic.<model>``."""
        return f"anthropic.{self.model}"

    def __repr__(self) -> str:
        return f"AnthropicModel({self.model!r}, base_url={self.base_url!r})"

    def _client(self) -> AbstractAsyncContextManager[Any]:
        """The SDK client for a call: the catalog's shared one while it is open."""
        return self._clients.client(self._client_key, self._new_client)

    def _new_client(self) -> Any:
        anthropic = _sdk()
        arguments: dict[str, Any] = {
            "api_key": self._api_key.reveal(),
            "base_url": self.base_url,
            "max_retries": 0,
            "default_headers": {key: value.reveal() for key, value in self._headers.items()},
            "http_client": anthropic.DefaultAsyncHttpxClient(limits=http_limits()),
        }
        if self._timeout is not None:
            arguments["timeout"] = self._timeout
        return anthropic.AsyncAnthropic(**arguments)

    def _params(self, request: ModelRequest) -> dict[str, Any]:
        return anthropic_params(
            request, model=self.model, max_tokens=self._max_tokens, options=self._options
        )

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """One Messages API call.

        Raises:
            ProviderError: the mapped kind of whatever the SDK raised.
        """
        anthropic = _sdk()
        async with self._client() as client:
            try:
                # The raw reply's JSON is what the wire module reads (no SDK models built).
                raw = await client.messages.with_raw_response.create(**self._params(request))
                body = await raw.read()
            except anthropic.AnthropicError as error:
                raise translate_error(error, secrets=self._secrets) from error
        return anthropic_response(json.loads(body), name=self.name)

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        """One streamed Messages API call: text, thinking and tool-argument deltas.

        Raises:
            ProviderError: the mapped kind; ``StreamInterruptedError`` for an error event
                after the reply started.
        """
        anthropic = _sdk()
        started = False
        async with self._client() as client:
            try:
                async with client.messages.stream(**self._params(request)) as events:
                    async for event in events:
                        started = True
                        _deliver(event, on_delta)
                    message = await events.get_final_message()
            except anthropic.AnthropicError as error:
                raise translate_error(error, mid_stream=started, secrets=self._secrets) from error
        return anthropic_response(message.model_dump(mode="json"), name=self.name)


def _deliver(event: Any, on_delta: DeltaHandler) -> None:
    if event.type == "content_block_start" and event.content_block.type == "tool_use":
        block = event.content_block
        on_delta(ToolCallDelta(event.index, block.id, block.name))
    elif event.type == "content_block_delta":
        delta = event.delta
        if delta.type == "text_delta":
            on_delta(TextDelta(delta.text))
        elif delta.type == "thinking_delta":
            on_delta(ThinkingDelta(delta.thinking))
        elif delta.type == "input_json_delta":
            on_delta(ToolCallDelta(event.index, arguments=delta.partial_json))
