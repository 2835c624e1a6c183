"""OpenAI through the official SDK (its only home, imported on first use): the Responses
API by default, Chat Completions for OpenAI-compatible servers.

The SDK's own retries are off: plait's retry policy is the one source of truth. Every
exception class the SDK exports is mapped to plait's provider errors here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager, aclosing
from typing import Any, Literal

from plait.nodes._errors import (
    AuthenticationError,
    BadRequestError,
    ProviderConnectionError,
    ProviderError,
    ProviderServerError,
    ProviderTimeoutError,
    RateLimitedError,
    StreamInterruptedError,
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
from plait.nodes.llm.providers._clients import ClientPool, http_limits
from plait.nodes.llm.providers._errors import (
    Failure,
    kind_of,
    mask_sdk_error,
    provider_error,
)
from plait.nodes.llm.providers._openai_wire import (
    chat_params,
    chat_response,
    responses_params,
    responses_response,
)

__all__ = ["DEFAULT_BASE_URL", "OPENAI_ERRORS", "OpenAIModel", "translate_error"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"

OPENAI_ERRORS: Mapping[str, type[ProviderError]] = {
    "OpenAIError": ProviderError,
    "APIError": ProviderError,
    "APIStatusError": ProviderError,
    "APIResponseValidationError": ProviderError,
    "InvalidWebhookSignatureError": ProviderError,
    "LengthFinishReasonError": ProviderError,
    "ContentFilterFinishReasonError": ProviderError,
    "APIConnectionError": ProviderConnectionError,
    "WebSocketConnectionClosedError": ProviderConnectionError,
    "WebSocketQueueFullError": TransientProviderError,
    "APITimeoutError": ProviderTimeoutError,
    "RateLimitError": RateLimitedError,
    "InternalServerError": ProviderServerError,
    "ConflictError": ProviderServerError,
    "AuthenticationError": AuthenticationError,
    "OAuthError": AuthenticationError,
    "PermissionDeniedError": AuthenticationError,
    "BadRequestError": BadRequestError,
    "NotFoundError": BadRequestError,
    "UnprocessableEntityError": BadRequestError,
}
"""The kind of the SDK's exception classes, by class name. A class missing here (one a
newer SDK release adds) takes the kind of its nearest mapped base class (`kind_of`)."""

# Exhausted quota is a billing problem, not a reason to wait.
_FINAL_RATE_CODES = ("insufficient_quota",)


def translate_error(
    error: BaseException,
    *,
    provider: str = "openai",
    mid_stream: bool = False,
    secrets: Secrets | None = None,
) -> ProviderError:
    """The plait error for an OpenAI SDK exception (the nearest mapped class wins);
    ``secrets`` are masked in both (``mask_sdk_error``)."""
    mask_sdk_error(error, secrets or Secrets())
    kind = kind_of(type(error), "openai", OPENAI_ERRORS) or ProviderError
    code = getattr(error, "code", None)
    if kind is RateLimitedError and code in _FINAL_RATE_CODES:
        kind = AuthenticationError
    response = getattr(error, "response", None)
    body = getattr(error, "body", None)
    message = body.get("message") if isinstance(body, dict) else None
    status = getattr(error, "status_code", None)
    # Chat Completions reports a mid-stream error as a bare APIError without a status.
    interrupted = mid_stream and isinstance(error, _sdk().APIError)
    return provider_error(
        provider,
        Failure(
            kind=kind,
            message=str(message or getattr(error, "message", None) or error),
            status=status,
            error_type=getattr(error, "type", None),
            code=code if isinstance(code, str) else None,
            request_id=getattr(error, "request_id", None),
            headers=dict(response.headers) if response is not None else None,
            mid_stream=interrupted,
        ),
        secrets,
    )


def _sdk() -> Any:
    try:
        import openai
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("OpenAI models need the openai SDK: pip install 'plait[llm]'") from error
    return openai


class OpenAIModel:
    """An OpenAI (or OpenAI-compatible) model: tools, streaming, reasoning effort, usage.

    ``api="responses"`` speaks the Responses API (statelessly: ``store=False``, the whole
    conversation sent each call); ``api="chat"`` speaks Chat Completions, which
    OpenAI-compatible servers (``provider="generic"``) understand.
    """

    def __init__(
        self,
        model: str,
        *,
        api_key: Secret,
        base_url: str | None = None,
        api: Literal["responses", "chat"] = "responses",
        provider: str = "openai",
        timeout: float | None = None,
        max_tokens: int | None = None,
        headers: Mapping[str, Secret] | None = None,
        options: Mapping[str, str] | None = None,
        clients: ClientPool | None = None,
        secrets: Secrets | None = None,
    ) -> None:
        self.model = model
        self.api = api
        self.provider = provider
        self.base_url = base_url or DEFAULT_BASE_URL
        self._api_key = api_key
        self._timeout = timeout
        self._max_tokens = max_tokens
        self._headers = dict(headers or {})
        self._options = dict(options or {})
        self._clients = clients or ClientPool()
        self._secrets = Secrets((api_key, *self._headers.values())) | (secrets or Secrets())
        self._client_key = (
            "openai",
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
        """``<provider>.<model>``."""
        return f"{self.provider}.{self.model}"

    def __repr__(self) -> str:
        return f"OpenAIModel({self.name!r}, api={self.api!r}, base_url={self.base_url!r})"

    def _client(self) -> AbstractAsyncContextManager[Any]:
        """The SDK client for a call: the catalog's shared one while it is open."""
        return self._clients.client(self._client_key, self._new_client)

    def _new_client(self) -> Any:
        openai = _sdk()
        arguments: dict[str, Any] = {
            "api_key": self._api_key.reveal(),
            "base_url": self.base_url,
            "max_retries": 0,
            "organization": None,
            "project": None,
            "default_headers": {key: value.reveal() for key, value in self._headers.items()},
            "http_client": openai.DefaultAsyncHttpxClient(limits=http_limits()),
        }
        if self._timeout is not None:
            arguments["timeout"] = self._timeout
        return openai.AsyncOpenAI(**arguments)

    def _params(self, request: ModelRequest) -> dict[str, Any]:
        if self.api == "responses":
            return responses_params(
                request, model=self.model, options=self._options, max_tokens=self._max_tokens
            )
        limit_key = "max_completion_tokens" if self.provider == "openai" else "max_tokens"
        return chat_params(
            request,
            model=self.model,
            options=self._options,
            max_tokens=self._max_tokens,
            limit_key=limit_key,
        )

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """One call.

        Raises:
            ProviderError: the mapped kind of whatever the SDK raised.
        """
        openai = _sdk()
        params = self._params(request)
        async with self._client() as client:
            try:
                # The raw reply's JSON is what the wire module reads: building the SDK's
                # pydantic models only to dump them again cost more than the engine.
                if self.api == "responses":
                    raw = await client.responses.with_raw_response.create(**params)
                    return responses_response(json.loads(raw.content), name=self.name)
                raw = await client.chat.completions.with_raw_response.create(**params)
                return chat_response(json.loads(raw.content), name=self.name)
            except openai.OpenAIError as error:
                raise translate_error(
                    error, provider=self.provider, secrets=self._secrets
                ) from error

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        """One streamed call, delivering text, reasoning and tool-argument deltas.

        Raises:
            ProviderError: the mapped kind; ``StreamInterruptedError`` for an error after
                the reply started.
        """
        openai = _sdk()
        params = self._params(request)
        started = [False]
        async with self._client() as client:
            try:
                if self.api == "responses":
                    return await self._stream_responses(client, params, on_delta, started)
                return await self._stream_chat(client, params, on_delta, started)
            except openai.OpenAIError as error:
                raise translate_error(
                    error, provider=self.provider, mid_stream=started[0], secrets=self._secrets
                ) from error

    async def _stream_responses(
        self, client: Any, params: dict[str, Any], on_delta: DeltaHandler, started: list[bool]
    ) -> ModelResponse:
        async with (
            client.responses.stream(**params) as events,
            aclosing(events.__aiter__()) as iterator,
        ):
            async for event in iterator:
                started[0] = True
                kind = event.type
                if kind == "response.output_text.delta":
                    on_delta(TextDelta(event.delta))
                elif kind == "response.reasoning_summary_text.delta":
                    on_delta(ThinkingDelta(event.delta))
                elif kind == "response.output_item.added" and event.item.type == "function_call":
                    on_delta(ToolCallDelta(event.output_index, event.item.call_id, event.item.name))
                elif kind == "response.function_call_arguments.delta":
                    on_delta(ToolCallDelta(event.output_index, arguments=event.delta))
                elif kind in ("error", "response.failed"):
                    raise self._interrupted(event)
            final = await events.get_final_response()
        return responses_response(final.model_dump(mode="json"), name=self.name)

    def _interrupted(self, event: Any) -> StreamInterruptedError:
        # The Responses API delivers errors as stream events rather than raising them.
        details = getattr(getattr(event, "response", None), "error", None) or event
        code = getattr(details, "code", None)
        return StreamInterruptedError(
            str(getattr(details, "message", None) or "the stream failed"),
            provider=self.provider,
            error_type=code if isinstance(code, str) else None,
        )

    async def _stream_chat(
        self, client: Any, params: dict[str, Any], on_delta: DeltaHandler, started: list[bool]
    ) -> ModelResponse:
        text: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        finish: str | None = None
        usage: dict[str, Any] | None = None
        stream = await client.chat.completions.create(
            **params, stream=True, stream_options={"include_usage": True}
        )
        async with stream:
            async for chunk in stream:
                started[0] = True
                if chunk.usage is not None:
                    usage = chunk.usage.model_dump(mode="json")
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content:
                        text.append(delta.content)
                        on_delta(TextDelta(delta.content))
                    for piece in delta.tool_calls or []:
                        call = calls.setdefault(
                            piece.index, {"id": "", "name": "", "arguments": ""}
                        )
                        name = piece.function.name if piece.function else None
                        fragment = (piece.function.arguments if piece.function else None) or ""
                        call["id"] = piece.id or call["id"]
                        call["name"] = name or call["name"]
                        call["arguments"] += fragment
                        on_delta(ToolCallDelta(piece.index, piece.id or "", name or "", fragment))
                    finish = choice.finish_reason or finish
        message: dict[str, Any] = {"content": "".join(text) or None}
        if calls:
            message["tool_calls"] = [
                {"id": c["id"], "function": {"name": c["name"], "arguments": c["arguments"]}}
                for _, c in sorted(calls.items())
            ]
        data = {"choices": [{"message": message, "finish_reason": finish}], "usage": usage}
        return chat_response(data, name=self.name)
