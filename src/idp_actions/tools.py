"""The external tools idp-actions runs: find them, check their versions, install them.

Finding (:func:`find`, :func:`detect`, :func:`require`): ``IDP_<TOOL>`` (a path
to the binary) wins; then, when this package runs from a development checkout,
the checkout's ``.tools/bin`` (the pinned builds of ``scripts/setup``, which must
not be shadowed by older system copies); then ``PATH``.

Installing (:func:`install`): the package ships ``data/tools.json``, a manifest
of official release downloads with their published SHA-256. A download is
verified *before* anything is extracted or made executable, extracted without
trusting member names, and moved into ``dest/<name>/<version>/`` in one rename,
so an interrupted or refused install leaves nothing behind. A second install of
the same version re-verifies the cached files and downloads nothing.

Heavy modules (``urllib``, ``tarfile``, ``zipfile``, ``json``) are imported only by
the functions that need them: ``idp --version`` never pays for them.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from idp_actions import proc
from idp_actions.errors import ProcError, ToolError

# --------------------------------------------------------------------- registry


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

#: Set for every version probe: tools that phone home are told not to.
_QUIET_ENV = {
    "CHECKPOINT_DISABLE": "1",
    "SEMGREP_ENABLE_VERSION_CHECK": "0",
    "SEMGREP_SEND_METRICS": "off",
}

_FIX = (
    "locally run scripts/setup (it builds the pinned tools into .tools/bin); on a runner add "
    "`uses: ORG/idp-actions/actions/setup@v1` with `tools: {name}`; or point {env} at the binary"
)


def spec(name: str) -> ToolSpec:
    """The registry entry for ``name``; an unknown name raises :class:`ToolError` listing the known ones."""
    try:
        return TOOLS[name]
    except KeyError:
        raise ToolError(
            f"unknown tool `{name}`",
            hint=f"known tools: {', '.join(sorted(TOOLS))}",
        ) from None


# --------------------------------------------------------------- versions


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


# ----------------------------------------------------------------- finding


def dev_tools_bin() -> Path | None:
    """``.tools/bin`` of the development checkout this package runs from, if any."""
    root = Path(__file__).resolve().parents[2]
    candidate = root / ".tools" / "bin"
    if (root / "pyproject.toml").is_file() and candidate.is_dir():
        return candidate
    return None


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def locate(name: str, *, environ: Mapping[str, str] | None = None) -> tuple[Path, str] | None:
    """Where ``name`` is and how it was found (``IDP_OPA``, ``.tools/bin`` or ``PATH``), or None.

    A set ``IDP_<TOOL>`` that does not name an executable raises :class:`ToolError`:
    an explicit override is never silently ignored.
    """
    tool = spec(name)
    env = os.environ if environ is None else environ
    override = env.get(tool.env_var, "").strip()
    if override:
        path = Path(override).expanduser()
        if not _executable(path) and os.sep not in override:
            found = shutil.which(override, path=env.get("PATH"))
            path = Path(found) if found else path
        if not _executable(path):
            raise ToolError(
                f"{tool.env_var} is set to `{override}`, which is not an executable file",
                hint=f"point {tool.env_var} at the `{name}` binary, or unset it to search PATH",
            )
        return path.absolute(), tool.env_var
    dev = dev_tools_bin()
    if dev is not None and _executable(dev / name):
        return dev / name, ".tools/bin"
    found = shutil.which(name, path=env.get("PATH", os.defpath))
    if found:
        return Path(found), "PATH"
    return None


def find(name: str, *, environ: Mapping[str, str] | None = None) -> str:
    """The path of ``name`` to run, or a :class:`ToolError` saying how to get it.

    Cheap: it does not run the tool. Use :func:`require` to check its version too.
    """
    located = locate(name, environ=environ)
    if located is None:
        tool = spec(name)
        raise ToolError(
            f"`{name}` ({tool.about}) was not found on PATH; idp-actions needs {tool.minimum} or newer",
            hint=_FIX.format(name=name, env=tool.env_var),
        )
    return str(located[0])


@dataclass(frozen=True, kw_only=True)
class Found:
    """What :func:`detect` learnt about one tool. ``path`` is None when it was not found."""

    name: str
    path: Path | None
    version: str | None
    via: str | None
    output: str = ""


def detect(name: str, *, environ: Mapping[str, str] | None = None, timeout: float = 60) -> Found:
    """Find ``name`` and ask it for its version; never raises for a missing tool."""
    located = locate(name, environ=environ)
    if located is None:
        return Found(name=name, path=None, version=None, via=None)
    path, via = located
    tool = spec(name)
    try:
        result = proc.run(
            [path, *tool.version_args],
            env=environ,
            extra_env=_QUIET_ENV,
            timeout=timeout,
            check=False,
        )
    except (ToolError, OSError) as exc:
        return Found(name=name, path=path, version=None, via=via, output=str(exc))
    except ProcError as exc:  # timed out
        return Found(name=name, path=path, version=None, via=via, output=exc.message)
    output = f"{result.stdout}\n{result.stderr}"
    return Found(name=name, path=path, version=parse_version(name, output), via=via, output=output)


def problem(found: Found, *, minimum: str | None = None, exact: str | None = None) -> str | None:
    """Why ``found`` does not satisfy the requirement, or None when it does."""
    if found.path is None:
        return "not found"
    if found.version is None:
        first = next((line.strip() for line in found.output.splitlines() if line.strip()), "")
        return f"found at {found.path}, but its version could not be read (it said: {first[:120]!r})"
    if exact is not None and version_key(found.version) != version_key(exact):
        return f"found {found.version} at {found.path}, but exactly {exact} is needed"
    if minimum is not None and version_key(found.version) < version_key(minimum):
        return f"found {found.version} at {found.path}, but {minimum} or newer is needed"
    return None


def require(
    name: str,
    *,
    minimum: str | None = None,
    exact: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Found:
    """Find ``name`` at a usable version or raise :class:`ToolError` saying what was found and what to do.

    Without ``minimum`` or ``exact`` the registry's minimum applies.
    """
    tool = spec(name)
    if minimum is None and exact is None:
        minimum = tool.minimum
    found = detect(name, environ=environ)
    why = problem(found, minimum=minimum, exact=exact)
    if why is None:
        return found
    needed = f"exactly {exact}" if exact else f"{minimum} or newer"
    raise ToolError(
        f"`{name}` ({tool.about}) is not usable: {why}; idp-actions needs {needed}",
        hint=_FIX.format(name=name, env=tool.env_var),
    )


# ---------------------------------------------------------------- manifest

#: Platforms as the manifest names them.
_OS = {"linux": "linux", "darwin": "darwin"}
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
_ARCHIVES = ("raw", "zip", "tar.gz", "tar.xz")
#: Refuse to extract a "binary" larger than this (a decompression bomb, not a tool).
MAX_BINARY_BYTES = 1024 * 1024 * 1024


def current_platform() -> str:
    """The platform key of this machine in the manifest (``linux-amd64``, ``darwin-arm64`` …)."""
    import platform as platform_module

    system = _OS.get(sys.platform, sys.platform)
    machine = platform_module.machine().lower()
    return f"{system}-{_ARCH.get(machine, machine)}"


def load_manifest(manifest: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The install manifest: the packaged ``data/tools.json``, a file, or an already-parsed mapping."""
    import json

    if isinstance(manifest, Mapping):
        return dict(manifest)
    if manifest is None:
        from importlib.resources import files

        text = files("idp_actions").joinpath("data/tools.json").read_text(encoding="utf-8")
    else:
        text = Path(manifest).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("tools"), dict):
        raise ToolError("the tools manifest has no `tools` object", hint="see idp_actions/data/tools.json")
    return data


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """One downloadable release file of one tool version for one platform."""

    name: str
    version: str
    platform: str
    url: str
    sha256: str
    archive: str
    member: str


def artifact(name: str, manifest: Mapping[str, Any], platform: str) -> Artifact:
    """The manifest's download for ``name`` on ``platform``; a :class:`ToolError` says why there is none."""
    spec(name)
    entry = manifest["tools"].get(name)
    if entry is None:
        reason = manifest.get("not_installable", {}).get(name, "no published checksum is pinned for it")
        raise ToolError(
            f"`{name}` is not installable by idp tools install; install it another way ({reason})",
            hint=f"install it on the runner yourself and set {spec(name).env_var} to the binary if it is not on PATH",
        )
    files = entry["platforms"].get(platform)
    if files is None:
        raise ToolError(
            f"`{name}` {entry['version']} has no pinned download for {platform}",
            hint=f"available: {', '.join(sorted(entry['platforms']))}; or install it another way and "
            f"set {spec(name).env_var}",
        )
    if files["archive"] not in _ARCHIVES:
        raise ToolError(f"manifest entry for `{name}` has unknown archive type {files['archive']!r}")
    return Artifact(
        name=name,
        version=str(entry["version"]),
        platform=platform,
        url=str(files["url"]),
        sha256=str(files["sha256"]).lower(),
        archive=str(files["archive"]),
        member=str(files.get("binary") or name),
    )


def mirrored(url: str, mirror: str | None) -> str:
    """``url`` with its origin (scheme and host) replaced by the ``mirror`` base URL, if any."""
    if not mirror:
        return url
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    return mirror.rstrip("/") + tail


# ----------------------------------------------------------------- install


@dataclass(frozen=True, kw_only=True)
class Installed:
    """An installed tool: ``path`` is the binary, ``directory`` what goes on PATH."""

    name: str
    version: str
    path: Path
    directory: Path
    cached: bool


_MARKER = ".idp-install.json"


def sha256_file(path: Path) -> str:
    """The SHA-256 of the file at ``path``, hex-encoded."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def install(
    name: str,
    *,
    dest: str | os.PathLike[str],
    mirror: str | None = None,
    manifest: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    platform: str | None = None,
    timeout: float = 120,
) -> Installed:
    """Install the manifest's pinned ``name`` into ``dest/<name>/<version>/`` and return where it is.

    ``mirror`` (default: ``IDP_TOOLS_MIRROR``) replaces the download's origin. A
    download whose SHA-256 differs from the manifest's is deleted and raises
    :class:`ToolError`; nothing is left in ``dest``.
    """
    if mirror is None:
        mirror = os.environ.get("IDP_TOOLS_MIRROR") or None
    item = artifact(name, load_manifest(manifest), platform or current_platform())
    final = Path(dest) / name / item.version
    reused = _reuse(final, item)
    if reused is not None:
        return reused
    created = [p for p in (final.parent.parent, final.parent) if not p.exists()]
    final.parent.mkdir(parents=True, exist_ok=True)
    import tempfile

    work = Path(tempfile.mkdtemp(prefix=f".{item.version}.partial-", dir=final.parent))
    try:
        url = mirrored(item.url, mirror)
        download = work / _filename(item.url)
        actual = _download(url, download, timeout=timeout)
        if actual != item.sha256:
            download.unlink(missing_ok=True)
            raise ToolError(
                f"checksum mismatch for {url}: expected sha256 {item.sha256}, got {actual}; "
                "the download was deleted and nothing was installed",
                hint="the file was corrupted or tampered with on the way, or the mirror serves a "
                "different file: do not use it; check the mirror or retry later",
            )
        _place(item, download, work)
        _publish(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        for directory in reversed(created):  # leave dest as it was: no empty folders either
            try:
                directory.rmdir()
            except OSError:
                pass
        raise
    return Installed(
        name=name,
        version=item.version,
        path=final / "bin" / name,
        directory=final / "bin",
        cached=False,
    )


def _filename(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    base = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return re.sub(r"[^A-Za-z0-9._-]", "_", base) or "download"


def _reuse(final: Path, item: Artifact) -> Installed | None:
    """The install in ``final`` if its files still match the manifest; else None (and it is removed)."""
    import json

    marker = final / _MARKER
    binary = final / "bin" / item.name
    if not marker.is_file():
        if final.exists():
            shutil.rmtree(final)  # a directory we did not complete: start again
        return None
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        good = (
            recorded.get("sha256") == item.sha256
            and recorded.get("platform") == item.platform
            and _executable(binary)
            and sha256_file(final / recorded["download"]) == item.sha256
            and sha256_file(binary) == recorded.get("binary_sha256")
        )
    except (OSError, ValueError, KeyError, TypeError):
        good = False
    if not good:
        shutil.rmtree(final)
        return None
    return Installed(name=item.name, version=item.version, path=binary, directory=binary.parent, cached=True)


def _download(url: str, target: Path, *, timeout: float) -> str:
    """Stream ``url`` into ``target`` and return the SHA-256 of what arrived."""
    import time
    import urllib.error
    import urllib.request

    if not url.startswith(("https://", "http://")):
        raise ToolError(f"refusing to download {url}: only http(s) URLs are supported")
    request = urllib.request.Request(url, headers={"User-Agent": "idp-actions-tools"})
    attempts = 3
    for attempt in range(1, attempts + 1):
        digest = hashlib.sha256()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response, target.open("wb") as out:
                for block in iter(lambda: response.read(1024 * 1024), b""):
                    digest.update(block)
                    out.write(block)
            return digest.hexdigest()
        except urllib.error.HTTPError as exc:
            if exc.code < 500 or attempt == attempts:
                raise ToolError(
                    f"downloading {url} failed: HTTP {exc.code} {exc.reason}",
                    hint="check the URL (and IDP_TOOLS_MIRROR / --mirror if you use a mirror)",
                ) from None
        except (urllib.error.URLError, OSError) as exc:
            if attempt == attempts:
                reason = getattr(exc, "reason", exc)
                raise ToolError(
                    f"downloading {url} failed: {reason}",
                    hint="check the network or proxy settings, or use a mirror (IDP_TOOLS_MIRROR / --mirror)",
                ) from None
        time.sleep(attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _safe_member(name: str) -> bool:
    """True for a relative member path that stays inside the extraction directory."""
    if not name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return False
    parts = [part for part in re.split(r"[\\/]+", name) if part not in ("", ".")]
    return bool(parts) and ".." not in parts


def _hostile(item: Artifact, member: str, why: str) -> ToolError:
    return ToolError(
        f"refusing to install `{item.name}` from {item.url}: archive member {member!r} {why}",
        hint="the archive is not what the manifest describes; nothing was installed",
    )


def _place(item: Artifact, download: Path, work: Path) -> None:
    """Extract the verified ``download`` into ``work/bin/<name>`` (executable) and write the marker."""
    import json

    binary = work / "bin" / item.name
    binary.parent.mkdir()
    if item.archive == "raw":
        download = download.rename(binary)  # the download is the binary: keep one copy
    elif item.archive == "zip":
        _extract_zip(item, download, binary)
    else:
        _extract_tar(item, download, binary)
    binary.chmod(0o755)
    marker = {
        "name": item.name,
        "version": item.version,
        "platform": item.platform,
        "url": item.url,
        "sha256": item.sha256,
        "download": download.relative_to(work).as_posix(),
        "binary_sha256": sha256_file(binary),
    }
    (work / _MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _copy_limited(source: IO[bytes], binary: Path, item: Artifact) -> None:
    copied = 0
    with binary.open("wb") as out:
        for block in iter(lambda: source.read(1024 * 1024), b""):
            copied += len(block)
            if copied > MAX_BINARY_BYTES:
                raise _hostile(item, item.member, f"is larger than {MAX_BINARY_BYTES} bytes")
            out.write(block)


def _extract_zip(item: Artifact, download: Path, binary: Path) -> None:
    import stat
    import zipfile

    try:
        with zipfile.ZipFile(download) as archive:
            infos = archive.infolist()
            for info in infos:
                if not _safe_member(info.filename):
                    raise _hostile(item, info.filename, "escapes the extraction directory")
            wanted = [info for info in infos if info.filename.strip("/") == item.member.strip("/")]
            if not wanted:
                raise _hostile(item, item.member, "is missing from the archive")
            mode = wanted[0].external_attr >> 16
            if wanted[0].is_dir() or (mode and not stat.S_ISREG(mode)):
                raise _hostile(item, item.member, "is not a regular file")
            with archive.open(wanted[0]) as source:
                _copy_limited(source, binary, item)
    except zipfile.BadZipFile as exc:
        raise ToolError(f"{item.url} is not a valid zip archive: {exc}") from None


def _extract_tar(item: Artifact, download: Path, binary: Path) -> None:
    import tarfile

    mode = "r:xz" if item.archive == "tar.xz" else "r:gz"
    try:
        with tarfile.open(download, mode) as archive:  # type: ignore[call-overload]
            members = archive.getmembers()
            for member in members:
                if not _safe_member(member.name):
                    raise _hostile(item, member.name, "escapes the extraction directory")
                linked = member.issym() or member.islnk()
                if linked and not _link_stays_inside(member.name, member.linkname):
                    raise _hostile(item, member.name, f"links outside the archive ({member.linkname!r})")
            wanted = [m for m in members if m.name.strip("/").removeprefix("./") == item.member.strip("/")]
            if not wanted:
                raise _hostile(item, item.member, "is missing from the archive")
            if not wanted[-1].isreg():
                raise _hostile(item, item.member, "is not a regular file")
            source = archive.extractfile(wanted[-1])
            assert source is not None
            with source:
                _copy_limited(source, binary, item)
    except tarfile.TarError as exc:
        raise ToolError(f"{item.url} is not a valid {item.archive} archive: {exc}") from None


def _link_stays_inside(name: str, target: str) -> bool:
    if target.startswith("/"):
        return False
    base = [part for part in name.split("/")[:-1] if part not in ("", ".")]
    for part in target.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not base:
                return False
            base.pop()
        else:
            base.append(part)
    return True


def _publish(work: Path, final: Path) -> None:
    """Move the completed ``work`` directory to ``final`` in one rename."""
    try:
        work.rename(final)
    except OSError:
        if (final / _MARKER).is_file():
            return  # a concurrent install of the same version finished first; ours is discarded
        raise
