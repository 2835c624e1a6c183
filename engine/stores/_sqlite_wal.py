"""When the SQLite store checkpoints its WAL: in the worker thread, every few hundred pages.

SQLite's automatic checkpoint runs inside whichever commit crosses its threshold, inline
ones included: it would write the database file (and fsync it) on the event loop. The
store turns it off (``wal_autocheckpoint = 0``) and runs a PASSIVE checkpoint in the
worker thread once the WAL holds ``pages`` more frames (docs/adr-024-record-format.md).

The number of frames is read from the WAL index (the ``-shm`` file, the header's
``mxFrame``: https://www.sqlite.org/walformat.html), 4 bytes, no lock: an estimate good
enough to decide when. The WAL file's size would not do: SQLite reuses the file from its
start after a checkpoint, and truncating it instead makes every commit grow the file
(an fsync of its size too, much slower).
"""

from __future__ import annotations

import os
import sqlite3
import struct
from pathlib import Path

__all__ = ["WalCheckpoints"]

_MX_FRAME = struct.Struct("=I")  # native order, at offset 16 of the WAL index header
_MX_FRAME_AT = 16


class WalCheckpoints:
    """Decides, after each call, whether the WAL is due a checkpoint, and runs it."""

    def __init__(self, path: Path, pages: int) -> None:
        self.shm = Path(f"{path}-shm")
        self.pages = max(1, pages)
        self._fd: int | None = None
        self._due = self.pages
        """The frame count past which the next checkpoint is due."""
        self._done = -1
        """The frame count of the last complete checkpoint (the WAL restarts after it)."""
        self.results: list[tuple[int, int, int]] = []
        """The last few checkpoints' results: (busy, frames in the WAL, frames copied)."""

    def start(self, connection: sqlite3.Connection) -> None:
        """Take over checkpoints from SQLite, when the WAL index can be read (else leave
        them to SQLite's own, every 1000 pages)."""
        try:
            self._fd = os.open(self.shm, os.O_RDONLY)
        except OSError:
            self._fd = None
            connection.execute("PRAGMA wal_autocheckpoint = 1000")
            return
        connection.execute("PRAGMA wal_autocheckpoint = 0")
        self._due, self._done = self.pages, -1

    def stop(self) -> None:
        """Forget the WAL index (the connection is closing; SQLite checkpoints then)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def frames(self) -> int:
        """The frames in the WAL now (0 when unknown)."""
        if self._fd is None:
            return 0
        try:
            data = os.pread(self._fd, 4, _MX_FRAME_AT)
        except OSError:
            return 0
        return _MX_FRAME.unpack(data)[0] if len(data) == 4 else 0

    def due(self) -> bool:
        """Whether the WAL has grown ``pages`` frames since the last checkpoint."""
        frames = self.frames()
        return frames > self._due and frames != self._done

    def run(self, connection: sqlite3.Connection) -> None:
        """Copy the WAL back into the database (PASSIVE: waits on no reader or writer).

        When every frame was copied the next commit restarts the WAL at its start. When
        readers still use old frames (or another connection is checkpointing) it cannot:
        the next attempt waits for ``pages`` more frames, so commits do not each retry. A
        failure is not the caller's: the next attempt (or closing) copies the WAL back.
        """
        try:
            row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            row = (1, -1, -1)
        busy, frames, copied = (int(value) for value in row)
        self.results = [*self.results[-9:], (busy, frames, copied)]
        if busy == 0 and frames == copied:
            self._due, self._done = self.pages, frames
        else:
            self._due, self._done = max(frames, self.frames()) + self.pages, -1
