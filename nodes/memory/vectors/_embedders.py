"""The ``Embedder`` protocol, and ``HashingEmbedder``: deterministic, offline, no model."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from plait.nodes.memory.vectors._protocol import VectorError

__all__ = ["Embedder", "HashingEmbedder"]

_WORD = re.compile(r"\w+", re.UNICODE)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors of one fixed ``dimension``, one per text, in order."""

    @property
    def name(self) -> str:
        """What made the vectors (``provider:model``): an index holds one embedder's."""
        ...

    @property
    def dimension(self) -> int:
        """The length of every vector it returns."""
        ...

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in the order given."""
        ...


class HashingEmbedder:
    """Words hashed into ``dimension`` signed buckets (the "hashing trick"), unit length.

    Deterministic across processes and machines (BLAKE2b, not ``hash()``), instant, and
    without a model: texts that share words get similar vectors, synonyms do not. For
    tests, examples and a default that needs nothing installed.
    """

    def __init__(self, dimension: int = 256) -> None:
        if not isinstance(dimension, int) or isinstance(dimension, bool) or dimension < 2:
            raise VectorError(f"HashingEmbedder dimension={dimension!r}: expected an int >= 2")
        self._dimension = dimension

    @property
    def name(self) -> str:
        """``hashing:<dimension>``."""
        return f"hashing:{self._dimension}"

    @property
    def dimension(self) -> int:
        """The length of every vector."""
        return self._dimension

    def __repr__(self) -> str:
        return f"HashingEmbedder(dimension={self._dimension})"

    def embed_one(self, text: str) -> list[float]:
        """The unit vector of one text (an empty text gets a fixed one)."""
        vector = [0.0] * self._dimension
        words = _WORD.findall(text.lower()) or [""]
        for word in words:
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            number = int.from_bytes(digest, "little")
            vector[number % self._dimension] += 1.0 if number >> 63 else -1.0
        norm = math.sqrt(sum(value * value for value in vector))
        if norm == 0:  # the signs cancelled out: fall back to counting without them
            for word in words:
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                vector[int.from_bytes(digest, "little") % self._dimension] += 1.0
            norm = math.sqrt(sum(value * value for value in vector))
        return [value / norm for value in vector]

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector per text.

        Raises:
            VectorError: when ``texts`` is a bare string or holds something else.
        """
        return [self.embed_one(text) for text in check_texts(texts)]


def check_texts(texts: Sequence[str]) -> Sequence[str]:
    """``texts``, when it is a sequence of strings.

    Raises:
        VectorError: when it is a bare string or holds a non-string.
    """
    if isinstance(texts, str):
        raise VectorError(f"texts is the string {texts!r}: give a list, e.g. [{texts!r}]")
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise VectorError(f"texts[{index}] is {type(text).__name__}: expected a string")
    return texts
