"""Secret values (API keys) that never show themselves in reprs, logs, errors or events."""

from __future__ import annotations

import hashlib

__all__ = ["Secret"]


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
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

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
