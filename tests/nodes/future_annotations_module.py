"""Nodes written under ``from __future__ import annotations`` (string annotations)."""

from __future__ import annotations

from dataclasses import dataclass

from plait import node


@dataclass(frozen=True)
class Reply:
    text: str


@node
async def answer(question: str, retries: int = 0) -> Reply:
    """Answer a question.

    The rest of this docstring is not part of the description.
    """
    return Reply(text=question)
