"""Record seals: a 16-byte BLAKE2b over every field of a stored row, keyed when asked.

A database store seals each row it writes (runs, graph descriptions, outputs, failures,
questions, journaled calls, conversation turns, shared memory writes) and checks the seal
on every read (docs/adr-024-record-format.md). Without a key the seal catches corruption;
with one (``key=`` or ``PLAIT_STORE_KEY``) a record edited by someone without the key
cannot be re-sealed.
"""

from __future__ import annotations

import hashlib
import os
import zlib

from plait.engine.stores._errors import CorruptRecordError, StoreError

__all__ = ["KEY_VARIABLE", "Field", "Sealer", "deflate", "inflate", "text_of"]

KEY_VARIABLE = "PLAIT_STORE_KEY"
"""The environment variable a database store reads its sealing key from, when not given."""

Field = bytes | str | int | float | None
"""What a sealed row's fields are."""

_PERSON = b"plait-record-6"
_KEY_CHECK = b"plait: the store's sealing key"


class Sealer:
    """Seals rows with BLAKE2b (16 bytes), keyed by ``key`` when given.

    ``key`` None reads ``PLAIT_STORE_KEY`` (empty: no key); ``b""`` means no key, whatever
    the environment says. A key longer than 64 bytes is hashed down to 64.
    """

    __slots__ = ("_bases", "_key")

    def __init__(self, key: bytes | str | None = None) -> None:
        if key is None:
            key = os.environ.get(KEY_VARIABLE, "")
        raw = key.encode() if isinstance(key, str) else bytes(key)
        self._key = raw if len(raw) <= 64 else hashlib.blake2b(raw).digest()
        self._bases: dict[bytes, hashlib.blake2b] = {}
        """A started hash per kind of row (keyed, personalised, the kind taken in): a seal
        copies it, which costs less than starting a keyed hash again."""

    @property
    def keyed(self) -> bool:
        """Whether seals are keyed."""
        return bool(self._key)

    def seal(self, kind: bytes, *fields: object) -> bytes:
        """The seal of a ``kind`` row holding ``fields`` (each framed: type, length, bytes).

        Raises:
            UnicodeEncodeError: when a text field is not valid UTF-8 (read back corrupt).
        """
        digest = self._started(kind)
        update = digest.update
        for field in fields:
            if isinstance(field, bytes):
                update(b"b%d:" % len(field))
                update(field)
            elif isinstance(field, str):
                data = field.encode()
                update(b"s%d:" % len(data))
                update(data)
            elif isinstance(field, float):
                update(b"f" + field.hex().encode() + b";")
            elif isinstance(field, int):
                update(b"i%d;" % field)
            elif field is None:
                update(b"n;")
            else:  # a column of a type no store writes: sealed as such, so it never matches
                update(b"?" + type(field).__name__.encode() + b";")
        return digest.digest()

    def output(self, run_id: str, node: str, attempt: int, data: bytes, created: float) -> bytes:
        """``seal(b"output", run_id, node, attempt, data, created)``, the same bytes framed
        the same way, written out for the row every node commits."""
        digest = self._started(b"output")
        run, path = run_id.encode(), node.encode()
        digest.update(b"s%d:%bs%d:%bi%d;b%d:" % (len(run), run, len(path), path, attempt,
                                                   len(data)))  # fmt: skip
        digest.update(data)
        digest.update(b"f%b;" % created.hex().encode())
        return digest.digest()

    def _started(self, kind: bytes) -> hashlib.blake2b:
        base = self._bases.get(kind)
        if base is None:
            base = hashlib.blake2b(kind, digest_size=16, key=self._key, person=_PERSON)
            self._bases[kind] = base
        return base.copy()

    def key_check(self) -> bytes:
        """What a store records at creation, to tell at open whether it has the same key."""
        return self.seal(b"key", _KEY_CHECK)

    def check_key(self, stored: object, where: str) -> None:
        """Refuse to open a store sealed under another key (or with or without one).

        Raises:
            StoreError: when ``stored`` is not this sealer's ``key_check``.
        """
        if stored == self.key_check():
            return
        if self.keyed:
            found = "this key" if stored is None else "another key, or without one"
            raise StoreError(
                f"{where} was sealed with {found}: its records cannot be checked with the "
                f"key given; open it with the key it was written with ({KEY_VARIABLE} or "
                "key=)"
            )
        raise StoreError(
            f"{where} was sealed with a key, and none was given: set {KEY_VARIABLE} (or "
            "pass key=) to the key it was written with"
        )

    def check(
        self, stored: object, kind: bytes, fields: tuple[object, ...], where: tuple[str, str, str]
    ) -> None:
        """Check a row read back (``fields``) against its stored seal; ``where`` is the
        run, node and record that an error names.

        Raises:
            CorruptRecordError: when the seal does not match, is missing, or a text field is
                not valid UTF-8.
        """
        run_id, node, record = where
        try:
            found = self.seal(kind, *fields)
        except UnicodeEncodeError:
            reason = "a text field is not valid UTF-8"
            raise CorruptRecordError(run_id, node, reason, record=record) from None
        if not isinstance(stored, bytes) or found != stored:
            shown = stored.hex()[:12] if isinstance(stored, bytes) else type(stored).__name__
            reason = (
                f"its seal is {shown}…, its fields seal to {found.hex()[:12]}… (edited, "
                "truncated or written under another key)"
            )
            raise CorruptRecordError(run_id, node, reason, record=record)


def deflate(text: str) -> bytes:
    """``text`` as stored (graph descriptions): UTF-8, zlib-compressed."""
    return zlib.compress(text.encode(), 6)


def inflate(data: object, run_id: str, record: str) -> str:
    """The text ``deflate`` stored.

    Raises:
        CorruptRecordError: when ``data`` is not bytes, not zlib, or not UTF-8.
    """
    if not isinstance(data, bytes):
        reason = f"it is stored as {type(data).__name__}, not bytes"
        raise CorruptRecordError(run_id, "", reason, record=record)
    try:
        return zlib.decompress(data).decode()
    except (zlib.error, UnicodeDecodeError) as error:
        raise CorruptRecordError(run_id, "", f"it does not decompress: {error}",
                                 record=record) from None  # fmt: skip


def text_of(data: bytes) -> str:
    """How a database store reads a TEXT column: invalid UTF-8 is kept (as surrogates) so
    that the record's seal check reports it, instead of the driver failing the query."""
    return data.decode("utf-8", "surrogateescape")
