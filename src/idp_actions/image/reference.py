"""Image references (``registry/repository:tag@digest``) and platforms, parsed and checked.

The grammar is the distribution project's: the first path component is a
registry host when it contains a dot or a colon or is ``localhost``; otherwise
the image lives on Docker Hub (``docker.io``), whose single-component names are
under ``library/``. Repository components are lowercase; tags are at most 128
characters; digests are ``sha256:`` and 64 hex digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from idp_actions.errors import UsageError
from idp_actions.urls import is_loopback

DOCKER_HUB = "docker.io"
#: Where Docker Hub's registry API answers (``docker.io`` itself only redirects).
DOCKER_HUB_API = "registry-1.docker.io"

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
_HOST = re.compile(r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
                   r"|\[[0-9a-fA-F:.]+\])(?::\d{1,5})?")
_HINT = "use REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], like 127.0.0.1:5000/acme/payments-api:1.2.3"


def is_digest(value: str) -> bool:
    """True for ``sha256:`` followed by 64 lowercase hex digits."""
    return bool(_DIGEST.fullmatch(value))


def is_tag(value: str) -> bool:
    """True for a valid tag (word characters, dots and dashes, at most 128, not starting with . or -)."""
    return bool(_TAG.fullmatch(value))


@dataclass(frozen=True, kw_only=True)
class Reference:
    """A parsed image reference; ``registry`` is ``docker.io`` for Docker Hub."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """``registry/repository`` without tag or digest."""
        return f"{self.registry}/{self.repository}"

    @property
    def api_host(self) -> str:
        """The host (and port) that serves the registry API."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def loopback(self) -> bool:
        """True when the registry is on this machine (127.0.0.0/8, ``localhost``, ``::1``)."""
        return is_loopback(host_name(self.registry))

    @property
    def reference(self) -> str:
        """What to ask the registry for: the digest when there is one, else the tag (``latest`` by default)."""
        return self.digest or self.tag or "latest"

    def with_digest(self, digest: str) -> Reference:
        """The same repository pinned to ``digest`` (the tag is dropped)."""
        return Reference(registry=self.registry, repository=self.repository, digest=digest)

    def with_tag(self, tag: str) -> Reference:
        """The same repository at ``tag``."""
        return Reference(registry=self.registry, repository=self.repository, tag=tag)

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def host_name(registry: str) -> str:
    """The host part of ``registry`` without port or IPv6 brackets (``[::1]:5000`` → ``::1``)."""
    if registry.startswith("["):
        return registry[1:].split("]", 1)[0]
    return registry.rsplit(":", 1)[0] if ":" in registry else registry


def parse(text: str, *, what: str = "image reference") -> Reference:
    """Parse ``text`` into a :class:`Reference`; a :class:`UsageError` names ``what`` was wrong."""
    raw = text.strip()
    if not raw:
        raise UsageError(f"{what} is empty", hint=_HINT)
    rest, _, digest = raw.partition("@")
    if digest and not is_digest(digest):
        raise UsageError(f"{what} {raw!r} has an invalid digest {digest!r}",
                         hint="a digest is sha256: followed by 64 lowercase hex digits")
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        registry, path = first, remainder
        if not _HOST.fullmatch(registry):
            raise UsageError(f"{what} {raw!r} has an invalid registry host {registry!r}", hint=_HINT)
    else:
        registry, path = DOCKER_HUB, rest
    tag: str | None = None
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        path, tag = path.rsplit(":", 1)
        if not is_tag(tag):
            raise UsageError(f"{what} {raw!r} has an invalid tag {tag!r}",
                             hint="a tag is up to 128 letters, digits, _, . and -, not starting with . or -")
    if registry == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    components = path.split("/")
    bad = [c for c in components if not _COMPONENT.fullmatch(c)]
    if not path or bad:
        shown = bad[0] if bad else path
        raise UsageError(f"{what} {raw!r} has an invalid repository name component {shown!r}",
                         hint="repository names are lowercase letters, digits and single . _ - separators")
    if len(registry) + 1 + len(path) > 255:
        raise UsageError(f"{what} {raw!r} is longer than 255 characters")
    return Reference(registry=registry, repository=path, tag=tag, digest=digest or None)


def parse_repository(text: str, *, what: str = "image") -> Reference:
    """A repository to push to: a reference without digest (a tag is allowed and kept)."""
    ref = parse(text, what=what)
    if ref.digest:
        raise UsageError(f"{what} {text.strip()!r} names a digest; push to a repository (and tags) instead",
                         hint="pass the repository, like 127.0.0.1:5000/acme/payments-api, and --tag TAG")
    return ref


@dataclass(frozen=True, kw_only=True)
class Platform:
    """An OCI platform: ``os/architecture[/variant]``."""

    os: str = "linux"
    architecture: str = "amd64"
    variant: str | None = None

    def __str__(self) -> str:
        return f"{self.os}/{self.architecture}" + (f"/{self.variant}" if self.variant else "")

    def matches(self, data: object) -> bool:
        """True when an index entry's ``platform`` object is this platform (a missing variant matches)."""
        if not isinstance(data, dict):
            return False
        if data.get("os") != self.os or data.get("architecture") != self.architecture:
            return False
        return self.variant is None or data.get("variant") in (None, self.variant)


def parse_platform(text: str) -> Platform:
    """``linux/amd64`` or ``linux/arm64/v8`` into a :class:`Platform`."""
    parts = text.strip().lower().split("/")
    if len(parts) not in (2, 3) or not all(re.fullmatch(r"[a-z0-9_]+", p) for p in parts):
        raise UsageError(f"platform {text!r} is not OS/ARCH[/VARIANT]", hint="for example linux/amd64")
    return Platform(os=parts[0], architecture=parts[1], variant=parts[2] if len(parts) == 3 else None)
