"""``evaluator_optimizer``: a generator answers, an evaluator rates it, and the generator
refines its answer from the feedback until the rating is good enough or rounds run out."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, overload

from plait.graphs._builder import GraphBuilder
from plait.graphs._graph import INPUTS, Graph
from plait.graphs._kinds import LoopResult
from plait.graphs.patterns._common import Member, as_node, as_text, single_input, step, wrap
from plait.nodes import Node

__all__ = ["Evaluation", "QualityRating", "Refined", "Refinement", "evaluator_optimizer"]

OutputT = TypeVar("OutputT")


class QualityRating(enum.Enum):
    """How good an answer is, from worst to best (``POOR < FAIR < GOOD < EXCELLENT``)."""

    POOR = "poor"
    FAIR = "fair"
    GOOD = "good"
    EXCELLENT = "excellent"

    @property
    def rank(self) -> int:
        """0 for ``POOR`` up to 3 for ``EXCELLENT``."""
        return list(QualityRating).index(self)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The evaluator's typed verdict on one answer."""

    rating: QualityRating
    feedback: str
    needs_improvement: bool = True
    focus_areas: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Refinement:
    """One round: the generator's answer and the evaluator's verdict on it."""

    answer: Any
    evaluation: Evaluation


@dataclass(frozen=True, slots=True)
class Refined(Generic[OutputT]):
    """The best answer (the highest rated; the earlier on a tie) and every round."""

    answer: OutputT
    rating: QualityRating
    rounds: int
    stopped_by: Literal["rating", "max_refinements"]
    history: tuple[Refinement, ...] = ()


@dataclass(frozen=True, slots=True)
class _Refining:
    """The loop's carried state: the request, the rounds so far, whether to stop."""

    request: str
    history: tuple[Refinement, ...] = ()
    done: bool = False


@overload
def evaluator_optimizer(
    name: str,
    /,
    generator: Node[OutputT],
    evaluator: Member,
    *,
    min_rating: QualityRating = QualityRating.GOOD,
    max_refinements: int = 3,
    description: str = "",
) -> Graph[Refined[OutputT]]: ...
@overload
def evaluator_optimizer(
    name: str,
    /,
    generator: Member,
    evaluator: Member,
    *,
    min_rating: QualityRating = QualityRating.GOOD,
    max_refinements: int = 3,
    description: str = "",
) -> Graph[Refined[object]]: ...
def evaluator_optimizer(
    name: str,
    /,
    generator: Member,
    evaluator: Member,
    *,
    min_rating: QualityRating = QualityRating.GOOD,
    max_refinements: int = 3,
    description: str = "",
) -> Graph[Any]:
    """Generate, evaluate, refine: at most ``max_refinements + 1`` rounds.

    The generator takes one input (the request, then a refinement prompt carrying its
    last answer, the rating and the feedback); the evaluator takes one ``str`` input (the
    request and the answer) and returns an ``Evaluation``. The rounds stop once a rating
    reaches ``min_rating`` or the evaluator says no improvement is needed.

    Raises:
        ValueError: when a member does not take exactly one input, the evaluator does not
            return ``Evaluation``, or ``max_refinements`` is negative.
    """
    where = f"evaluator_optimizer `{name}`"
    make, judge = as_node(generator), as_node(evaluator)
    entry = single_input(make, "generator", where)
    judged = single_input(judge, "evaluator", where)
    if judge.output is not Evaluation:
        raise ValueError(f"{where}: evaluator `{judge.id}` must return Evaluation (output=...)")
    if max_refinements < 0:
        raise ValueError(f"{where}: max_refinements must be >= 0, got {max_refinements}")
    body = GraphBuilder(f"{name}_round", inputs={"state": _Refining})
    prompt = body.add(step(_prompt, "prompt"), inputs={"state": f"{INPUTS}.state"})
    answer = body.add(make, inputs={entry.name: prompt})
    review = body.add(
        step(_review, "review"), inputs={"state": f"{INPUTS}.state", "answer": answer}
    )
    verdict = body.add(judge, inputs={judged.name: review})
    record = body.add(
        step(_recorder(min_rating), "record"),
        inputs={"state": f"{INPUTS}.state", "answer": answer, "evaluation": verdict},
    )
    builder = GraphBuilder(name, inputs={"message": str})
    start = builder.add(step(_start, "start"), inputs={"message": f"{INPUTS}.message"})
    rounds = builder.loop(
        body.build(record),
        carry="state",
        max_iterations=max_refinements + 1,
        until=_done,
        id="rounds",
        inputs={"state": start},
    )
    best = builder.add(step(_best, "best"), inputs={"result": rounds})
    options = {"min_rating": min_rating.value, "max_refinements": max_refinements}
    parts = {"generator": (make,), "evaluator": (judge,)}
    return wrap("evaluator_optimizer", builder.build(best), parts, options, description)


def _start(message: str) -> _Refining:
    return _Refining(message)


def _done(state: _Refining) -> bool:
    return state.done


def _prompt(state: _Refining) -> str:
    """The request, or after a round, the request with the last answer and its feedback."""
    if not state.history:
        return state.request
    last = state.history[-1]
    focus = "".join(f"\n- {area}" for area in last.evaluation.focus_areas)
    return (
        "Improve your previous response using the feedback.\n"
        f"<fastagent:request>\n{state.request}\n</fastagent:request>\n"
        f"<fastagent:response>\n{as_text(last.answer)}\n</fastagent:response>\n"
        f"<fastagent:feedback>\nRating: {last.evaluation.rating.value}\n"
        f"{last.evaluation.feedback}"
        + (f"\nFocus on:{focus}" if focus else "")
        + "\n</fastagent:feedback>\nWrite the improved response only."
    )


def _review(state: _Refining, answer: Any) -> str:
    """What the evaluator is asked: rate this response to this request."""
    return (
        "Rate the response to the request (poor, fair, good or excellent), with feedback, "
        "whether it needs improvement, and the areas to focus on.\n"
        f"<fastagent:request>\n{state.request}\n</fastagent:request>\n"
        f"<fastagent:response>\n{as_text(answer)}\n</fastagent:response>"
    )


def _recorder(min_rating: QualityRating) -> Any:
    def record(state: _Refining, answer: Any, evaluation: Evaluation) -> _Refining:
        """The state with this round added; done once the rating is good enough."""
        good = evaluation.rating.rank >= min_rating.rank or not evaluation.needs_improvement
        history = (*state.history, Refinement(answer, evaluation))
        return _Refining(state.request, history, good)

    return record


def _best(result: LoopResult[_Refining]) -> Refined[Any]:
    """The highest-rated answer (the earlier on a tie) and the rounds it took."""
    history = result.value.history
    best = max(history, key=lambda item: (item.evaluation.rating.rank, -history.index(item)))
    stopped: Literal["rating", "max_refinements"] = (
        "rating" if result.value.done else "max_refinements"
    )
    return Refined(best.answer, best.evaluation.rating, len(history), stopped, history)
