"""Leases: who holds a run (host, pid, process start), with which fencing token.

An owner is a string a store keeps as given; plait writes it as
``host:pid:start:nonce`` so that another process on the same host can tell, at once,
that the holder is gone (its pid is dead, a zombie, or now another process). A string of
any other form (a custom owner, an older plait's) is only ever judged by its lease's
expiry.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Lease", "Owner", "describe_owner", "new_owner", "owner_gone"]

_PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class Lease:
    """A run's lease as its holder got it from ``acquire`` or ``renew``.

    ``token`` grows by one each time the lease changes hands, never on a renewal: a write
    made with a lease whose token is no longer the stored one is refused.
    """

    run_id: str
    owner: str
    token: int
    expires_at: float


@dataclass(frozen=True, slots=True)
class Owner:
    """A process that holds leases: its host, pid, start (``boot-ticks`` on Linux, else
    empty) and a nonce telling apart two holders in one process."""

    host: str
    pid: int
    started: str
    nonce: str

    @property
    def text(self) -> str:
        """The owner as a store keeps it."""
        return f"{self.host}:{self.pid}:{self.started}:{self.nonce}"

    @classmethod
    def parse(cls, text: str) -> Owner | None:
        """The owner ``text`` names, or None when it is not in plait's form."""
        parts = text.rsplit(":", 3)
        if len(parts) != 4 or not parts[0] or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2], parts[3])


def new_owner() -> str:
    """A fresh owner for this process (a new nonce each call)."""
    return Owner(socket.gethostname(), os.getpid(), _started(os.getpid()), os.urandom(4).hex()).text


def describe_owner(text: str) -> str:
    """``pid 4242 on host box1``, or the owner as stored when it is not plait's form."""
    owner = Owner.parse(text)
    return text if owner is None else f"pid {owner.pid} on host {owner.host}"


def owner_gone(text: str) -> bool:
    """Whether the owner is a process of this host that no longer runs.

    False when that cannot be told (another host, an owner not in plait's form): such a
    lease is taken only once it expires.
    """
    owner = Owner.parse(text)
    if owner is None or owner.host != socket.gethostname() or owner.pid == os.getpid():
        return False
    if _PROC.is_dir():
        stat = _stat(owner.pid)
        if stat is None:
            return True
        state, ticks = stat
        return state in ("Z", "X") or bool(owner.started and owner.started != ticks)
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: it runs, as someone else
        return False
    return False


def _started(pid: int) -> str:
    """``boot-ticks``: the boot's id and the process's start in clock ticks since boot
    (Linux); empty elsewhere, where only the pid is checked."""
    stat = _stat(pid)
    return "" if stat is None else stat[1]


def _stat(pid: int) -> tuple[str, str] | None:
    """The process's state letter and ``boot-ticks`` start, or None when it is gone."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    try:
        boot = (_PROC / "sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        boot = ""
    fields = text[text.rfind(")") + 2 :].split()  # the name, in parentheses, may hold spaces
    if len(fields) < 20:
        return None
    return fields[0], f"{boot}-{fields[19]}"
