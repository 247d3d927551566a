"""Trivy adapter: filesystem (lockfiles, IaC, secrets, licenses) and image scans, JSON into findings.

Every run is offline except for the vulnerability DB download, which only happens
when the DB must be fetched (``skip_db_update`` off): ``--skip-check-update`` (the
misconfiguration checks are embedded in the binary), ``--offline-scan``,
``--disable-telemetry`` and ``--skip-version-check`` (Trivy phones home otherwise).

Trivy's JSON report (``SchemaVersion`` 2): ``Trivy.Version`` and ``Results[]``, each
with ``Target`` (a file relative to the scanned directory), ``Class`` and lists of
``Vulnerabilities`` (``VulnerabilityID``, ``PkgName``, ``PkgIdentifier.UID``,
``InstalledVersion``, ``FixedVersion``, ``Severity``, ``Title``, ``PrimaryURL``),
``Misconfigurations`` (``ID``, ``Title``, ``Message``, ``Severity``, ``Status``,
``PrimaryURL``, ``CauseMetadata.{Resource,StartLine,EndLine}``), ``Secrets``
(``RuleID``, ``Title``, ``Severity``, ``StartLine``, ``EndLine``, ``Match`` with the
secret masked) and ``Licenses``; with ``--list-all-pkgs`` also ``Packages`` whose
``Locations`` give the lockfile line of each package.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from idp_actions import proc, tools
from idp_actions.errors import ProcError, ToolError
from idp_actions.findings import Finding, Severity, ToolInfo
from idp_actions.findings import fingerprint as make_fingerprint
from idp_actions.scan.outcome import ToolRun
from idp_actions.scan.settings import ScanSettings

TOOL = "trivy"
IMAGE_TOOL = "trivy-image"
INFO_URI = "https://trivy.dev"
OFFLINE_FLAGS = ("--skip-check-update", "--offline-scan", "--disable-telemetry", "--skip-version-check")
_HINT = "run the same `trivy` command locally for its full output (IDP_DEBUG=1 prints it)"


def db_dir(settings: ScanSettings) -> Path | None:
    """Where Trivy keeps its vulnerability DB for ``settings`` (None: Trivy's own default)."""
    return settings.trivy_cache_dir / "db" if settings.trivy_cache_dir else None


def command(settings: ScanSettings, *, kind: str, target: str, scanners: Sequence[str], output: Path) -> list[str]:
    """The ``trivy fs`` / ``trivy image`` command line (run with the scan root as cwd)."""
    args = [tools.find(TOOL), kind, *OFFLINE_FLAGS, "--format", "json", "--output", str(output)]
    args += ["--scanners", ",".join(scanners)]
    if "vuln" in scanners:
        args.append("--list-all-pkgs")  # the packages' lockfile lines, for locations
    if settings.trivy_cache_dir:
        args += ["--cache-dir", str(settings.trivy_cache_dir)]
    if "vuln" in scanners and settings.skip_db_update:
        args += ["--skip-db-update", "--skip-java-db-update"]
    if kind == "fs":
        for pattern in settings.exclude:
            args += ["--skip-dirs", pattern, "--skip-files", pattern]
        args.append(target)
    elif Path(settings.root, target).exists():
        args += ["--input", target]
    else:
        args += registry_flags(target)
        args.append(target)  # a registry reference
    return args


def registry_flags(reference: str) -> list[str]:
    """Flags for scanning ``reference`` in its registry.

    An image pinned by digest, or in a registry on loopback, is read from the
    registry directly (``--image-src remote``): Trivy would otherwise ask a Docker,
    containerd and Podman daemon first. Any other reference keeps Trivy's order, so
    an image just loaded into the local daemon is what gets scanned. ``--insecure``
    (plain HTTP, no certificate check) only ever goes to a loopback registry.
    """
    from idp_actions.errors import UsageError
    from idp_actions.image.reference import parse

    try:
        ref = parse(reference)
    except UsageError:
        return []  # not a reference idp understands: Trivy reports it in its own words
    flags = ["--image-src", "remote"] if ref.digest or ref.loopback else []
    return [*flags, "--insecure"] if ref.loopback else flags


def download_db(cache_dir: Path, *, timeout: float = 900) -> str:
    """Download (or refresh) Trivy's vulnerability DB into ``cache_dir/db``; returns the DB's age note.

    The only Trivy call that needs the network: the trivy-db-refresh workflow runs it
    once a day so scans can use the cached DB with ``--skip-db-update``. A mirror is
    chosen with ``TRIVY_DB_REPOSITORY`` (read by Trivy itself).
    """
    args = [tools.find(TOOL), "image", "--download-db-only", "--no-progress", "--cache-dir", str(cache_dir),
            "--disable-telemetry", "--skip-version-check"]
    try:
        done = proc.run(args, timeout=timeout, check=False)
    except ProcError as exc:
        raise ToolError(f"trivy did not finish downloading its DB: {exc.message}") from exc
    if done.returncode != 0:
        raise ToolError(f"trivy could not download its vulnerability DB (exit code {done.returncode}): "
                        f"{_fatal(done.stderr)}", hint=_db_hint(done.stderr) or _HINT)
    notes = _check_db(ScanSettings(root=cache_dir, trivy_cache_dir=cache_dir, skip_db_update=True))
    return notes[0] if notes else f"trivy: vulnerability DB in {cache_dir / 'db'}"


def run_fs(settings: ScanSettings, *, root: Path | None = None) -> ToolRun:
    """``trivy fs`` over ``root`` (default ``settings.root``): lockfiles, IaC, secrets, licenses."""
    return _run(settings, kind="fs", tool=TOOL, target=".", scanners=settings.trivy_scanners,
                cwd=root or settings.root)


def run_image(settings: ScanSettings, image: str) -> ToolRun:
    """``trivy image`` over an image tarball or OCI layout (``--input``), or a registry reference.

    Trivy reads a ``docker save`` tarball (it has ``manifest.json``) directly, but an
    OCI archive (``oci-layout`` + ``index.json``, e.g. ``docker buildx --output
    type=oci``) only as a directory: such a tarball is unpacked to a temporary one.
    """
    path = settings.root / image
    if path.is_file() and _oci_archive(path):
        with tempfile.TemporaryDirectory(prefix="idp-oci-") as tmp:
            _unpack(path, Path(tmp))
            run = _run(settings, kind="image", tool=IMAGE_TOOL, target=tmp, scanners=settings.image_scanners,
                       cwd=settings.root, display=image)
        return run
    return _run(settings, kind="image", tool=IMAGE_TOOL, target=image, scanners=settings.image_scanners,
                cwd=settings.root)


def _oci_archive(path: Path) -> bool:
    import tarfile

    try:
        with tarfile.open(path) as archive:
            names = {name.removeprefix("./") for name in archive.getnames()}
    except (OSError, tarfile.TarError) as exc:
        raise ToolError(f"{path.name} is not a readable image tarball: {exc}") from exc
    return "index.json" in names and "manifest.json" not in names


def _unpack(path: Path, dest: Path) -> None:
    import tarfile

    try:
        with tarfile.open(path) as archive:
            archive.extractall(dest, filter="data")  # refuses absolute paths, `..`, links out, devices
    except (OSError, tarfile.TarError) as exc:
        raise ToolError(f"cannot unpack the OCI archive {path.name}: {exc}") from exc


def _run(settings: ScanSettings, *, kind: str, tool: str, target: str, scanners: Sequence[str],
         cwd: Path, display: str | None = None) -> ToolRun:
    started = time.monotonic()
    notes: list[str] = []
    if "vuln" in scanners:
        notes += _check_db(settings)
    with tempfile.TemporaryDirectory(prefix="idp-trivy-") as tmp:
        output = Path(tmp) / "trivy.json"
        args = command(settings, kind=kind, target=target, scanners=scanners, output=output)
        try:
            done = proc.run(args, cwd=cwd, extra_env=dict(settings.extra_env), timeout=settings.timeout,
                            check=False)
        except ProcError as exc:  # timed out
            raise ToolError(f"trivy {kind} did not finish: {exc.message}", hint=_HINT) from exc
        if done.returncode != 0:
            raise ToolError(
                f"trivy {kind} failed (exit code {done.returncode}): {_fatal(done.stderr)}",
                hint=_db_hint(done.stderr) or _HINT,
            )
        raw = output.read_text(encoding="utf-8", errors="replace") if output.is_file() else ""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or "SchemaVersion" not in data:
        raise ToolError(f"trivy {kind} exited 0 but did not write its JSON report; its findings are unknown",
                        hint=_HINT)
    shown = display or target
    findings = parse(data, tool=tool, image="" if kind == "fs" else shown)
    notes += _warnings(done.stderr, scanners)
    version = (data.get("Trivy") or {}).get("Version") if isinstance(data.get("Trivy"), dict) else None
    return ToolRun(
        tool=tool,
        info=ToolInfo("Trivy", str(version) if version else None, INFO_URI),
        findings=tuple(findings),
        target=shown,
        notes=tuple(notes),
        seconds=time.monotonic() - started,
    )


def _check_db(settings: ScanSettings) -> list[str]:
    """Refuse a scan that would silently lack its DB; note the DB's age."""
    directory = db_dir(settings)
    if directory is None:
        return []
    metadata = directory / "metadata.json"
    if not (directory / "trivy.db").is_file():
        if settings.skip_db_update:
            raise ToolError(
                f"trivy: no vulnerability DB in {directory} and skip-db-update is set, so none would be downloaded",
                hint="turn skip-db-update off for one run (a network is needed), restore the DB cache, "
                "or drop `vuln` from the scanners",
            )
        return []
    try:
        updated = str(json.loads(metadata.read_text(encoding="utf-8")).get("UpdatedAt", ""))
        # RFC 3339 with nanoseconds, always UTC: the seconds are precise enough
        built = datetime.strptime(updated[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except (OSError, ValueError, AttributeError):
        return [f"trivy: the vulnerability DB in {directory} has no readable metadata.json"]
    age = (datetime.now(UTC) - built).days
    note = f"trivy: vulnerability DB built {built:%Y-%m-%d} ({age} day(s) old)"
    if age > 7:
        note += "; refresh it (the trivy-db-refresh workflow does, daily)"
    return [note]


def _fatal(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    fatal = [line for line in lines if "FATAL" in line or "ERROR" in line]
    return "\n    ".join((fatal or lines)[-6:]) or "(no output)"


def _db_hint(stderr: str) -> str | None:
    if "--skip-db-update cannot be specified" in stderr or "first run" in stderr:
        return "Trivy has no vulnerability DB yet: run once without skip-db-update, or restore the DB cache"
    if "DB" in stderr and ("download" in stderr or "failed to" in stderr):
        return ("the vulnerability DB could not be fetched; set TRIVY_DB_REPOSITORY to a mirror, or use the "
                "cached DB (skip-db-update) that the trivy-db-refresh workflow keeps")
    return None


def _warnings(stderr: str, scanners: Sequence[str]) -> list[str]:
    """Trivy's warnings, minus those about a scanner that was not asked for."""
    lines = [line.strip() for line in stderr.splitlines() if "WARN" in line]
    if "license" not in scanners:
        lines = [line for line in lines if "License detection is skipped" not in line]
    return [f"trivy: {line}"[:300] for line in lines][:10]


def parse(data: Mapping[str, Any], *, tool: str = TOOL, image: str = "") -> list[Finding]:
    """Findings from Trivy's JSON report (``image``: the scanned image, for image scans)."""
    findings: list[Finding] = []
    for result in data.get("Results") or []:
        if not isinstance(result, dict):
            continue
        target = str(result.get("Target") or "")
        path = target if not image else (image if _is_path(image) else "")
        lines = _package_lines(result.get("Packages") or [])
        for vuln in result.get("Vulnerabilities") or []:
            findings.append(_vulnerability(vuln, tool=tool, path=path, target=target, lines=lines, image=image))
        for check in result.get("Misconfigurations") or []:
            if isinstance(check, dict) and str(check.get("Status", "FAIL")).upper() == "FAIL":
                findings.append(_misconfiguration(check, tool=tool, path=path))
        for secret in result.get("Secrets") or []:
            findings.append(_secret(secret, tool=tool, path=path, image=image, target=target))
        for license_ in result.get("Licenses") or []:
            findings.append(_license(license_, tool=tool, path=path or str(license_.get("FilePath") or "")))
    return findings


def _is_path(image: str) -> bool:
    return image.endswith((".tar", ".tar.gz", ".tgz", ".oci"))


def _package_lines(packages: Sequence[Any]) -> dict[str, tuple[int, int]]:
    lines: dict[str, tuple[int, int]] = {}
    for package in packages:
        if not isinstance(package, dict):
            continue
        uid = (package.get("Identifier") or {}).get("UID")
        locations = package.get("Locations") or []
        if uid and locations and isinstance(locations[0], dict) and locations[0].get("StartLine"):
            first = locations[0]
            lines[str(uid)] = (int(first["StartLine"]), int(first.get("EndLine") or first["StartLine"]))
    return lines


def _vulnerability(vuln: Mapping[str, Any], *, tool: str, path: str, target: str,
                   lines: Mapping[str, tuple[int, int]], image: str) -> Finding:
    vuln_id = str(vuln.get("VulnerabilityID") or "unknown")
    package = str(vuln.get("PkgName") or "")
    installed = str(vuln.get("InstalledVersion") or "") or None
    fixed = str(vuln.get("FixedVersion") or "") or None
    title = str(vuln.get("Title") or "") or vuln_id
    uid = str((vuln.get("PkgIdentifier") or {}).get("UID") or "")
    start, end = lines.get(uid, (None, None)) if not image else (None, None)
    where = f" in {target}" if image and target else ""
    fix = f"; fixed in {fixed}" if fixed else "; no fixed version yet"
    return Finding(
        tool=tool,
        rule_id=vuln_id,
        severity=Severity.parse(str(vuln.get("Severity") or "")),
        title=title,
        message=f"{package} {installed or ''} is vulnerable to {vuln_id}{where}{fix}",
        path=path,
        start_line=start,
        end_line=end,
        # the same advisory for the same package in the same file is the same finding,
        # whatever version the lockfile moves to
        fingerprint=make_fingerprint(tool=tool, rule_id=vuln_id, path=path or target, text=target,
                                     package=package),
        help_uri=_https(vuln.get("PrimaryURL")),
        package=package or None,
        installed_version=installed,
        fixed_version=fixed,
    )


def _misconfiguration(check: Mapping[str, Any], *, tool: str, path: str) -> Finding:
    check_id = str(check.get("ID") or check.get("AVDID") or "unknown")
    cause: Mapping[str, Any] = check["CauseMetadata"] if isinstance(check.get("CauseMetadata"), dict) else {}
    message = " ".join(str(check.get("Message") or check.get("Description") or "").split())
    resolution = str(check.get("Resolution") or "").strip()
    start = cause.get("StartLine") if isinstance(cause.get("StartLine"), int) and cause["StartLine"] > 0 else None
    end = cause.get("EndLine") if isinstance(cause.get("EndLine"), int) and cause["EndLine"] > 0 else start
    return Finding(
        tool=tool,
        rule_id=check_id,
        severity=Severity.parse(str(check.get("Severity") or "")),
        title=str(check.get("Title") or check_id),
        message=message + (f" Fix: {resolution}" if resolution and resolution not in message else ""),
        path=path,
        start_line=start,
        end_line=end,
        fingerprint=make_fingerprint(tool=tool, rule_id=check_id, path=path,
                                     text=f"{cause.get('Resource') or ''} {message}"),
        help_uri=_https(check.get("PrimaryURL")),
    )


def _secret(secret: Mapping[str, Any], *, tool: str, path: str, image: str, target: str) -> Finding:
    rule_id = str(secret.get("RuleID") or "secret")
    title = str(secret.get("Title") or rule_id)
    match = str(secret.get("Match") or "").strip()  # Trivy masks the secret itself with '*'
    start = secret.get("StartLine") if isinstance(secret.get("StartLine"), int) and not image else None
    end = secret.get("EndLine") if isinstance(secret.get("EndLine"), int) and not image else start
    where = f" in {target}" if image else ""
    return Finding(
        tool=tool,
        rule_id=rule_id,
        severity=Severity.parse(str(secret.get("Severity") or "")),
        title=title,
        message=f"{title} ({secret.get('Category') or 'secret'}){where}: remove it from the "
        + ("image and its build context" if image else "repository and its history") + ", and rotate it",
        path=path,
        start_line=start,
        end_line=end,
        fingerprint=make_fingerprint(tool=tool, rule_id=rule_id, path=path or target, text=match or title),
        snippet=match,
    )


def _license(item: Mapping[str, Any], *, tool: str, path: str) -> Finding:
    name = str(item.get("Name") or "unknown")
    category = str(item.get("Category") or "unknown")
    package = str(item.get("PkgName") or "") or None
    return Finding(
        tool=tool,
        rule_id=f"license-{category}",
        severity=Severity.parse(str(item.get("Severity") or "")),
        title=f"{category.capitalize()} license {name}",
        message=f"{package or path} is licensed {name} ({category})",
        path=path,
        help_uri=_https(item.get("Link")),
        package=package,
        fingerprint=make_fingerprint(tool=tool, rule_id=f"license-{category}", path=path, text=name,
                                     package=package),
    )


def _https(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith("https://") else None
