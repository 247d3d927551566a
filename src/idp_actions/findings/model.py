"""The finding model: severities, findings, their fingerprints, and filters over them."""

from __future__ import annotations

import enum
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any


class Severity(enum.Enum):
    """How bad a finding is, ordered ``CRITICAL > HIGH > MEDIUM > LOW > INFO > UNKNOWN``."""

    UNKNOWN = 0
    INFO = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.value < other.value

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.value <= other.value

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.value > other.value

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.value >= other.value

    @classmethod
    def parse(cls, value: str | float | Severity | None) -> Severity:
        """Read a tool's severity: names, SARIF levels, Semgrep/zizmor/npm words or a CVSS score.

        ``error`` → HIGH, ``warning`` → MEDIUM, ``note`` → LOW; anything
        unrecognised is UNKNOWN (tools invent words; a finding is never dropped
        for it).
        """
        if isinstance(value, Severity):
            return value
        if value is None:
            return cls.UNKNOWN
        if isinstance(value, int | float) and not isinstance(value, bool):
            return cls.from_score(float(value))
        text = str(value).strip().lower()
        if _SCORE.match(text):
            return cls.from_score(float(text))
        return _ALIASES.get(text, cls.UNKNOWN)

    @classmethod
    def from_score(cls, score: float) -> Severity:
        """A CVSS-style 0-10 score on GitHub's scale (9.0+ critical, 7.0+ high, 4.0+ medium, >0 low)."""
        if score >= 9.0:
            return cls.CRITICAL
        if score >= 7.0:
            return cls.HIGH
        if score >= 4.0:
            return cls.MEDIUM
        if score > 0.0:
            return cls.LOW
        return cls.INFO

    @property
    def sarif_level(self) -> str:
        """The SARIF ``level``: error, warning or note."""
        if self >= Severity.HIGH:
            return "error"
        if self in (Severity.MEDIUM, Severity.UNKNOWN):
            return "warning"
        return "note"

    @property
    def security_severity(self) -> str | None:
        """GitHub's ``security-severity`` score for this level, or None (INFO, UNKNOWN)."""
        return _SECURITY_SEVERITY.get(self)

    @property
    def label(self) -> str:
        """``High``: the name as people read it."""
        return self.name.capitalize()


_SCORE = re.compile(r"^\d+(\.\d+)?$")
_ALIASES = {
    "critical": Severity.CRITICAL,
    "fatal": Severity.CRITICAL,
    "high": Severity.HIGH,
    "error": Severity.HIGH,
    "failure": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "warning": Severity.MEDIUM,
    "warn": Severity.MEDIUM,
    "low": Severity.LOW,
    "note": Severity.LOW,
    "minor": Severity.LOW,
    "style": Severity.LOW,
    "info": Severity.INFO,
    "informational": Severity.INFO,
    "none": Severity.INFO,
    "negligible": Severity.INFO,
    "unknown": Severity.UNKNOWN,
    "": Severity.UNKNOWN,
}
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
}


def _normalise_path(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


_LINE_REF = re.compile(r"\b(lines?|ln|at)\s*\d+(\s*[-:]\s*\d+)?\b", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def fingerprint(*, tool: str, rule_id: str, path: str, text: str, package: str | None = None) -> str:
    """A stable identity for a finding: tool, rule, path, package and the normalised snippet or message.

    Line numbers are left out (and ``line 12`` references in messages are
    normalised away) so that moving code up or down keeps the fingerprint, and
    GitHub keeps tracking the same alert. Whitespace changes do not matter either.
    """
    normalised = _SPACE.sub(" ", _LINE_REF.sub(r"\1 N", text)).strip()
    parts = [tool, rule_id, _normalise_path(path), package or "", normalised]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One problem a scanner or policy found.

    ``path`` is relative to the repository root (normalised to forward slashes
    without a leading ``./``; empty when the finding has no file, e.g. an image
    layer); lines are 1-based.
    ``suppressed`` holds the reason when the finding was accepted (an ignore
    file, a policy exemption); suppressed findings are reported but never gate.
    ``fingerprint`` is computed from ``snippet`` (or the message) when not given.
    """

    tool: str
    rule_id: str
    severity: Severity
    title: str
    message: str
    path: str = ""
    start_line: int | None = None
    end_line: int | None = None
    fingerprint: str = ""
    help_uri: str | None = None
    package: str | None = None
    installed_version: str | None = None
    fixed_version: str | None = None
    suppressed: str | None = None
    snippet: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.path != (normalised := _normalise_path(self.path)):
            object.__setattr__(self, "path", normalised)
        if not self.fingerprint:
            object.__setattr__(
                self,
                "fingerprint",
                fingerprint(
                    tool=self.tool,
                    rule_id=self.rule_id,
                    path=self.path,
                    text=self.snippet or self.message or self.title,
                    package=self.package,
                ),
            )

    @property
    def location(self) -> str:
        """``path:line`` (or just the path, or empty)."""
        if self.path and self.start_line:
            return f"{self.path}:{self.start_line}"
        return self.path

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (severity by name)."""
        data = asdict(self)
        data["severity"] = self.severity.name
        return data


def _order(f: Finding) -> tuple[int, str, int, str, str]:
    return (-f.severity.value, f.path, f.start_line or 0, f.rule_id, f.fingerprint)


def at_or_above(findings: Iterable[Finding], threshold: Severity | str) -> list[Finding]:
    """The findings that are not suppressed and at least as severe as ``threshold``, most severe first."""
    level = Severity.parse(threshold)
    return sorted((f for f in findings if f.suppressed is None and f.severity >= level), key=_order)


def counts_by_severity(findings: Iterable[Finding]) -> dict[Severity, int]:
    """How many unsuppressed findings per severity, every severity present, most severe first."""
    counts = Counter(f.severity for f in findings if f.suppressed is None)
    return {s: counts.get(s, 0) for s in sorted(Severity, reverse=True)}
