"""Turning run values into canonical trace data: JSON-ready, masked, normalised, sorted.

Secrets are masked twice over: a field whose name is in the redaction set becomes
``"***"`` at any depth, and a secret value (``plait.nodes.Secret``, or anything with a
``get_secret_value`` method, such as pydantic's ``SecretStr``) becomes ``"***"`` too.
The text of both is then scrubbed from every string of the trace, so a key echoed into an
error message or an LLM request does not leak. Volatile text is normalised: the run id,
temporary and working directories, memory addresses in reprs.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from plait.nodes import Secret, to_jsonable

__all__ = ["DEFAULT_REDACTED_KEYS", "MASK", "Canonicaliser", "Redaction"]

MASK = "***"
"""What a masked value becomes."""

DEFAULT_REDACTED_KEYS = frozenset(
    {
        "api_key",
        "apikey",
        "x_api_key",
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "password",
        "passwd",
        "secret",
        "client_secret",
        "secret_key",
        "private_key",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "auth_token",
        "session_token",
        "*_api_key",
        "*_password",
        "*_secret",
        "*_token",
    }
)
"""Field names masked by default; ``*_token`` matches ``github_token`` (not ``max_tokens``)."""

_MASKED_TEXTS = frozenset({"**********", "Secret('**********')", "SecretStr('**********')"})
"""How secret types already print themselves: shown as ``MASK`` in a trace."""

_MIN_SCRUBBED = 6
"""Shorter secret values are masked where they stand but not searched for inside text."""

_MAX_DEPTH = 64

_ADDRESS = re.compile(r"\bat 0x[0-9A-Fa-f]+")
_TEMP_NAME = re.compile(r"<tmp>([/\\])(?:pytest-of-[^/\\\s]+[/\\]pytest-\d+|tmp[a-z0-9_]{8})")


@dataclass(frozen=True, slots=True, kw_only=True)
class Redaction:
    """What a trace masks.

    ``keys`` are field names, compared case-insensitively with ``-`` read as ``_``; an
    entry starting with ``*`` matches by suffix. ``values`` are secret strings (API keys
    from configuration, say) scrubbed from every string of the trace.
    """

    keys: frozenset[str] = DEFAULT_REDACTED_KEYS
    values: tuple[str, ...] = ()
    paths: Mapping[str, str] = field(default_factory=dict)
    """More directories to normalise: path -> placeholder (``{str(tmp_path): "<tmp_path>"}``).
    The working directory (``<cwd>``) and the temporary directory (``<tmp>``) always are."""

    def extended(self, *, keys: Iterable[str] = (), values: Iterable[str] = ()) -> Redaction:
        """A copy that also masks ``keys`` and scrubs ``values``."""
        return dataclasses.replace(
            self, keys=self.keys | frozenset(keys), values=(*self.values, *values)
        )


def _key_form(key: str) -> str:
    return key.lower().replace("-", "_")


def _is_secret(value: object) -> bool:
    return isinstance(value, Secret) or callable(getattr(value, "get_secret_value", None))


def _secret_text(value: object) -> str | None:
    if isinstance(value, Secret):
        return value.reveal()
    revealed = getattr(value, "get_secret_value", lambda: None)()
    if isinstance(revealed, bytes):
        return revealed.decode("utf-8", "replace")
    return revealed if isinstance(revealed, str) else None


class Canonicaliser:
    """Makes canonical trace data out of the values of one run.

    Call ``collect`` on every value first (it finds the secrets to scrub), then ``value``
    and ``text`` to convert.
    """

    def __init__(self, redaction: Redaction, run_id: str) -> None:
        keys = {_key_form(key) for key in redaction.keys}
        self.exact = frozenset(key for key in keys if not key.startswith("*"))
        self.suffixes = tuple(sorted(key[1:] for key in keys if key.startswith("*")))
        self.secrets = {value for value in redaction.values if value}
        self.run_id = run_id
        self.paths = _path_table(redaction.paths)
        self.scrub: tuple[str, ...] = ()

    def redacted(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        name = _key_form(key)
        return name in self.exact or any(name.endswith(suffix) for suffix in self.suffixes)

    def collect(self, value: object, depth: int = 0) -> None:
        """Remember the secret values inside ``value``."""
        if depth > _MAX_DEPTH or isinstance(value, str | int | float | bool | None):
            return
        if _is_secret(value):
            text = _secret_text(value)
            if text:
                self.secrets.add(text)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(item, str) and self.redacted(key):
                    self.secrets.add(item)  # masked here, so scrubbed wherever it is echoed
                else:
                    self.collect(item, depth + 1)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                self.collect(item, depth + 1)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for item in dataclasses.fields(value):
                self.collect(getattr(value, item.name, None), depth + 1)
        elif _is_model(value):
            for name in type(value).model_fields:  # type: ignore[attr-defined]
                self.collect(getattr(value, name, None), depth + 1)

    def ready(self) -> None:
        """Freeze the secrets found by ``collect``: longest first, so none is left half-masked."""
        found = (text for text in self.secrets if len(text) >= _MIN_SCRUBBED)
        self.scrub = tuple(sorted(found, key=lambda text: (-len(text), text)))

    def value(self, value: object) -> object:
        """``value`` as canonical JSON data."""
        return self.finish(to_jsonable(self.prepare(value, 0)), 0)

    def text(self, text: str) -> str:
        """``text`` with secrets masked and volatile parts replaced by placeholders."""
        for secret in self.scrub:
            if secret in text:
                text = text.replace(secret, MASK)
        if self.run_id and self.run_id in text:
            text = text.replace(self.run_id, "<run-id>")
        for path, pattern, placeholder in self.paths:
            if path in text:
                text = pattern.sub(placeholder, text)
        if "<tmp>" in text:
            text = _TEMP_NAME.sub(r"<tmp>\1<tmpdir>", text)
        if "at 0x" in text:
            text = _ADDRESS.sub("at 0x...", text)
        return text

    def prepare(self, value: object, depth: int) -> object:
        """Mask secrets and redacted fields, and order sets, before JSON conversion."""
        if isinstance(value, str | int | float | bool | None):
            return value
        if depth > _MAX_DEPTH:
            return repr(value)
        if _is_secret(value):
            return MASK
        if isinstance(value, Mapping):
            return {
                key: MASK if self.redacted(key) else self.prepare(item, depth + 1)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.prepare(item, depth + 1) for item in value]
        if isinstance(value, set | frozenset):
            items = [self.value(item) for item in value]
            return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {
                item.name: self.prepare(getattr(value, item.name, None), depth + 1)
                for item in dataclasses.fields(value)
            }
        if _is_model(value):
            return self.prepare(value.model_dump(), depth + 1)  # type: ignore[attr-defined]
        return value

    def finish(self, value: object, depth: int) -> object:
        """Sort keys, mask what ``to_jsonable`` revealed, normalise text."""
        if isinstance(value, str):
            return MASK if value in _MASKED_TEXTS else self.text(value)
        if isinstance(value, float) and not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        if isinstance(value, bool | int | float) or value is None:
            return value
        if depth > _MAX_DEPTH:
            return self.text(repr(value))
        if isinstance(value, Mapping):
            pairs = sorted((self.text(str(key)), key, item) for key, item in value.items())
            return {
                name: MASK if self.redacted(key) else self.finish(item, depth + 1)
                for name, key, item in pairs
            }
        if isinstance(value, list | tuple):
            return [self.finish(item, depth + 1) for item in value]
        return self.text(repr(value))


def _is_model(value: object) -> bool:
    return callable(getattr(value, "model_dump", None)) and hasattr(type(value), "model_fields")


def _path_table(extra: Mapping[str, str]) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(directory, its pattern, placeholder), longest first (the cwd may lie inside the
    temp dir); a directory matches whole (``/tmp`` is not the start of ``/tmpdir``)."""
    table: dict[str, str] = {}
    for path, placeholder in (
        (tempfile.gettempdir(), "<tmp>"),
        (os.getcwd(), "<cwd>"),
        *extra.items(),
    ):
        for form in {path, os.path.realpath(path)}:
            if len(form) > 1:
                table[form.rstrip("/\\")] = placeholder
    ordered = sorted(table.items(), key=lambda pair: (-len(pair[0]), pair[0]))
    return tuple(
        (path, re.compile(re.escape(path) + r"(?![\w.\-])"), placeholder.replace("\\", r"\\"))
        for path, placeholder in ordered
    )
