"""The external tools idp-actions knows: how each is recognised, its minimum version, and version parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from idp_actions.errors import ToolError


@dataclass(frozen=True, kw_only=True)
class ToolSpec:
    """How to recognise one external tool.

    ``minimum`` is the oldest version idp-actions accepts. It is the older of the
    version ``idp tools install`` pins (``data/tools.json``) and the one
    ``scripts/setup`` builds for the tests, i.e. versions exercised here; Terraform,
    which neither provides, accepts 1.5 (the last MPL-licensed line, still widely run).
    """

    name: str
    version_args: tuple[str, ...]
    version_pattern: str
    minimum: str
    about: str

    @property
    def env_var(self) -> str:
        """The environment variable that overrides the lookup (``IDP_OPA``)."""
        return "IDP_" + self.name.upper().replace("-", "_")


_V = r"v?(?P<version>\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)"

# name, version argument, pattern over its output (stdout + stderr), minimum, what it is for
_REGISTRY = (
    ("opa", "version", rf"^Version:\s*{_V}", "1.11.0", "Open Policy Agent: Rego policy tests and evaluation"),
    ("tofu", "version", rf"^OpenTofu {_V}", "1.11.1", "OpenTofu: plan and apply infrastructure"),
    ("terraform", "version", rf"^Terraform {_V}", "1.5.0", "Terraform: plan and apply infrastructure"),
    ("conftest", "--version", rf"^Conftest:\s*{_V}", "0.65.0", "conftest: policies over plans and files"),
    ("gator", "--version", rf"^gator version {_V}", "3.23.0", "Gatekeeper's gator: verify policy suites"),
    ("trivy", "--version", rf"^Version:\s*{_V}", "0.68.1", "Trivy: vulnerability and misconfiguration scans"),
    ("semgrep", "--version", rf"^{_V}\s*$", "1.185.0", "Semgrep: code scanning rules"),
    ("actionlint", "--version", rf"^{_V}\s*$", "1.7.8", "actionlint: GitHub Actions workflow checker"),
    # kustomize v5 prints "v5.8.1"; v4 printed "{Version:kustomize/v4.5.7 GitCommit:…}".
    ("kustomize", "version", rf"^(?:\{{Version:kustomize/)?{_V}", "5.8.0", "kustomize: render overlays"),
    ("zizmor", "--version", rf"^zizmor {_V}", "1.26.1", "zizmor: GitHub Actions security linter"),
    ("shellcheck", "--version", rf"^version:\s*{_V}", "0.11.0", "ShellCheck: shell script linter"),
    ("act", "--version", rf"^act version {_V}", "0.2.83", "act: run the workflows locally"),
)

TOOLS: dict[str, ToolSpec] = {
    name: ToolSpec(name=name, version_args=(arg,), version_pattern=pattern, minimum=minimum, about=about)
    for name, arg, pattern, minimum, about in _REGISTRY
}


def spec(name: str) -> ToolSpec:
    """The registry entry for ``name``; an unknown name raises :class:`ToolError` listing the known ones."""
    try:
        return TOOLS[name]
    except KeyError:
        raise ToolError(
            f"unknown tool `{name}`",
            hint=f"known tools: {', '.join(sorted(TOOLS))}",
        ) from None


def version_key(version: str) -> tuple[int, int, int]:
    """The release part of ``version`` as a comparable tuple (``1.12.6-dev`` → ``(1, 12, 6)``).

    A pre-release suffix is ignored on purpose: tools built from source here stamp
    ``-dev`` (OpenTofu) and are the release they were built from.
    """
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", version.strip())
    if not match:
        raise ValueError(f"not a version: {version!r}")
    major, minor, patch = (int(part) for part in match.groups())
    return (major, minor, patch)


def parse_version(name: str, output: str) -> str | None:
    """The version ``name`` reports in ``output`` (its version command's stdout + stderr), or None."""
    match = re.search(spec(name).version_pattern, output, re.MULTILINE)
    return match.group("version") if match else None
