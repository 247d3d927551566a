"""``idp tools``: list, check or install the pinned external tools.

``idp tools install`` is what ``actions/setup`` runs on GitHub runners: it downloads
each tool's pinned release, verifies its SHA-256, puts it on the job's PATH and
sets the step outputs ``<tool>-path`` and ``<tool>-version``.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any

from idp_actions import gha
from idp_actions import tools as registry
from idp_actions.errors import ToolError, UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``list``, ``check`` and ``install`` sub-commands."""
    sub = parser.add_subparsers(dest="tools_command", metavar="ACTION", required=True)
    sub.add_parser("list", help="show every tool: pinned version, where it was found, its version")
    check = sub.add_parser("check", help="exit 1 unless every named tool is found at a usable version")
    check.add_argument("names", nargs="*", metavar="NAME", help="tools to check (default: all)")
    install = sub.add_parser("install", help="download, verify and put the pinned tools on PATH")
    install.add_argument(
        "names",
        nargs="+",
        metavar="NAME",
        help="tools to install; commas and spaces inside one argument also separate names",
    )
    install.add_argument(
        "--dest",
        type=Path,
        default=None,
        help="install root (default: $RUNNER_TOOL_CACHE/idp-actions, else ~/.cache/idp-actions/installed)",
    )
    install.add_argument(
        "--mirror",
        default=None,
        help="base URL that replaces each download's origin (default: $IDP_TOOLS_MIRROR)",
    )
    install.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="a tools manifest to use instead of the one shipped with idp (default: $IDP_TOOLS_MANIFEST)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the chosen action."""
    if args.tools_command == "list":
        return _list()
    if args.tools_command == "check":
        return _check(_names(args.names) or sorted(registry.TOOLS))
    return _install(_names(args.names), dest=args.dest, mirror=args.mirror, manifest_path=args.manifest)


def _names(raw: list[str]) -> list[str]:
    """Tool names from arguments that may hold several (``"opa, tofu"`` from an action input)."""
    names: list[str] = []
    for item in raw:
        for name in re.split(r"[\s,]+", item.strip()):
            if name and name not in names:
                names.append(name)
    unknown = [name for name in names if name not in registry.TOOLS]
    if unknown:
        raise UsageError(
            f"unknown tool{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            hint=f"known tools: {', '.join(sorted(registry.TOOLS))}",
        )
    return names


def _detect_all(names: list[str]) -> list[registry.Found]:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:  # semgrep alone takes a second to say its version
        return list(pool.map(registry.detect, names))


def _list() -> int:
    manifest = _manifest(None)["tools"]
    names = sorted(registry.TOOLS)
    rows = [("TOOL", "PINNED", "FOUND", "STATUS", "PATH")]
    for found in _detect_all(names):
        spec = registry.TOOLS[found.name]
        pinned = manifest.get(found.name, {}).get("version", "-")
        why = registry.problem(found, minimum=spec.minimum)
        if found.path is None:
            status = "missing"
        elif why is None:
            status = "ok"
        elif found.version is None:
            status = "unknown version"
        else:
            status = f"needs >= {spec.minimum}"
        rows.append((found.name, pinned, found.version or "-", status, str(found.path or "-")))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[4])
    print(
        "\nPINNED is what `idp tools install` installs ('-': install it another way); "
        "a tool is ok at its minimum version or newer."
    )
    return 0


def _check(names: list[str]) -> int:
    failures: list[str] = []
    for found in _detect_all(names):
        spec = registry.TOOLS[found.name]
        why = registry.problem(found, minimum=spec.minimum)
        if why is None:
            print(f"ok       {found.name} {found.version} ({found.path}, via {found.via})")
        else:
            print(f"problem  {found.name}: {why}")
            failures.append(f"{found.name} ({why}; needs {spec.minimum} or newer)")
    if failures:
        raise ToolError(
            f"{len(failures)} of {len(names)} tools not usable: " + "; ".join(failures),
            hint="locally run scripts/setup; on a runner install them with actions/setup "
            "(`idp tools install NAME…`); or point IDP_<TOOL> at a binary",
        )
    return 0


def default_dest() -> Path:
    """Where ``idp tools install`` puts tools without ``--dest``."""
    tool_cache = os.environ.get("RUNNER_TOOL_CACHE")
    if tool_cache:
        return Path(tool_cache) / "idp-actions"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "idp-actions" / "installed"


def _manifest(path: Path | None) -> dict[str, Any]:
    chosen = path or os.environ.get("IDP_TOOLS_MANIFEST") or None
    try:
        return registry.load_manifest(chosen)
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"cannot read the tools manifest {chosen}: {exc}",
            hint="pass --manifest (or IDP_TOOLS_MANIFEST) a JSON file shaped like idp_actions/data/tools.json",
        ) from None


def _install(names: list[str], *, dest: Path | None, mirror: str | None, manifest_path: Path | None) -> int:
    dest = dest or default_dest()
    manifest = _manifest(manifest_path)
    platform = registry.current_platform()
    for name in names:  # refuse before downloading anything when one of them cannot be installed
        registry.artifact(name, manifest, platform)
    for name in names:
        item = registry.install(name, dest=dest, mirror=mirror, manifest=manifest, platform=platform)
        how = "already installed, verified" if item.cached else "downloaded and verified"
        print(f"{name} {item.version}: {how}: {item.path}")
        gha.add_path(item.directory)
        gha.set_output(f"{name}-path", str(item.path))
        gha.set_output(f"{name}-version", item.version)
    return 0
