"""Secret values (API keys) that never show themselves in reprs, logs, errors or events.

``Secret`` wraps one value; ``Secrets`` is the set of values in force for a run (keys,
header values, secret variables) and masks every occurrence of them in text, so a key a
provider echoes into an error body, or a tool into its output, is never written down.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping

__all__ = ["MASKED", "MIN_MASKED", "Secret", "Secrets", "is_secret_name"]

MASKED = "**********"
"""What a secret shows instead of itself, alone (``str(secret)``) or inside text."""

MIN_MASKED = 8
"""Shorter values are not searched for in text: they would mask ordinary words."""

_SECRET_NAME = re.compile(r"(API_KEY|TOKEN|SECRET|PASSWORD)$")


def is_secret_name(name: str) -> bool:
    """Whether a variable or setting holds a secret by its name (``*_API_KEY``, ``*_TOKEN``,
    ``*_SECRET``, ``*_PASSWORD``; any case)."""
    return bool(_SECRET_NAME.search(name.upper().replace("-", "_")))


class Secret:
    """A secret string: ``str()``, ``repr()`` and formatting print ``'**********'``.

    Only ``reveal()`` gives the value back; call it at the last moment (handing the key to
    an SDK). Secrets compare by value and hash like their value, so configurations with
    equal keys are equal, without the key ever being printable.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret value itself."""
        return self._value

    @property
    def fingerprint(self) -> str:
        """A short, stable, one-way name for the value (to key per-key rate limits)."""
        return hashlib.sha256(self._value.encode()).hexdigest()[:12]

    def __repr__(self) -> str:
        return f"Secret({MASKED!r})"

    def __str__(self) -> str:
        return MASKED

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled (it would write the key out)")


class Secrets:
    """The secret values in force: ``mask`` replaces each occurrence with ``MASKED``.

    Values shorter than ``MIN_MASKED`` are left out. Combine sets with ``|``. Never prints
    a value: its repr only counts them.
    """

    __slots__ = ("_patterns", "_values")

    def __init__(self, values: Iterable[Secret | str | None] = ()) -> None:
        found = {
            value.reveal() if isinstance(value, Secret) else value
            for value in values
            if value is not None
        }
        kept = sorted((v for v in found if len(v) >= MIN_MASKED), key=lambda v: (-len(v), v))
        self._values = tuple(kept)  # longest first: none is left half-masked
        self._patterns = _pattern(self._values) if kept else None

    @classmethod
    def of_environment(cls, environ: Mapping[str, str]) -> Secrets:
        """The values of ``environ``'s secret-named variables (``is_secret_name``)."""
        return cls(value for name, value in environ.items() if is_secret_name(name))

    def reveal(self) -> tuple[str, ...]:
        """The values themselves, longest first (for another masker, such as a trace's)."""
        return self._values

    def mask(self, text: str, replacement: str = MASKED) -> str:
        """``text`` with every occurrence of a value (also JSON-escaped) as
        ``replacement`` (``MASKED`` unless a sink has its own mask, as traces do)."""
        if self._patterns is None:
            return text
        return self._patterns.sub(lambda _: replacement, text)

    def mask_json(self, data: bytes) -> bytes:
        """JSON bytes with every value masked inside their strings."""
        if self._patterns is None:
            return data
        text = data.decode("utf-8")
        masked = self.mask(text)
        return data if masked == text else masked.encode("utf-8")

    def __or__(self, other: Secrets) -> Secrets:
        if not other._values or set(other._values) <= set(self._values):
            return self
        if not self._values:
            return other
        return Secrets((*self._values, *other._values))

    def __bool__(self) -> bool:
        return bool(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secrets) and other._values == self._values

    def __hash__(self) -> int:
        return hash(("Secrets", self._values))

    def __repr__(self) -> str:
        return f"Secrets({len(self._values)} values)"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("Secrets cannot be pickled (it would write the keys out)")


@functools.lru_cache(maxsize=256)
def _pattern(values: tuple[str, ...]) -> re.Pattern[str]:
    """One regular expression matching every value and its JSON-escaped form, longest
    first; made once per set of values (catalogs and runs build the same sets again and
    again, once per model call)."""
    forms = {form for value in values for form in (value, json.dumps(value)[1:-1])}
    ordered = sorted(forms, key=lambda form: (-len(form), form))
    return re.compile("|".join(map(re.escape, ordered)))
