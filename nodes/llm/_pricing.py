"""Model prices: the built-in list prices and ``plait.yaml``'s ``pricing`` section.

``pricing`` maps a model (``provider.model``, as a client names it) to US dollars per
million tokens::

    pricing:
      anthropic.claude-sonnet-5: {input: 3.0, output: 15.0, cached_input: 0.3}

A configured price replaces the built-in one of the same model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from plait.nodes._type_names import close_matches
from plait.nodes.llm._messages import Usage

__all__ = ["PRICING", "Pricing", "read_pricing"]

_PRICE_KEYS = ("input", "output", "cached_input")


@dataclass(frozen=True, slots=True)
class Pricing:
    """US dollars per million tokens."""

    input: float
    output: float
    cache_read: float | None = None
    """``None``: cached input costs the same as input."""

    def cost(self, usage: Usage) -> float:
        """The cost of ``usage`` in US dollars (``input_tokens`` include the cached ones)."""
        cached = self.input if self.cache_read is None else self.cache_read
        fresh = max(0, usage.input_tokens - usage.cache_read_tokens)
        total = fresh * self.input + usage.cache_read_tokens * cached
        return (total + usage.output_tokens * self.output) / 1_000_000


PRICING: Mapping[str, Pricing] = {
    "anthropic.claude-haiku-4-5": Pricing(1.0, 5.0, 0.1),
    "anthropic.claude-sonnet-4-5": Pricing(3.0, 15.0, 0.3),
    "anthropic.claude-opus-4-1": Pricing(15.0, 75.0, 1.5),
    "openai.gpt-4.1": Pricing(2.0, 8.0, 0.5),
    "openai.gpt-4.1-mini": Pricing(0.4, 1.6, 0.1),
    "openai.gpt-4.1-nano": Pricing(0.1, 0.4, 0.025),
    "openai.gpt-4o": Pricing(2.5, 10.0, 1.25),
    "openai.gpt-4o-mini": Pricing(0.15, 0.6, 0.075),
    "openai.gpt-5": Pricing(1.25, 10.0, 0.125),
    "openai.gpt-5-mini": Pricing(0.25, 2.0, 0.025),
    "openai.o3": Pricing(2.0, 8.0, 0.5),
    "openai.o4-mini": Pricing(1.1, 4.4, 0.275),
}
"""Published list prices of a few models (by ``provider.model``); ``plait.yaml``'s
``pricing`` (or ``pricing=`` of a catalog) adds others. A model without a price has no
cost (``None``), not a made-up one."""


def read_pricing(data: object, problems: list[str]) -> dict[str, Pricing]:
    """The ``pricing`` section of a configuration, by ``provider.model``; each problem
    (with its ``$.pricing...`` path, what was expected and what was found) goes to
    ``problems``."""
    if data is None:
        return {}
    example = "{input: 3.0, output: 15.0, cached_input: 0.3}"
    if not isinstance(data, Mapping):
        problems.append(
            f"$.pricing: expected a mapping of provider.model: {example} (US dollars per "
            f"million tokens), got {type(data).__name__}"
        )
        return {}
    found: dict[str, Pricing] = {}
    for name, entry in data.items():
        model = str(name).replace(":", ".", 1)
        where = f"$.pricing.{name}"
        if "." not in model:
            problems.append(f"{where}: expected a model as provider.model (say `openai.{name}`)")
            continue
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: expected {example}, got {type(entry).__name__}")
            continue
        for key in entry:
            if key not in _PRICE_KEYS:
                near = close_matches(str(key), _PRICE_KEYS)
                hint = f" (did you mean `{near[0]}`?)" if near else ""
                known = ", ".join(_PRICE_KEYS)
                problems.append(f"{where}: unknown key `{key}`{hint}; known keys: {known}")
        before = len(problems)
        values = {key: _price(entry.get(key), f"{where}.{key}", problems) for key in _PRICE_KEYS}
        for key in ("input", "output"):
            if entry.get(key) is None:
                problems.append(f"{where}.{key}: missing (give US dollars per million tokens)")
        if len(problems) == before:
            input_price, output_price = values["input"], values["output"]
            assert input_price is not None
            assert output_price is not None
            found[model] = Pricing(input_price, output_price, values["cached_input"])
    return found


def _price(value: object, where: str, problems: list[str]) -> float | None:
    if value is None:
        return None
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):  # a PLAIT_PRICING__... override is a string
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or number < 0 or number != number or number == float("inf"):
        problems.append(
            f"{where}: expected US dollars per million tokens (a number, 0 or more), got {value!r}"
        )
        return None
    return number
