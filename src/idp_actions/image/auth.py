"""Registry credentials and ``WWW-Authenticate`` challenges (pure).

Credentials come from ``IDP_REGISTRY_USERNAME`` and ``IDP_REGISTRY_PASSWORD`` and
are only ever sent to the registry being pushed to (and its token service), never
to the registry a base image comes from when that is another one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from idp_actions.errors import UsageError

USERNAME_VAR = "IDP_REGISTRY_USERNAME"
PASSWORD_VAR = "IDP_REGISTRY_PASSWORD"
CREDENTIALS_HINT = (
    f"set {USERNAME_VAR} and {PASSWORD_VAR} (the image-build action's `registry-username` and "
    "`registry-password` inputs) to an account or token that may {action} {repository}"
)

_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*,?')


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """A registry user name and password (or token); the password never appears in a repr."""

    username: str
    password: str = field(repr=False)

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> Credentials | None:
        """The credentials in ``env``, None when neither variable is set; one without the other is an error."""
        username = env.get(USERNAME_VAR, "").strip()
        password = env.get(PASSWORD_VAR, "")
        if not username and not password:
            return None
        if not username or not password:
            missing = USERNAME_VAR if not username else PASSWORD_VAR
            raise UsageError(f"{missing} is not set, but {USERNAME_VAR if username else PASSWORD_VAR} is",
                             hint=f"set both {USERNAME_VAR} and {PASSWORD_VAR}, or neither for a registry "
                             "that needs no credentials")
        return cls(username=username, password=password)


@dataclass(frozen=True, kw_only=True)
class Challenge:
    """One ``WWW-Authenticate`` challenge: its scheme (lower case) and parameters."""

    scheme: str
    params: Mapping[str, str]


def parse_challenges(header: str) -> list[Challenge]:
    """The challenges of a ``WWW-Authenticate`` header (``Bearer realm="…",service="…",scope="…"``)."""
    challenges: list[Challenge] = []
    rest = header.strip()
    while rest:
        found = re.match(r"([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)", rest)
        if not found:
            break
        scheme = found.group(1).lower()
        rest = rest[found.end():]
        params: dict[str, str] = {}
        while True:
            param = _PARAM.match(rest)
            if not param:
                break
            value = param.group(2) if param.group(2) is not None else param.group(3)
            params[param.group(1).lower()] = re.sub(r"\\(.)", r"\1", value)
            rest = rest[param.end():]
        challenges.append(Challenge(scheme=scheme, params=params))
        rest = rest.lstrip(", ")
    return challenges


def hint(action: str, repository: str) -> str:
    """What to do about a refused request: which variables to set, for what."""
    return CREDENTIALS_HINT.format(action=action, repository=repository)
