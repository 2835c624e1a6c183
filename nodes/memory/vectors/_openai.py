"""``OpenAIEmbedder``: OpenAI's embeddings endpoint through the official SDK (imported, and
its errors mapped, by ``_openai``), with plait's retries rather than the SDK's."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from plait.nodes.llm._secret import Secret, Secrets
from plait.nodes.llm.providers._clients import ClientPool, http_limits
from plait.nodes.llm.providers._openai import DEFAULT_BASE_URL, _sdk, translate_error
from plait.nodes.memory.vectors._embedders import check_texts
from plait.nodes.memory.vectors._protocol import VectorError

__all__ = ["OPENAI_EMBEDDING_DIMENSIONS", "OpenAIEmbedder"]

OPENAI_EMBEDDING_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
"""The default vector length of OpenAI's embedding models."""


class OpenAIEmbedder:
    """An OpenAI (or compatible) embedding model: ``POST {base_url}/embeddings``.

    ``api_key`` and ``base_url`` default to ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL``, as
    the SDK's do. ``dimensions`` shortens text-embedding-3 vectors (sent to the API); a
    model not in ``OPENAI_EMBEDDING_DIMENSIONS`` needs it. Texts go ``batch_size`` per
    request.
    """

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        *,
        api_key: Secret | None = None,
        base_url: str | None = None,
        dimensions: int | None = None,
        batch_size: int = 512,
        timeout: float | None = None,
        clients: ClientPool | None = None,
    ) -> None:
        found = dimensions or OPENAI_EMBEDDING_DIMENSIONS.get(model)
        if found is None:
            raise VectorError(
                f"OpenAI embedding model {model!r} has no known dimension: pass dimensions="
            )
        if api_key is None:
            key = os.environ.get("OPENAI_API_KEY")
            if not key:
                raise VectorError(
                    "OpenAIEmbedder needs a key: pass api_key=Secret(...) or set OPENAI_API_KEY"
                )
            api_key = Secret(key)
        self.model = model
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        self.batch_size = batch_size
        self._dimension = found
        self._send_dimensions = dimensions
        self._api_key = api_key
        self._timeout = timeout
        self._clients = clients or ClientPool()
        self._secrets = Secrets((api_key,))
        self._client_key = ("openai", api_key, self.base_url, timeout, ())

    @property
    def name(self) -> str:
        """``openai:<model>``."""
        return f"openai:{self.model}"

    @property
    def dimension(self) -> int:
        """The length of every vector."""
        return self._dimension

    def __repr__(self) -> str:
        return f"OpenAIEmbedder({self.model!r}, base_url={self.base_url!r})"

    def _new_client(self) -> Any:
        openai = _sdk()
        arguments: dict[str, Any] = {
            "api_key": self._api_key.reveal(),
            "base_url": self.base_url,
            "max_retries": 0,
            "organization": None,
            "project": None,
            "http_client": openai.DefaultAsyncHttpxClient(limits=http_limits()),
        }
        if self._timeout is not None:
            arguments["timeout"] = self._timeout
        return openai.AsyncOpenAI(**arguments)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order.

        Raises:
            ProviderError: the mapped kind of whatever the SDK raised (rate limited, ...).
            VectorError: when ``texts`` is not a list of strings, or the reply's vectors
                do not fit.
        """
        check_texts(texts)
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            vectors.extend(await self._request(list(texts[start : start + self.batch_size])))
        return vectors

    async def _request(self, texts: list[str]) -> list[list[float]]:
        openai = _sdk()
        params: dict[str, Any] = {"model": self.model, "input": texts, "encoding_format": "float"}
        if self._send_dimensions is not None:
            params["dimensions"] = self._send_dimensions
        async with self._clients.client(self._client_key, self._new_client) as client:
            try:
                raw = await client.embeddings.with_raw_response.create(**params)
            except openai.OpenAIError as error:
                raise translate_error(error, secrets=self._secrets) from error
        data = json.loads(raw.content).get("data")
        if not isinstance(data, list) or len(data) != len(texts):
            count = len(data) if isinstance(data, list) else "no"
            raise VectorError(f"{self.name} returned {count} vectors for {len(texts)} texts")
        ordered = sorted(data, key=lambda item: int(item.get("index", 0)))
        vectors = [item.get("embedding") for item in ordered]
        for vector in vectors:
            if not isinstance(vector, list) or len(vector) != self._dimension:
                length = len(vector) if isinstance(vector, list) else "no"
                raise VectorError(
                    f"{self.name} returned a vector of {length} dimensions, expected "
                    f"{self._dimension}: pass dimensions= to match the model"
                )
        return vectors
