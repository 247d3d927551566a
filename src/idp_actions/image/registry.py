"""A client for the OCI distribution API (v2), on the standard library.

Endpoints used (OCI distribution-spec v1.1): ``GET /v2/`` (ping),
``GET|HEAD /v2/<name>/manifests/<reference>``, ``PUT /v2/<name>/manifests/<reference>``,
``GET|HEAD /v2/<name>/blobs/<digest>``, ``POST /v2/<name>/blobs/uploads/`` (with
``?mount=<digest>&from=<other>`` for a cross-repository mount) and ``PUT
<location>?digest=<digest>`` to finish a monolithic upload. ``Docker-Content-Digest``
is checked against what was computed here; every blob read is hashed and compared
with the digest it was asked for.

Transport (TLS, authentication, retries, redirects) is :mod:`.transport`'s.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urljoin

from idp_actions.image.auth import Credentials
from idp_actions.image.errors import DigestMismatch, RegistryError
from idp_actions.image.transport import CHUNK, SMALL, Transport


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """A manifest or index as the registry sent it, with its digest."""

    data: bytes
    media_type: str
    digest: str

    def json(self) -> dict[str, Any]:
        """The parsed document."""
        value = json.loads(self.data)
        if not isinstance(value, dict):
            raise ValueError("a manifest is not a JSON object")
        return value


class RegistryClient(Transport):
    """The distribution API of one registry host; every read is verified against its digest."""

    def ping(self) -> None:
        """``GET /v2/``: raises when the registry cannot be reached or does not speak the API."""
        response = self.request("GET", "/v2/", scope="", what="check the API")
        if response.status not in (200, 401):
            raise self.fail(response, "answer the API check", repository="", action="pull from")

    def get_manifest(self, repository: str, reference: str, *, accept: tuple[str, ...]) -> Manifest:
        """The manifest (or index) ``reference`` (a tag or digest) of ``repository``, verified."""
        response = self.request("GET", f"/v2/{repository}/manifests/{quote(reference)}", scope=_pull(repository),
                                what=f"read {repository}:{reference}", headers={"Accept": ", ".join(accept)})
        if response.status != 200:
            raise self.fail(response, f"read the manifest {repository}:{reference}", repository=repository,
                            action="pull from")
        if len(response.body) > SMALL:
            raise RegistryError(f"the manifest {repository}:{reference} is larger than {SMALL >> 20} MiB")
        digest = "sha256:" + hashlib.sha256(response.body).hexdigest()
        sent = response.header("Docker-Content-Digest")
        expected = reference if reference.startswith("sha256:") else sent if sent.startswith("sha256:") else ""
        if expected and expected != digest:
            raise DigestMismatch(
                f"the manifest {repository}@{expected} from {self.host} hashes to {digest}: it is not what was "
                "asked for", hint="the registry or something between sent other content; do not use it")
        media_type = response.header("Content-Type").split(";")[0].strip()
        return Manifest(data=response.body, media_type=media_type, digest=digest)

    def has_blob(self, repository: str, digest: str, *, push: bool = False) -> bool:
        """True when ``repository`` has the blob ``digest`` (``HEAD``)."""
        response = self.request("HEAD", f"/v2/{repository}/blobs/{digest}",
                                scope=_push(repository) if push else _pull(repository),
                                what=f"check for the blob {digest}")
        if response.status == 200:
            return True
        if response.status == 404:
            return False
        raise self.fail(response, f"check for the blob {digest} in {repository}", repository=repository,
                        action="push to" if push else "pull from")

    def get_blob(self, repository: str, digest: str, dest: Path | None = None) -> bytes:
        """The blob ``digest``, verified; written to ``dest`` when given (then "" is returned)."""
        partial = dest.with_name(dest.name + ".partial") if dest is not None else None
        response = self.request("GET", f"/v2/{repository}/blobs/{digest}", scope=_pull(repository),
                                what=f"read the blob {digest} of {repository}", sink=partial)
        if response.status != 200:
            raise self.fail(response, f"read the blob {digest} of {repository}", repository=repository,
                            action="pull from")
        if partial is not None and dest is not None:
            actual = _file_digest(partial)
        else:
            if len(response.body) > SMALL:
                raise RegistryError(f"the blob {digest} of {repository} is too large to read into memory")
            actual = "sha256:" + hashlib.sha256(response.body).hexdigest()
        if actual != digest:
            if partial is not None:
                partial.unlink(missing_ok=True)
            raise DigestMismatch(f"the blob {digest} of {repository} from {self.host} hashes to {actual}",
                                 hint="the registry or something between sent other content; do not use it")
        if partial is not None and dest is not None:
            partial.replace(dest)
            return b""
        return response.body

    def mount_blob(self, repository: str, digest: str, source: str) -> str | None:
        """Mount ``digest`` from ``source`` into ``repository``; None when mounted, else an upload location."""
        query = urlencode({"mount": digest, "from": source})
        response = self.request("POST", f"/v2/{repository}/blobs/uploads/?{query}",
                                scope=f"{_push(repository)} {_pull(source)}", what=f"mount {digest} from {source}")
        if response.status == 201:
            return None
        if response.status == 202 and response.header("Location"):
            return response.header("Location")
        raise self.fail(response, f"start an upload to {repository}", repository=repository, action="push to")

    def start_upload(self, repository: str) -> str:
        """``POST`` an upload session; its location."""
        response = self.request("POST", f"/v2/{repository}/blobs/uploads/", scope=_push(repository),
                                what=f"start an upload to {repository}", headers={"Content-Length": "0"}, body=b"")
        if response.status != 202 or not response.header("Location"):
            raise self.fail(response, f"start an upload to {repository}", repository=repository, action="push to")
        return response.header("Location")

    def finish_upload(self, repository: str, location: str, digest: str, content: Path | bytes) -> None:
        """Upload ``content`` whole to the session at ``location`` and close it with ``digest``."""
        target = urljoin(self.base + "/", location)
        separator = "&" if "?" in target else "?"
        url = f"{target}{separator}{urlencode({'digest': digest})}"
        size = content.stat().st_size if isinstance(content, Path) else len(content)
        response = self.request("PUT", url, scope=_push(repository), what=f"upload the blob {digest}",
                                headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
                                body=content)
        if response.status not in (201, 204):
            raise self.fail(response, f"upload the blob {digest} to {repository}", repository=repository,
                            action="push to")
        sent = response.header("Docker-Content-Digest")
        if sent and sent != digest:
            raise DigestMismatch(f"the registry {self.host} stored the blob {digest} as {sent}")

    def put_manifest(self, repository: str, reference: str, data: bytes, media_type: str) -> str:
        """``PUT`` a manifest under ``reference`` (a tag or its digest); the digest the registry reports."""
        response = self.request("PUT", f"/v2/{repository}/manifests/{quote(reference)}", scope=_push(repository),
                                what=f"push {repository}:{reference}", headers={"Content-Type": media_type},
                                body=data)
        if response.status not in (200, 201):
            raise self.fail(response, f"push the manifest {repository}:{reference}", repository=repository,
                            action="push to")
        return response.header("Docker-Content-Digest")

    def has_manifest(self, repository: str, reference: str, *, accept: tuple[str, ...]) -> str | None:
        """The digest of manifest ``reference`` when it exists (``HEAD``), else None."""
        response = self.request("HEAD", f"/v2/{repository}/manifests/{quote(reference)}", scope=_pull(repository),
                                what=f"check for {repository}:{reference}", headers={"Accept": ", ".join(accept)})
        if response.status == 404:
            return None
        if response.status != 200:
            raise self.fail(response, f"check for {repository}:{reference}", repository=repository,
                            action="pull from")
        return response.header("Docker-Content-Digest") or reference


class Clients:
    """One :class:`RegistryClient` per host; ``credentials`` go to ``credential_host`` only."""

    def __init__(self, *, credentials: Credentials | None = None, credential_host: str | None = None,
                 factory: Callable[..., RegistryClient] = RegistryClient) -> None:
        self.credentials = credentials
        self.credential_host = credential_host
        self.factory = factory
        self._clients: dict[str, RegistryClient] = {}

    def for_host(self, host: str) -> RegistryClient:
        """The client for ``host`` (the registry API host, with port)."""
        if host not in self._clients:
            credentials = self.credentials if host == self.credential_host else None
            self._clients[host] = self.factory(host, credentials=credentials)
        return self._clients[host]


def _pull(repository: str) -> str:
    return f"repository:{repository}:pull"


def _push(repository: str) -> str:
    return f"repository:{repository}:pull,push"


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()
