"""The one home of numpy: a preallocated matrix of unit-length float32 rows, searched
exactly by dot product (cosine similarity, as every row and query has length 1).

numpy is imported when the first matrix is made, never when plait loads; without it the
error names the extra to install.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from plait.nodes.memory.vectors._protocol import Vector, VectorError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Rows = npt.NDArray[np.float32]

__all__ = ["Matrix", "numpy"]

_EXTRA = "vector memory needs numpy: pip install 'plait[vectors]'"
_INITIAL_CAPACITY = 1024


def numpy() -> object:
    """The numpy module.

    Raises:
        ImportError: naming the extra to install, when numpy is missing.
    """
    try:
        import numpy
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(_EXTRA) from error
    return numpy


class Matrix:
    """``len(self)`` unit rows of ``dimension`` float32 values in a buffer that grows by
    doubling, so adding a row copies nothing most of the time."""

    def __init__(self, dimension: int) -> None:
        import numpy as np

        numpy()
        self.dimension = dimension
        self._rows: Rows = np.zeros((_INITIAL_CAPACITY, dimension), dtype=np.float32)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def prepare(self, vectors: Sequence[Vector], ids: Sequence[str]) -> Rows:
        """``vectors`` as unit float32 rows, checked all at once.

        Raises:
            VectorError: for a batch that is not ``len(ids)`` rows of ``dimension`` finite
                numbers, or holds a zero vector; the message names the first bad item.
        """
        import numpy as np

        if len(vectors) != len(ids):
            raise VectorError(f"{len(ids)} ids but {len(vectors)} vectors: give one vector per id")
        if not len(ids):
            return np.zeros((0, self.dimension), dtype=np.float32)
        try:
            rows = np.array(vectors, dtype=np.float32)
        except (ValueError, TypeError) as error:
            raise VectorError(_ragged(vectors, ids, self.dimension) or str(error)) from None
        if rows.ndim != 2 or rows.shape[1] != self.dimension:
            raise VectorError(
                _ragged(vectors, ids, self.dimension)
                or f"vectors of shape {rows.shape}: expected {self.dimension} numbers each"
            )
        return _unit(rows, ids, "vector")

    def query(self, vector: Vector) -> Rows:
        """``vector`` as one unit float32 row.

        Raises:
            VectorError: for a wrong length, a NaN or infinity, or a zero vector.
        """
        import numpy as np

        try:
            row = np.asarray(vector, dtype=np.float32)
        except (ValueError, TypeError):
            row = np.zeros(0, dtype=np.float32)
        norm = float(np.linalg.norm(row)) if row.shape == (self.dimension,) else 0.0
        if not np.isfinite(norm) or norm == 0:
            checked: Rows = self.prepare([vector], ["<query>"])[0]  # says what is wrong
            return checked
        unit: Rows = row / norm
        return unit

    def append(self, rows: Rows) -> None:
        """Add ``rows`` (from ``prepare``) at the end."""
        import numpy as np

        needed = self._size + len(rows)
        if needed > len(self._rows):
            capacity = max(needed, 2 * len(self._rows))
            grown = np.zeros((capacity, self.dimension), dtype=np.float32)
            grown[: self._size] = self._rows[: self._size]
            self._rows = grown
        self._rows[self._size : needed] = rows
        self._size = needed

    def similarity(self, position: int, row: Rows) -> float:
        """The cosine similarity of the row at ``position`` and ``row`` (both unit)."""
        return float(self._rows[position] @ row)

    def replace(self, position: int, row: Rows) -> None:
        """Overwrite the row at ``position``."""
        self._rows[position] = row

    def remove(self, position: int) -> int:
        """Remove the row at ``position`` by moving the last row there; returns the last
        row's old position (the caller moves its id the same way)."""
        last = self._size - 1
        if position != last:
            self._rows[position] = self._rows[last]
        self._size = last
        return last

    def top(
        self, query: Rows, k: int, positions: Sequence[int] | None = None
    ) -> list[tuple[int, float]]:
        """The positions of the ``k`` rows most similar to ``query`` and their cosine
        similarity, best first; among ``positions`` only, when given."""
        import numpy as np

        if positions is None:
            scores = self._rows[: self._size] @ query
            best = _best(scores, k)
            return list(zip(best, scores[best].tolist(), strict=True))
        chosen = np.asarray(positions, dtype=np.intp)
        scores = self._rows[chosen] @ query
        best = _best(scores, k)
        return list(zip(chosen[best].tolist(), scores[best].tolist(), strict=True))


def _best(scores: Rows, k: int) -> npt.NDArray[np.intp]:
    import numpy as np

    if k >= len(scores):
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, k - 1)[:k]
    ranked: npt.NDArray[np.intp] = part[np.argsort(-scores[part], kind="stable")]
    return ranked


def _unit(rows: Rows, ids: Sequence[str], what: str) -> Rows:
    import numpy as np

    finite = np.isfinite(rows).all(axis=1)
    if not finite.all():
        bad = int(np.argmin(finite))
        raise VectorError(
            f"{what} {ids[bad]!r} holds NaN or infinity: every value must be a finite number"
        )
    norms = np.linalg.norm(rows, axis=1)
    if not norms.all():
        bad = int(np.argmin(norms != 0))
        raise VectorError(
            f"{what} {ids[bad]!r} is all zeros: a zero vector has no direction to compare"
        )
    unit: Rows = rows / norms[:, None]
    return unit


def _ragged(vectors: Sequence[Vector], ids: Sequence[str], dimension: int) -> str | None:
    for item, vector in zip(ids, vectors, strict=True):
        try:
            length = len(vector)
        except TypeError:
            return f"vector {item!r} is not a sequence of numbers"
        if length != dimension:
            return (
                f"vector {item!r} has {length} dimensions: this index holds {dimension}-"
                "dimensional vectors (embed with the model the index was made for)"
            )
    return None


def to_blob(row: Rows) -> bytes:
    """The row's float32 values, little-endian, as stored in a database."""

    return row.astype("<f4").tobytes()


def from_blobs(blobs: Sequence[bytes], dimension: int) -> Rows:
    """Rows read back from ``to_blob``'s bytes.

    Raises:
        VectorError: when a blob is not ``dimension`` float32 values.
    """
    import numpy as np

    for blob in blobs:
        if len(blob) != 4 * dimension:
            raise VectorError(
                f"a stored vector has {len(blob)} bytes: expected {4 * dimension} "
                f"({dimension} float32 values); the table was written by something else"
            )
    joined = b"".join(blobs)
    return np.frombuffer(joined, dtype="<f4").reshape(len(blobs), dimension).astype(np.float32)
