"""Guard rails and shared fixtures for every test tier (see tests/README.md)."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS_BIN = ROOT / ".tools" / "bin"

# Real tools built by scripts/setup come first on PATH for every test.
os.environ["PATH"] = f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
# Tools that phone home are told not to, for every subprocess a test starts.
os.environ.setdefault("CHECKPOINT_DISABLE", "1")
os.environ.setdefault("SEMGREP_ENABLE_VERSION_CHECK", "0")
os.environ.setdefault("SEMGREP_SEND_METRICS", "off")


class NetworkRefused(OSError):
    """Raised when a test tries to reach anything but loopback."""


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
    elif isinstance(address, (str, bytes)):
        return True  # AF_UNIX path
    else:
        return False
    if isinstance(host, bytes):
        host = host.decode()
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost: refused before any lookup


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Refuse every socket connection to a non-loopback address, and name lookups of other hosts."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guard(address: Any) -> None:
        if not _is_loopback(address):
            raise NetworkRefused(f"tests may only connect to loopback; refused {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        guard(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        guard(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None:
            guard((host, 0))
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield


@pytest.fixture(autouse=True)
def _no_actions_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start outside GitHub Actions unless they opt in (the suite may run inside a job)."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "INPUT_", "RUNNER_")) or name in ("ACTIONS_STEP_DEBUG",):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def actions_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A minimal GitHub Actions step environment with its own output/summary/env/path files."""
    files = {}
    for name in ("OUTPUT", "STEP_SUMMARY", "ENV", "PATH", "STATE"):
        path = tmp_path / f"github_{name.lower()}"
        path.touch()
        monkeypatch.setenv(f"GITHUB_{name}", str(path))
        files[name] = path
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    return files


def require_tool(name: str) -> str:
    """The path of a real external tool from scripts/setup; fails (never skips) when missing."""
    found = shutil.which(name)
    if not found:
        pytest.fail(f"`{name}` is not installed: run scripts/setup (the README's test command does)")
    return found


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository under test."""
    return ROOT


def assert_golden(path: Path, text: str) -> None:
    """``text`` equals the golden file at ``path``; ``IDP_UPDATE_GOLDEN=1`` writes it instead (review the diff)."""
    if os.environ.get("IDP_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden file {path.name}: run with IDP_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs; IDP_UPDATE_GOLDEN=1 to accept"
