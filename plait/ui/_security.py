"""Who may use the viewer: loopback by default, a token beyond it, CSRF tokens for changes.

- **Binding.** A loopback address needs nothing; any other needs ``allow_remote`` and an
  access token, or the server is refused before it listens.
- **Host.** Requests must name the server by a host it answers to (loopback names, or the
  bound host): a page on another site that rebinds its DNS name to 127.0.0.1 is refused.
- **Access token.** When set, every request carries it: ``?token=`` once (it becomes a
  cookie), the cookie, or ``Authorization: Bearer``.
- **CSRF.** Each browser session gets a random session cookie (``HttpOnly``,
  ``SameSite=Strict``); every POST carries ``csrf``, an HMAC of that session under the
  server's random key, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["SESSION_COOKIE", "TOKEN_COOKIE", "BindingError", "Guard", "check_binding"]

SESSION_COOKIE = "plait_session"
TOKEN_COOKIE = "plait_token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


class BindingError(ValueError):
    """The viewer may not listen where it was asked to; the message says how to allow it."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) stays on this machine."""
    if host.strip("[]").lower() in ("localhost", "::1"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, *, allow_remote: bool, token: str | None) -> None:
    """Refuse to listen on ``host`` unless it is loopback, or remote use is allowed and
    protected by a token.

    Raises:
        BindingError: naming the host and what to add.
    """
    if is_loopback(host):
        return
    if not allow_remote:
        raise BindingError(
            f"--host {host} is not a loopback address: anyone who can reach it could read "
            "your runs; add --allow-remote and a token (--token or PLAIT_UI_TOKEN), or "
            "leave --host out to serve on 127.0.0.1"
        )
    if not token or len(token) < 16:
        raise BindingError(
            f"--host {host} with --allow-remote needs an access token of at least 16 "
            "characters: --token TOKEN or PLAIT_UI_TOKEN (e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe())'`)"
        )


@dataclass(frozen=True, slots=True)
class Guard:
    """The checks every request passes."""

    host: str
    port: int
    token: str | None = None
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def host_allowed(self, header: str | None) -> bool:
        """Whether a ``Host`` header names this server."""
        if not header:
            return False
        if header.startswith("["):
            name, _, rest = header[1:].partition("]")
            port = rest.removeprefix(":")
        else:
            name, _, port = header.partition(":")
        if port and self.port and port != str(self.port):
            return False
        name = name.lower()
        return name in LOOPBACK_NAMES or name == self.host.strip("[]").lower()

    def token_given(self, query: Mapping[str, str], cookies: Mapping[str, str], auth: str) -> bool:
        """Whether the request carries the access token (always, when there is none)."""
        if self.token is None:
            return True
        bearer = auth[7:] if auth.lower().startswith("bearer ") else ""
        given = [query.get("token", ""), cookies.get(TOKEN_COOKIE, ""), bearer]
        return any(hmac.compare_digest(item.encode(), self.token.encode()) for item in given)

    def csrf(self, session: str) -> str:
        """The CSRF token of ``session``."""
        return hmac.new(self.key, session.encode(), hashlib.sha256).hexdigest()

    def csrf_valid(self, session: str | None, given: str | None) -> bool:
        """Whether ``given`` is ``session``'s CSRF token."""
        if not session or not given:
            return False
        return hmac.compare_digest(self.csrf(session).encode(), given.encode())


def new_session() -> str:
    """A fresh session id."""
    return secrets.token_urlsafe(24)
