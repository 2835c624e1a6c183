"""Throughput of the local embedding model (all-MiniLM-L6-v2, CPU): batched vs one by one.

The same sentences are embedded in rounds that alternate between one call per batch of
``--batch`` sentences and one call per sentence, through ``LocalEmbedder.embed`` (the model
loaded once, before timing). Printed: sentences a second for each, medians over the
rounds, and the ratio. Needs the ``embeddings`` extra.

Usage: ``python benchmarks/embeddings.py [--sentences 128] [--batch 32] [--rounds 3]
[--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import anyio

from plait.nodes.memory.vectors import LocalEmbedder, local_model_available

__all__ = ["main", "sentences"]

_SUBJECTS = ("The committee", "A small robot", "My neighbour", "The old library", "Our team")
_VERBS = ("approved", "repaired", "painted", "described", "moved")
_OBJECTS = ("the new bridge", "a broken clock", "the garden fence", "an ancient map", "the budget")
_ENDINGS = ("after a long debate.", "before sunrise.", "with great care.", "in record time.")


def sentences(count: int) -> list[str]:
    """``count`` distinct, ordinary English sentences."""
    made: list[str] = []
    for n in range(count):
        subject = _SUBJECTS[n % 5]
        verb = _VERBS[(n // 5) % 5]
        thing = _OBJECTS[(n // 25) % 5]
        ending = _ENDINGS[(n // 125) % 4]
        made.append(f"{subject} {verb} {thing} {ending} (note {n})")
    return made


async def _rate(embedder: LocalEmbedder, texts: list[str], batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        await embedder.embed(texts[start : start + batch])
    return len(texts) / (time.perf_counter() - started)


async def measure(count: int, batch: int, rounds: int) -> dict[str, float]:
    """Median sentences a second, batched and one by one."""
    embedder = LocalEmbedder(batch_size=batch)
    texts = sentences(count)
    await embedder.embed(texts[:batch])  # load the model and warm up
    batched: list[float] = []
    single: list[float] = []
    for _ in range(rounds):
        batched.append(await _rate(embedder, texts, batch))
        single.append(await _rate(embedder, texts, 1))
    return {
        "sentences": count,
        "batch": batch,
        "batched_per_s": statistics.median(batched),
        "one_by_one_per_s": statistics.median(single),
        "speedup": statistics.median(batched) / statistics.median(single),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """Run, print, and optionally write the figures as JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sentences", type=int, default=128)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures here")
    options = parser.parse_args(argv)
    missing = local_model_available()
    if missing:
        raise SystemExit(f"embeddings benchmark: {missing}")
    figures = anyio.run(measure, options.sentences, options.batch, options.rounds)
    print(f"local model all-MiniLM-L6-v2, {figures['sentences']:.0f} sentences, CPU")
    print(f"  batched (batch {figures['batch']:.0f}): {figures['batched_per_s']:8.1f} sentences/s")
    print(f"  one by one:         {figures['one_by_one_per_s']:8.1f} sentences/s")
    print(f"  batching speed-up:  {figures['speedup']:8.2f}x")
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
