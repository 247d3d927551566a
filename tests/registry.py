"""A real OCI registry (CNCF distribution, built into .tools/bin/registry) on 127.0.0.1, for tests and demos.

    with running_registry(tmp_path / "registry") as registry:
        registry.host        # "127.0.0.1:PORT"
        registry.url         # "http://127.0.0.1:PORT"
        registry.manifest("acme/app", "latest")   # (bytes, media type, digest)

The registry stores blobs on the filesystem under ``root/storage``, listens on a
free loopback port, needs no credentials, allows deletes, logs warnings only (to
``root/registry.log``) and reports nothing anywhere. :func:`running_registry` takes
the binary's path so scripts can use it without pytest; tests get it with
``require_tool("registry")`` through the ``registry`` fixture.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BINARY = ROOT / ".tools" / "bin" / "registry"
MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
#: Loopback traffic never goes through a proxy, whatever the environment says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Registry:
    """A running registry: where it listens and a few direct reads and writes (not through the code under test)."""

    host: str
    root: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}"

    def request(self, method: str, path: str, *, data: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """One request to the registry: status, headers (lower-case names) and body; errors are returned too.

        An ``Authorization`` header is always sent: a registry with ``token_realm`` accepts any.
        """
        headers = {"Authorization": "Bearer test-helper", **(headers or {})}
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with _OPENER.open(request, timeout=30) as response:
                return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
        except urllib.error.HTTPError as err:
            return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()

    def manifest(self, repository: str, reference: str) -> tuple[bytes, str, str]:
        """The manifest (or index) at ``reference``: its bytes, media type and ``Docker-Content-Digest``."""
        status, headers, body = self.request("GET", f"/v2/{repository}/manifests/{reference}",
                                             headers={"Accept": ", ".join(MANIFEST_TYPES)})
        if status != 200:
            raise LookupError(f"{repository}:{reference}: HTTP {status}: {body[:300]!r}")
        return body, headers.get("content-type", ""), headers.get("docker-content-digest", "")

    def blob(self, repository: str, digest: str) -> bytes:
        """The blob ``digest`` of ``repository``, checked against its digest."""
        status, _headers, body = self.request("GET", f"/v2/{repository}/blobs/{digest}")
        if status != 200:
            raise LookupError(f"{repository}@{digest}: HTTP {status}")
        if _digest(body) != digest:
            raise ValueError(f"blob {digest} hashes to {_digest(body)}")
        return body

    def has_blob(self, repository: str, digest: str) -> bool:
        """True when ``repository`` has the blob."""
        return self.request("HEAD", f"/v2/{repository}/blobs/{digest}")[0] == 200

    def tags(self, repository: str) -> list[str]:
        """The repository's tags (``GET /v2/<name>/tags/list``)."""
        status, _headers, body = self.request("GET", f"/v2/{repository}/tags/list")
        if status == 404:
            return []
        return sorted(json.loads(body).get("tags") or [])

    def put_blob(self, repository: str, data: bytes) -> str:
        """Upload ``data`` as a blob (POST, then PUT with the digest); its digest."""
        digest = _digest(data)
        status, headers, body = self.request("POST", f"/v2/{repository}/blobs/uploads/", data=b"")
        if status != 202:
            raise RuntimeError(f"upload to {repository} refused: HTTP {status}: {body[:300]!r}")
        location = headers["location"]
        location = location if "://" in location else self.url + location
        separator = "&" if "?" in location else "?"
        request = urllib.request.Request(f"{location}{separator}digest={digest}", data=data, method="PUT",
                                         headers={"Content-Type": "application/octet-stream",
                                                  "Authorization": "Bearer test-helper"})
        with _OPENER.open(request, timeout=30) as response:
            if response.status != 201:
                raise RuntimeError(f"upload of {digest} to {repository}: HTTP {response.status}")
        return digest

    def put_manifest(self, repository: str, reference: str, data: bytes, media_type: str) -> str:
        """Store a manifest (or index) under ``reference``; the digest the registry reports."""
        status, headers, body = self.request("PUT", f"/v2/{repository}/manifests/{reference}", data=data,
                                             headers={"Content-Type": media_type})
        if status != 201:
            raise RuntimeError(f"manifest {repository}:{reference} refused: HTTP {status}: {body[:300]!r}")
        return headers.get("docker-content-digest", "")

    def log(self) -> str:
        """What the registry logged (warnings and errors)."""
        path = self.root / "registry.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(root: Path, port: int, token_realm: str | None) -> str:
    auth = ["auth:", "  silly:", f"    realm: {json.dumps(token_realm)}", "    service: idp-test-registry"]
    return "\n".join([
        *(auth if token_realm else []),
        "version: 0.1",
        "log:",
        "  level: warn",
        "  formatter: text",
        "  accesslog:",
        "    disabled: true",
        "storage:",
        "  filesystem:",
        f"    rootdirectory: {json.dumps(str(root / 'storage'))}",
        "  delete:",
        "    enabled: true",
        "  maintenance:",
        "    uploadpurging:",
        "      enabled: false",
        "http:",
        f"  addr: 127.0.0.1:{port}",
        "",
    ])


@contextmanager
def running_registry(root: Path, binary: str | os.PathLike[str] | None = None, *, timeout: float = 30.0,
                     token_realm: str | None = None) -> Iterator[Registry]:
    """Start the registry with its storage under ``root``; yield it once ``GET /v2/`` answers 200; stop it.

    ``token_realm`` turns on the registry's ``silly`` authentication: requests without
    an ``Authorization`` header get a ``Bearer realm="TOKEN_REALM",service="idp-test-registry"``
    challenge, and any header is accepted (the token service is the test's to run).
    """
    executable = Path(binary) if binary is not None else DEFAULT_BINARY
    if not executable.is_file():
        raise FileNotFoundError(f"no registry binary at {executable}: run scripts/setup (scripts/build-tools registry)")
    root.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(root),
        # OpenTelemetry is built in: export nothing, anywhere
        "OTEL_SDK_DISABLED": "true",
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
    }
    last_error = ""
    for _attempt in range(3):  # a port picked free can be taken before the registry binds it
        port = _free_port()
        config = root / "config.yml"
        config.write_text(_config(root, port, token_realm), encoding="utf-8")
        with (root / "registry.log").open("ab") as log:
            process = subprocess.Popen([str(executable), "serve", str(config)], stdout=log, stderr=log, env=env,
                                       cwd=root)
        registry = Registry(host=f"127.0.0.1:{port}", root=root, process=process)
        try:
            if _wait_ready(registry, timeout):
                yield registry
                return
            last_error = registry.log()[-2000:]
        finally:
            _stop(process)
    raise RuntimeError(f"the registry did not start (log under {root}):\n{last_error}")


def _wait_ready(registry: Registry, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if registry.process.poll() is not None:
            return False
        try:
            if registry.request("GET", "/v2/")[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
