"""Checking the URL of a service idp sends a token to."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from idp_actions.errors import UsageError


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def token_url(raw: str, *, what: str, token: str, hint: str, http_hint: str) -> str:
    """``raw`` without surrounding space or a trailing slash, if a token may be sent there.

    It must be an http(s) URL with a host; plain http only to loopback (a
    port-forward, a test fake), so a token never travels unencrypted. ``what``
    names the setting in messages (``GitHub API URL``), ``token`` the secret
    (``a GitHub token``).
    """
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(f"{what} {raw!r} is not an http(s) URL", hint=hint)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(f"refusing to send {token} over plain http to {parts.hostname}", hint=http_hint)
    return url
