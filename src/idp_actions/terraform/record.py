"""The record of a planned root that travels, hidden, in the pull-request comment.

A reviewer approves what the comment shows; the apply job later finds the same
comment and compares its record with a fresh plan (:mod:`.review`). A record holds
the plan's hash, a fingerprint of the backend it was planned against, a hash of the
variables, the tool and version, and where it came from (commit, run).

In the comment it is one HTML comment per record,
``<!-- idp-actions:terraform-plan v1 <base64url JSON> -->``: base64url keeps any root
or workspace name from ending the HTML comment, and the JSON can grow fields.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

PREFIX = "<!-- idp-actions:terraform-plan v1 "
_RECORD = re.compile(r"<!-- idp-actions:terraform-plan v1 ([A-Za-z0-9_=-]+) -->")
_REQUIRED = ("root", "workspace", "plan_hash", "backend", "variables", "tool")


@dataclass(frozen=True, kw_only=True)
class PlanRecord:
    """One root and workspace as planned (see the module docstring)."""

    root: str
    workspace: str
    plan_hash: str
    backend: str
    variables: str
    tool: str
    has_changes: bool = True
    destroy: bool = False
    commit: str | None = None
    run_id: str | None = None
    run_url: str | None = None
    created_at: str | None = None
    policy: str | None = None

    @property
    def key(self) -> str:
        """``root:workspace``, the sticky comment's key and the matrix entry's id."""
        return f"{self.root}:{self.workspace}"

    def to_json(self) -> dict[str, Any]:
        """A plain dict (JSON-able)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlanRecord:
        """A record from :meth:`to_json` output; :class:`ValueError` when a field is missing or mistyped."""
        missing = [name for name in _REQUIRED if not isinstance(data.get(name), str) or not data.get(name)]
        if missing:
            raise ValueError(f"plan record lacks {', '.join(missing)}")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for flag in ("has_changes", "destroy"):
            if flag in values and not isinstance(values[flag], bool):
                raise ValueError(f"plan record field {flag} must be true or false")
        for name in ("commit", "run_id", "run_url", "created_at", "policy"):
            if values.get(name) is not None and not isinstance(values[name], str):
                raise ValueError(f"plan record field {name} must be a string")
        return cls(**values)


def encode(record: PlanRecord) -> str:
    """The hidden HTML comment that carries ``record``."""
    payload = json.dumps(record.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return PREFIX + base64.urlsafe_b64encode(payload.encode("utf-8")).decode("ascii") + " -->"


def decode(text: str) -> list[PlanRecord]:
    """Every well-formed record in ``text`` (a comment body), in order; malformed ones are skipped."""
    found = []
    for match in _RECORD.finditer(text or ""):
        try:
            data = json.loads(base64.urlsafe_b64decode(match.group(1).encode("ascii")).decode("utf-8"))
            if isinstance(data, dict):
                found.append(PlanRecord.from_json(data))
        except (ValueError, binascii.Error, UnicodeDecodeError, TypeError):
            continue
    return found


def encode_all(records: Iterable[PlanRecord]) -> str:
    """One line per record."""
    return "\n".join(encode(record) for record in records)
