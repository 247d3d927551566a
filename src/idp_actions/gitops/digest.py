"""What may be promoted: an image digest, never a tag."""

from __future__ import annotations

import re
from dataclasses import dataclass

from idp_actions.errors import UsageError

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_LOOSE_DIGEST = re.compile(r"(?:[^@\s]+@)?(sha256:[0-9a-fA-F]{64})")
_HINT = (
    "promote the image's digest, printed by the build (`docker buildx imagetools inspect IMAGE:TAG` "
    "shows it as `Digest: sha256:…`); tags move, digests do not"
)


@dataclass(frozen=True, order=True)
class Digest:
    """A ``sha256:<64 lowercase hex>`` image digest."""

    value: str

    def __post_init__(self) -> None:
        if not _DIGEST.fullmatch(self.value):
            raise ValueError(f"not a sha256 digest: {self.value!r}")

    def __str__(self) -> str:
        return self.value

    @property
    def short(self) -> str:
        """``sha256:`` and the first 12 hex digits, for titles and diagrams."""
        return self.value[:19]


def parse_digest(raw: str, *, source: str = "--digest") -> Digest:
    """``raw`` as a :class:`Digest`; tags, short digests and other algorithms are refused.

    ``image@sha256:…`` is accepted (the part after ``@`` is kept), and uppercase hex
    is normalised: both are how digests get copied from tool output.
    """
    value = raw.strip()
    if not value:
        raise UsageError(f"{source} is empty", hint=_HINT)
    found = _LOOSE_DIGEST.fullmatch(value)
    if found:
        return Digest(found.group(1).lower())
    if value.startswith("sha256:"):
        raise UsageError(
            f"{source} {value!r} is not a complete sha256 digest (it needs exactly 64 hex digits)",
            hint=_HINT,
        )
    algorithm = value.rsplit("@", 1)[-1].split(":", 1)[0]
    if "@" in value or algorithm in ("sha384", "sha512"):
        raise UsageError(f"{source} {value!r} is not a sha256 digest: only sha256 digests are promoted", hint=_HINT)
    raise UsageError(f"{source} {value!r} looks like a tag: only image digests are promoted", hint=_HINT)
