"""How the Redis store names its keys and packs fields into values (the records' layouts,
sealed, are ``_redis_rows``).

A value is a sequence of tagged fields (``N`` none, ``s`` text, ``b`` bytes, ``i`` a
64-bit integer, ``f`` a 64-bit float), each text or bytes field length-prefixed: binary
safe, exact for floats, and read back against the fields each record expects, so a value
that is not what the store wrote is an error, never a wrong record.
"""

from __future__ import annotations

import struct

__all__ = ["Field", "Keys", "Reader", "RecordFormatError", "joined", "pack", "sequence_member"]

Field = str | bytes | int | float | None

_LENGTH = struct.Struct(">I")
_INTEGER = struct.Struct(">q")
_FLOAT = struct.Struct(">d")


class RecordFormatError(ValueError):
    """A stored value that is not laid out as the store writes it."""


def joined(*parts: str) -> str:
    """``parts`` as one unambiguous name: each but the last length-prefixed."""
    return "".join(f"{len(part)}:{part}:" for part in parts[:-1]) + parts[-1]


class Keys:
    """The Redis keys of one store: every key starts with ``prefix`` and a colon."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.schema = f"{prefix}:schema"
        self.runs = f"{prefix}:runs"
        """A sorted set of the runs by ``created_at``; ties by creation (``sequence``)."""
        self.sequence = f"{prefix}:sequence"
        self.version = f"{prefix}:version"
        """Shared memory writes' versions: one counter across every scope."""
        self.shared = f"{prefix}:shared"
        """Every shared memory write, by ``shared_field``."""
        self.key_check = f"{prefix}:key-check"
        """The sealing key's check (``Sealer.key_check``), written with the schema."""

    def graph(self, content_hash: str) -> str:
        """A graph description, once per content hash."""
        return f"{self.prefix}:graph:{content_hash}"

    def run(self, run_id: str) -> str:
        return f"{self.prefix}:run:{run_id}"

    def outputs(self, run_id: str) -> str:
        return f"{self.prefix}:outputs:{run_id}"

    def failures(self, run_id: str) -> str:
        return f"{self.prefix}:failures:{run_id}"

    def interrupts(self, run_id: str) -> str:
        return f"{self.prefix}:interrupts:{run_id}"

    def interrupt_order(self, run_id: str) -> str:
        return f"{self.prefix}:interrupt-order:{run_id}"

    def journal(self, run_id: str) -> str:
        return f"{self.prefix}:journal:{run_id}"

    def thread(self, thread_id: str) -> str:
        return f"{self.prefix}:thread:{thread_id}"

    def thread_order(self, thread_id: str) -> str:
        return f"{self.prefix}:thread-order:{thread_id}"

    def lease(self, run_id: str) -> str:
        return f"{self.prefix}:lease:{run_id}"

    def shared_key(self, scope: str, owner: str, key: str) -> str:
        """A sorted set of one shared key's writes (``shared_field``) by version."""
        return f"{self.prefix}:shared-key:{joined(scope, owner, key)}"

    def shared_run(self, run_id: str) -> str:
        """A sorted set of one run's shared memory writes by version."""
        return f"{self.prefix}:shared-run:{run_id}"


def sequence_member(sequence: int, run_id: str) -> str:
    """The member of ``Keys.runs`` for a run: its creation sequence, fixed width, first."""
    return f"{sequence:020d}{run_id}"


def pack(*fields: Field) -> bytes:
    """``fields`` as one value (see the module's docstring)."""
    out = bytearray()
    for field in fields:
        if field is None:
            out += b"N"
        elif isinstance(field, str):
            data = field.encode()
            out += b"s" + _LENGTH.pack(len(data)) + data
        elif isinstance(field, bytes):
            out += b"b" + _LENGTH.pack(len(field)) + field
        elif isinstance(field, int):
            out += b"i" + _INTEGER.pack(field)
        else:
            out += b"f" + _FLOAT.pack(field)
    return bytes(out)


class Reader:
    """Reads a value's fields in order, each of the kind the record expects.

    Raises ``RecordFormatError`` (from every method) when the value does not hold that.
    """

    def __init__(self, value: object) -> None:
        if not isinstance(value, bytes):
            raise RecordFormatError(f"the stored value is {type(value).__name__}, not bytes")
        self._value = value
        self._at = 0

    def text(self) -> str:
        try:
            return self._sized(b"s").decode()
        except UnicodeDecodeError as error:
            raise RecordFormatError(f"a text field is not UTF-8 ({error.reason})") from None

    def data(self) -> bytes:
        return self._sized(b"b")

    def integer(self) -> int:
        return int(_INTEGER.unpack(self._fixed(b"i", _INTEGER.size))[0])

    def number(self) -> float:
        return float(_FLOAT.unpack(self._fixed(b"f", _FLOAT.size))[0])

    def maybe_text(self) -> str | None:
        return None if self._none() else self.text()

    def maybe_data(self) -> bytes | None:
        return None if self._none() else self.data()

    def maybe_number(self) -> float | None:
        return None if self._none() else self.number()

    def end(self) -> None:
        """Check that nothing follows the fields read."""
        if self._at != len(self._value):
            raise RecordFormatError(f"{len(self._value) - self._at} bytes follow its last field")

    def _none(self) -> bool:
        if self._value[self._at : self._at + 1] == b"N":
            self._at += 1
            return True
        return False

    def _fixed(self, tag: bytes, size: int) -> bytes:
        self._tag(tag)
        return self._take(size)

    def _sized(self, tag: bytes) -> bytes:
        self._tag(tag)
        (length,) = _LENGTH.unpack(self._take(_LENGTH.size))
        return self._take(int(length))

    def _tag(self, tag: bytes) -> None:
        found = self._take(1)
        if found != tag:
            raise RecordFormatError(
                f"field at byte {self._at - 1} is tagged {found!r}, expected {tag!r}"
            )

    def _take(self, size: int) -> bytes:
        end = self._at + size
        if end > len(self._value):
            raise RecordFormatError(f"it ends at byte {len(self._value)}, inside a field")
        taken = self._value[self._at : end]
        self._at = end
        return taken
