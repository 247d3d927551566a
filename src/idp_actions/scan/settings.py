"""What ``idp scan`` scans and how it gates, parsed once at the edge into :class:`ScanSettings`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from idp_actions.errors import UsageError
from idp_actions.findings import Severity

#: Scanners ``idp scan`` runs: Trivy's (vuln, misconfig, secret, license) and Semgrep (sast).
TRIVY_SCANNERS = ("vuln", "misconfig", "secret", "license")
SCANNERS = (*TRIVY_SCANNERS, "sast")
#: In ``scan.scanners`` but run by ``idp lint`` (the self-check workflow), not by ``idp scan``.
LINT_SCANNERS = ("workflows",)
#: Severity names a threshold may use, most severe first.
THRESHOLDS = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")
DEFAULT_CATEGORY = "idp-scan"
IGNORE_FILE = ".github/idp-scan-ignore.yaml"


def parse_threshold(value: str, *, source: str = "--severity-threshold") -> Severity:
    """A severity threshold named by a person: one of :data:`THRESHOLDS`, any case.

    Unlike :meth:`Severity.parse` (lenient, for what tools print) an unknown name is
    an error that lists the allowed ones: a typo must never turn the gate off.
    """
    name = value.strip().upper()
    if name not in THRESHOLDS:
        raise UsageError(
            f"{source}: unknown severity {value!r}",
            hint=f"use one of: {', '.join(THRESHOLDS)} (the lowest severity that fails the scan)",
        )
    return Severity[name]


def parse_scanners(values: Iterable[str], *, source: str = "--scanners") -> tuple[str, ...]:
    """Scanner names, comma- or space-separated, checked and de-duplicated in order."""
    found: list[str] = []
    for value in values:
        for name in value.replace(",", " ").split():
            name = name.strip().lower()
            if name not in (*SCANNERS, *LINT_SCANNERS):
                raise UsageError(
                    f"{source}: unknown scanner {name!r}",
                    hint=f"use any of: {', '.join(SCANNERS)}",
                )
            if name not in found:
                found.append(name)
    if not found:
        raise UsageError(f"{source}: no scanner selected", hint=f"use any of: {', '.join(SCANNERS)}")
    return tuple(found)


def rule_pack(environ: Mapping[str, str] | None = None) -> Path:
    """The org Semgrep rule pack: ``$IDP_POLICY_LIBRARY/policies/semgrep``, else this checkout's."""
    env = os.environ if environ is None else environ
    override = env.get("IDP_POLICY_LIBRARY", "").strip()
    root = Path(override).expanduser() if override else Path(__file__).resolve().parents[3]
    pack = root / "policies" / "semgrep"
    if not pack.is_dir():
        raise UsageError(
            f"the Semgrep rule pack was not found at {pack}",
            hint="run idp from a checkout of idp-actions (the actions do), set IDP_POLICY_LIBRARY to one, "
            "or pass --rules DIR",
        )
    return pack


@dataclass(frozen=True, kw_only=True)
class ScanSettings:
    """One scan: the tree, the scanners, the gate and where the tools keep their data.

    ``images`` are OCI image tarballs (``docker save`` / ``skopeo copy oci-archive:``
    output) or registry references. ``trivy_cache_dir`` holds Trivy's vulnerability DB
    (``db/trivy.db``); ``skip_db_update`` uses it as it is (a cache hit, or offline).
    ``base`` turns on pull-request mode: only findings that are not on that commit fail.
    """

    root: Path
    scanners: tuple[str, ...] = ("vuln", "misconfig", "secret", "sast")
    threshold: Severity = Severity.HIGH
    ignore_unfixed: bool = False
    exclude: tuple[str, ...] = ()
    rules: tuple[Path, ...] = ()
    images: tuple[str, ...] = ()
    trivy_cache_dir: Path | None = None
    skip_db_update: bool = False
    ignore_file: Path | None = None
    category: str = DEFAULT_CATEGORY
    base: str | None = None
    timeout: float | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict, repr=False)
    #: environment for ``git fetch`` of the base (credentials as an HTTP header, never stored)
    fetch_env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def trivy_scanners(self) -> tuple[str, ...]:
        """The Trivy scanners of a filesystem scan, in Trivy's spelling."""
        return tuple(s for s in self.scanners if s in TRIVY_SCANNERS)

    @property
    def image_scanners(self) -> tuple[str, ...]:
        """The Trivy scanners of an image scan (misconfiguration checks read files, not images)."""
        return tuple(s for s in self.trivy_scanners if s in ("vuln", "secret", "license"))

    @property
    def semgrep(self) -> bool:
        """True when Semgrep runs (the ``sast`` scanner)."""
        return "sast" in self.scanners

    @property
    def pull_request(self) -> bool:
        """True in pull-request mode (a base commit to compare with)."""
        return bool(self.base)
