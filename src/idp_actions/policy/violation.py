"""One policy violation, whatever engine found it, and how it becomes a :class:`~idp_actions.findings.Finding`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from idp_actions.findings import Finding, Severity

TOOL = "idp-policy"
#: How an enforcement action reads as a severity: deny gates, warn is shown, dryrun is only recorded.
SEVERITY = {"deny": Severity.HIGH, "warn": Severity.MEDIUM, "dryrun": Severity.INFO}


@dataclass(frozen=True, kw_only=True)
class Resource:
    """What a violation is about: a Kubernetes object or a Terraform resource address."""

    kind: str = ""
    namespace: str = ""
    name: str = ""
    address: str = ""

    def describe(self) -> str:
        """``Deployment shop/web``, ``aws_s3_bucket.logs`` or empty."""
        if self.address:
            return self.address
        if self.kind:
            where = f"{self.namespace}/{self.name}" if self.namespace else self.name
            return f"{self.kind} {where}".strip()
        return ""

    def as_dict(self) -> dict[str, str]:
        """The fields that are set."""
        return {k: v for k, v in (("kind", self.kind), ("namespace", self.namespace), ("name", self.name),
                                  ("address", self.address)) if v}


@dataclass(frozen=True, kw_only=True)
class Violation:
    """A policy said no (or warned) about one input.

    ``policy`` is the policy's name (its folder); ``constraint`` the Gatekeeper
    constraint (``Kind/name``) or the conftest rule (``deny``, ``warn_x``) that fired;
    ``area`` the kind of input (kubernetes, terraform, docker, workflows);
    ``excepted_by`` the id of the exception that accepted it.
    """

    policy: str
    constraint: str
    enforcement: str
    message: str
    area: str
    path: str
    line: int | None
    resource: Resource = field(default_factory=Resource)
    details: Any = None
    via: str | None = None
    excepted_by: str | None = None
    exception_reason: str | None = None

    @property
    def gates(self) -> bool:
        """True when it fails the check: a deny that no exception accepted."""
        return self.enforcement == "deny" and self.excepted_by is None

    def excepted(self, exception_id: str, reason: str) -> Violation:
        """A copy accepted by the exception ``exception_id``."""
        return replace(self, excepted_by=exception_id, exception_reason=reason)

    def key(self) -> tuple[str, str, str, int, str, str]:
        """What makes two violations the same report line."""
        return (self.policy, self.constraint, self.path, self.line or 0, self.message, self.resource.describe())

    def finding(self) -> Finding:
        """The :class:`Finding` of this violation (enforcement as severity, exceptions as suppressions)."""
        suppressed = None
        if self.excepted_by is not None:
            suppressed = f"policy exception {self.excepted_by}: {self.exception_reason or ''}".strip()
        return Finding(
            tool=TOOL,
            rule_id=self.policy,
            severity=SEVERITY[self.enforcement],
            title=f"{self.policy} ({self.enforcement})",
            message=self.message,
            path=self.path,
            start_line=self.line,
            suppressed=suppressed,
            snippet=f"{self.constraint}|{self.resource.describe()}|{self.message}",
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict for the JSON report (enforcement kept as Gatekeeper names it)."""
        data: dict[str, Any] = {
            "policy": self.policy,
            "constraint": self.constraint,
            "enforcement": self.enforcement,
            "message": self.message,
            "input": self.area,
            "path": self.path,
            "line": self.line,
            "resource": self.resource.as_dict(),
        }
        if self.details not in (None, {}):
            data["details"] = self.details
        if self.via:
            data["renderedFrom"] = self.via
        if self.excepted_by:
            data["exception"] = {"id": self.excepted_by, "reason": self.exception_reason}
        return data
