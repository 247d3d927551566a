"""Policy exceptions: accepted violations, each with a reason, an owner and an expiry date.

``policy-exceptions.yaml`` at the repository root (or ``--exceptions FILE``)::

    exceptions:
      - id: legacy-batch                  # optional; "#<n>" (its position) otherwise
        policy: run-as-non-root           # the policy's name (a glob is allowed)
        match:                            # every key given must match
          kind: Deployment                # Kubernetes: kind, namespace, name (globs)
          namespace: batch
          name: legacy-*
          # address: module.legacy.aws_s3_bucket.logs   Terraform resource address (glob)
          # path: deploy/legacy/*                       the input's path (glob)
        reason: the vendor image runs as root until PLAT-123
        owner: team-batch
        expires: 2025-06-30

An accepted violation is still reported (suppressed, never gating). An exception
past its expiry accepts nothing and fails the check, naming itself; every exception
used is listed with what it accepted, and one that matched nothing is reported.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from idp_actions.policy import documents
from idp_actions.policy.gatekeeper import PolicyError, node_at
from idp_actions.policy.violation import Violation

DEFAULT_FILE = "policy-exceptions.yaml"
_MATCH_KEYS = ("kind", "namespace", "name", "address", "path")
_KEYS = frozenset({"id", "policy", "match", "reason", "owner", "expires"})


@dataclass(frozen=True, kw_only=True)
class PolicyException:
    """One entry of the exceptions file."""

    id: str
    policy: str
    match: dict[str, str]
    reason: str
    owner: str
    expires: date
    file: str
    line: int

    def expired(self, today: date) -> bool:
        """True once the expiry date has passed (the exception holds through that day)."""
        return self.expires < today

    def applies(self, violation: Violation) -> bool:
        """True when this exception covers ``violation``."""
        if not fnmatch.fnmatchcase(violation.policy, self.policy):
            return False
        resource = violation.resource
        values = {
            "kind": resource.kind,
            "namespace": resource.namespace,
            "name": resource.name,
            "address": resource.address,
        }
        for key, pattern in self.match.items():
            if key == "path":
                if not any(fnmatch.fnmatchcase(p, pattern) for p in (violation.path, violation.via or "") if p):
                    return False
            elif not fnmatch.fnmatchcase(values[key], pattern):
                return False
        return True

    def describe(self) -> str:
        """``legacy-batch (run-as-non-root, owner team-batch, expires 2025-06-30)``."""
        return f"{self.id} ({self.policy}, owner {self.owner}, expires {self.expires.isoformat()})"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "id": self.id,
            "policy": self.policy,
            "match": self.match,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
            "file": self.file,
            "line": self.line,
        }


def load(path: Path, *, shown: str) -> list[PolicyException]:
    """Read and check an exceptions file; every mistake is a :class:`PolicyError` naming its line."""
    try:
        text = path.read_text(encoding="utf-8")
        docs = documents.load_yaml(text)
        root = yaml.compose(text, Loader=documents.GoYamlLoader) if docs else None
    except OSError as exc:
        raise PolicyError(f"cannot read: {exc.strerror or exc}", file=shown) from None
    except documents.DocumentError as exc:
        raise PolicyError(str(exc), file=shown, line=exc.line) from None
    if not docs:
        return []
    data = docs[0].data
    entries_path: list[str | int] = []
    if isinstance(data, dict):
        unknown = set(data) - {"exceptions"}
        if unknown:
            raise PolicyError(f"unknown top-level keys: {', '.join(sorted(unknown))}", file=shown, line=1,
                              hint="the file holds `exceptions:` and a list of entries")
        data = data.get("exceptions") or []
        entries_path = ["exceptions"]
    if not isinstance(data, list):
        raise PolicyError("`exceptions` must be a list of entries", file=shown, line=1)
    found: list[PolicyException] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(data):
        node = node_at(root, [*entries_path, index])
        line = node.start_mark.line + 1 if node is not None else 1
        exception = _entry(entry, index, shown, line)
        if exception.id in seen:
            raise PolicyError(f"exception id `{exception.id}` is used twice (first at line {seen[exception.id]})",
                              file=shown, line=line)
        seen[exception.id] = line
        found.append(exception)
    return found


def _entry(entry: Any, index: int, shown: str, line: int) -> PolicyException:
    def fail(message: str) -> PolicyError:
        return PolicyError(
            f"exception #{index + 1}: {message}",
            file=shown,
            line=line,
            hint="each exception needs policy, match, reason, owner and expires (YYYY-MM-DD)",
        )

    if not isinstance(entry, dict):
        raise fail("must be a mapping")
    unknown = set(entry) - _KEYS
    if unknown:
        raise fail(f"unknown keys {', '.join(sorted(unknown))}")
    for key in ("policy", "reason", "owner"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise fail(f"`{key}` is required")
    match = entry.get("match")
    if not isinstance(match, dict) or not match:
        raise fail(f"`match` is required: any of {', '.join(_MATCH_KEYS)}")
    bad = set(match) - set(_MATCH_KEYS)
    if bad:
        raise fail(f"match: unknown keys {', '.join(sorted(bad))} (use {', '.join(_MATCH_KEYS)})")
    if not all(isinstance(v, str) and v for v in match.values()):
        raise fail("match values must be non-empty strings (quote values YAML reads as booleans or numbers: "
                   "'y', 'on', '1.0')")
    raw = entry.get("expires")
    try:
        expires = date.fromisoformat(str(raw))
    except ValueError:
        raise fail(f"`expires` must be a date (YYYY-MM-DD), got {raw!r}") from None
    identifier = entry.get("id", f"#{index + 1}")
    if not isinstance(identifier, str) or not identifier:
        raise fail("`id` must be a non-empty string")
    return PolicyException(
        id=identifier,
        policy=entry["policy"],
        match=dict(match),
        reason=entry["reason"].strip(),
        owner=entry["owner"].strip(),
        expires=expires,
        file=shown,
        line=line,
    )


@dataclass(kw_only=True)
class Outcome:
    """What the exceptions did: the violations (accepted ones marked) and each exception's fate."""

    violations: list[Violation]
    used: dict[str, int] = field(default_factory=dict)
    unused: list[PolicyException] = field(default_factory=list)
    expired: list[PolicyException] = field(default_factory=list)
    active: list[PolicyException] = field(default_factory=list)


def apply(violations: Sequence[Violation], exceptions: Sequence[PolicyException], today: date) -> Outcome:
    """Mark the violations an unexpired exception accepts; the first matching exception wins."""
    active = [e for e in exceptions if not e.expired(today)]
    expired = [e for e in exceptions if e.expired(today)]
    used: dict[str, int] = {}
    out = []
    for violation in violations:
        exception = next((e for e in active if e.applies(violation)), None)
        if exception is not None:
            used[exception.id] = used.get(exception.id, 0) + 1
            violation = violation.excepted(exception.id, exception.reason)
        out.append(violation)
    unused = [e for e in active if e.id not in used]
    return Outcome(violations=out, used=used, unused=unused, expired=expired, active=active)
