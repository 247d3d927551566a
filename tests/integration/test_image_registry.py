"""idp image build against a real OCI registry (CNCF distribution) on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from idp_actions.cli import main
from idp_actions.image.auth import Credentials
from idp_actions.image.build import Result, build_and_push
from idp_actions.image.errors import DigestMismatch, RegistryError
from idp_actions.image.registry import Clients
from tests.conftest import require_tool
from tests.registry import Registry, running_registry

pytestmark = pytest.mark.tools("registry")

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def _context(root: Path, files: dict[str, str], dockerfile: str) -> Path:
    for name, text in {**files, "Dockerfile": dockerfile}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def push_base(registry: Registry, tmp_path: Path, *, repository: str = "acme/base", tag: str = "1",
              platform: str | None = None, marker: str = "base") -> Result:
    """A small base image (two layers, an environment, a CMD) pushed with the builder itself."""
    context = _context(tmp_path / f"base-{marker}-{platform or 'default'}", {
        "rootfs/etc/os-release": f"ID={marker}\n",
        "rootfs/usr/local/bin/python3": "#!/bin/true\n",
        "lib/libc.txt": "libc\n",
    }, "FROM scratch\nCOPY rootfs/ /\nCOPY lib/ /usr/lib/\n"
       "ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 PYTHON_VERSION=3.12.7\n"
       "LABEL org.opencontainers.image.vendor=acme-base\nCMD [\"python3\"]\n")
    return build_and_push(context=context, image=f"{registry.host}/{repository}", tags=[tag], platform=platform,
                          workdir=tmp_path / f"work-{marker}-{repository.replace('/', '-')}-{tag}")


def _app(tmp_path: Path, base: str, name: str = "app") -> Path:
    return _context(tmp_path / name, {"src/app/__main__.py": "print('hello')\n", "config/app.yaml": "port: 8080\n"},
                    f"FROM {base}\nENV PATH=/srv/bin:$PATH PORT=8080\nWORKDIR /srv\n"
                    "COPY --chown=10001:10001 src/ ./src/\nCOPY config/app.yaml /etc/app/\nUSER 10001:10001\n"
                    "ENTRYPOINT [\"python3\", \"-m\", \"app\"]\n")


def test_a_pushed_image_reads_back_byte_for_byte(registry: Registry, tmp_path: Path) -> None:
    result = push_base(registry, tmp_path)
    assert result.pushed is not None and result.pushed.tags == ("1",)
    body, media_type, sent = registry.manifest("acme/base", "1")
    assert (body, media_type, sent) == (result.image.manifest, OCI_MANIFEST, result.digest)
    assert registry.manifest("acme/base", result.digest)[0] == body  # the same by digest
    manifest = json.loads(body)
    assert registry.blob("acme/base", manifest["config"]["digest"]) == result.image.config
    for layer, local in zip(manifest["layers"], result.image.layers, strict=True):
        assert local.path is not None
        assert registry.blob("acme/base", layer["digest"]) == local.path.read_bytes()
    assert registry.tags("acme/base") == ["1"]
    assert result.pushed.uploaded == 3 and result.pushed.existing == 0


def test_a_base_from_the_registry_is_layered_on_by_tag_and_by_digest(registry: Registry, tmp_path: Path) -> None:
    base = push_base(registry, tmp_path)
    app = build_and_push(context=_app(tmp_path, f"{registry.host}/acme/base:1"), image=f"{registry.host}/acme/app",
                         tags=["v1"])
    assert app.pushed is not None
    manifest = json.loads(registry.manifest("acme/app", "v1")[0])
    base_manifest = json.loads(base.image.manifest)
    assert manifest["layers"][:2] == base_manifest["layers"]
    assert len(manifest["layers"]) == 5  # + WORKDIR, COPY src, COPY config
    assert manifest["annotations"] == {"org.opencontainers.image.base.name": f"{registry.host}/acme/base:1",
                                       "org.opencontainers.image.base.digest": base.digest}
    # the base's layers were mounted from its repository, not uploaded again
    assert (app.pushed.mounted, app.pushed.uploaded, app.pushed.existing) == (2, 4, 0)
    config = json.loads(registry.blob("acme/app", manifest["config"]["digest"]))
    base_config = json.loads(base.image.config)
    assert config["rootfs"]["diff_ids"][:2] == base_config["rootfs"]["diff_ids"]
    assert config["history"][: len(base_config["history"])] == base_config["history"]
    assert config["config"]["Env"] == ["PATH=/srv/bin:/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8",
                                       "PYTHON_VERSION=3.12.7", "PORT=8080"]
    assert config["config"]["Labels"] == {"org.opencontainers.image.vendor": "acme-base"}
    assert "Cmd" not in config["config"] and config["config"]["Entrypoint"] == ["python3", "-m", "app"]
    by_digest = build_and_push(context=_app(tmp_path, f"{registry.host}/acme/base@{base.digest}", "app2"),
                               image=f"{registry.host}/acme/app", tags=["v1-pinned"])
    assert json.loads(by_digest.image.config) == config  # the same image, only the base's name differs
    assert json.loads(by_digest.image.manifest)["layers"] == manifest["layers"]


def test_pushing_again_uploads_nothing_and_gives_the_same_digest(registry: Registry, tmp_path: Path) -> None:
    push_base(registry, tmp_path)
    context = _app(tmp_path, f"{registry.host}/acme/base:1")
    first = build_and_push(context=context, image=f"{registry.host}/acme/app", tags=["v1"])
    again = build_and_push(context=context, image=f"{registry.host}/acme/app:v1", tags=["latest"])
    assert again.digest == first.digest
    assert again.pushed is not None and (again.pushed.uploaded, again.pushed.mounted) == (0, 0)
    assert again.pushed.existing == len(again.image.layers) + 1
    assert registry.tags("acme/app") == ["latest", "v1"]
    assert registry.manifest("acme/app", "latest")[2] == first.digest


def test_an_index_base_gives_the_platform_asked_for(registry: Registry, tmp_path: Path) -> None:
    amd64 = push_base(registry, tmp_path, repository="acme/multi", tag="amd64", marker="amd64")
    arm64 = push_base(registry, tmp_path, repository="acme/multi", tag="arm64", platform="linux/arm64", marker="arm")
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": arm64.digest, "size": len(arm64.image.manifest),
         "platform": {"os": "linux", "architecture": "arm64"}},
        {"mediaType": OCI_MANIFEST, "digest": amd64.digest, "size": len(amd64.image.manifest),
         "platform": {"os": "linux", "architecture": "amd64"}},
    ]}).encode()
    registry.put_manifest("acme/multi", "3.12", index, OCI_INDEX)
    context = _app(tmp_path, f"{registry.host}/acme/multi:3.12")
    built = build_and_push(context=context, image=f"{registry.host}/acme/app", push=False)
    assert built.image.base is not None and built.image.base.digest == amd64.digest
    assert built.image.platform == "linux/amd64"
    on_arm = build_and_push(context=context, image=f"{registry.host}/acme/app", push=False, platform="linux/arm64")
    assert on_arm.image.base is not None and on_arm.image.base.digest == arm64.digest
    with pytest.raises(RegistryError, match=r"has no linux/s390x variant \(it has: linux/amd64, linux/arm64\)"):
        build_and_push(context=context, image=f"{registry.host}/acme/app", push=False, platform="linux/s390x")


def test_a_missing_base_names_the_reference_and_the_line(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    context = _app(tmp_path, f"{registry.host}/acme/nothing:1.0")
    code = main(["image", "build", "--context", str(context), "--image", f"{registry.host}/acme/app", "--push"])
    assert code == 1
    err = capsys.readouterr().err
    assert (f"idp: error: the base image {registry.host}/acme/nothing:1.0 was not found in the registry "
            f"{registry.host} (Dockerfile:1)") in err
    assert registry.tags("acme/app") == []


def test_a_tampered_blob_in_the_registry_fails_verification(registry: Registry, tmp_path: Path) -> None:
    base = push_base(registry, tmp_path)
    config_digest = base.image.config_digest[7:]
    stored = registry.root / "storage/docker/registry/v2/blobs/sha256" / config_digest[:2] / config_digest / "data"
    stored.write_bytes(stored.read_bytes().replace(b"acme-base", b"evil-base"))
    with pytest.raises(DigestMismatch, match=f"the blob sha256:{config_digest} of acme/base from {registry.host} "
                       "hashes to sha256:"):
        build_and_push(context=_app(tmp_path, f"{registry.host}/acme/base:1"), image=f"{registry.host}/acme/app")


def test_an_unreachable_registry_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    context = _context(tmp_path / "ctx", {"a.txt": "a\n"}, "FROM scratch\nCOPY a.txt /\n")
    code = main(["image", "build", "--context", str(context), "--image", "127.0.0.1:9/acme/app", "--push"])
    assert code == 1
    err = capsys.readouterr().err
    assert "cannot reach the registry at http://127.0.0.1:9 to check for the blob sha256:" in err
    assert "hint: check the registry host and port in the image name" in err


def test_a_push_to_another_registry_copies_the_base_layers_verified(registry: Registry, tmp_path: Path) -> None:
    base = push_base(registry, tmp_path)
    with running_registry(tmp_path / "second", require_tool("registry")) as second:
        app = build_and_push(context=_app(tmp_path, f"{registry.host}/acme/base:1"),
                             image=f"{second.host}/team/app", tags=["v1"], oci_archive=tmp_path / "app.tar")
        assert app.pushed is not None and (app.pushed.uploaded, app.pushed.mounted) == (6, 0)
        manifest = json.loads(second.manifest("team/app", "v1")[0])
        for layer in json.loads(base.image.manifest)["layers"]:
            assert second.has_blob("team/app", layer["digest"])
        assert manifest["layers"][0]["digest"] == json.loads(base.image.manifest)["layers"][0]["digest"]
    assert app.archive is not None and app.archive.is_file()


def test_the_cli_pushes_and_sets_the_outputs(
    registry: Registry, tmp_path: Path, actions_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    push_base(registry, tmp_path)
    monkeypatch.setenv("GITHUB_SHA", "f" * 40)
    monkeypatch.setenv("INPUT_IMAGE", f"{registry.host}/acme/payments-api")
    monkeypatch.setenv("INPUT_CONTEXT", str(_app(tmp_path, f"{registry.host}/acme/base:1")))
    monkeypatch.setenv("INPUT_PUSH", "true")
    assert main(["image", "build"]) == 0
    text = actions_env["OUTPUT"].read_text(encoding="utf-8")
    sent = registry.manifest("acme/payments-api", "f" * 40)[2]
    assert f"\n{registry.host}/acme/payments-api@{sent}\n" in text
    assert registry.tags("acme/payments-api") == ["f" * 40]
    summary = actions_env["STEP_SUMMARY"].read_text(encoding="utf-8")
    assert f"| Base | `{registry.host}/acme/base:1 (sha256:" in summary
    assert "| Layers | 5 (3 new, 2 from the base) |" in summary


# ---------------------------------------------------------- authentication


class _TokenService:
    """A registry token service on 127.0.0.1: basic credentials in, a bearer token out."""

    def __init__(self, username: str, password: str) -> None:
        self.expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                outer.requests.append({"query": query, "authorization": self.headers.get("Authorization")})
                if self.headers.get("Authorization") != outer.expected:
                    self.send_response(401)
                    self.end_headers()
                    return
                token = hashlib.sha256(repr(sorted(query.items())).encode()).hexdigest()
                body = json.dumps({"token": token, "expires_in": 300}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"

    def __enter__(self) -> _TokenService:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def token_service() -> Iterator[_TokenService]:
    with _TokenService("ci-bot", "s3cret-token") as service:
        yield service


def test_a_bearer_challenge_is_answered_with_a_token_for_the_credentials(
    token_service: _TokenService, tmp_path: Path
) -> None:
    with running_registry(tmp_path / "reg", require_tool("registry"), token_realm=token_service.url) as registry:
        clients = Clients(credentials=Credentials(username="ci-bot", password="s3cret-token"),
                          credential_host=registry.host)
        context = _context(tmp_path / "ctx", {"a.txt": "a\n"}, "FROM scratch\nCOPY a.txt /\n")
        result = build_and_push(context=context, image=f"{registry.host}/acme/app", tags=["v1"], clients=clients)
        assert registry.manifest("acme/app", "v1")[2] == result.digest
    # one token for everything the push does (the challenge's own scope is asked for too), then reused
    assert [r["query"]["scope"][0] for r in token_service.requests] == ["repository:acme/app:pull,push"]
    assert all(r["query"]["service"] == ["idp-test-registry"] for r in token_service.requests)


def test_refused_credentials_name_the_variables_to_set(
    token_service: _TokenService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_registry(tmp_path / "reg", require_tool("registry"), token_realm=token_service.url) as registry:
        context = _context(tmp_path / "ctx", {"a.txt": "a\n"}, "FROM scratch\nCOPY a.txt /\n")
        monkeypatch.setenv("IDP_REGISTRY_USERNAME", "ci-bot")
        monkeypatch.setenv("IDP_REGISTRY_PASSWORD", "wrong")
        code = main(["image", "build", "--context", str(context), "--image", f"{registry.host}/acme/app", "--push"])
        assert registry.tags("acme/app") == []
    assert code == 1
    err = capsys.readouterr().err
    assert f"the registry's token service {token_service.url} refused to check for the blob" in err
    assert "(HTTP 401)" in err
    assert "hint: set IDP_REGISTRY_USERNAME and IDP_REGISTRY_PASSWORD" in err
    assert "may push to acme/app" in err
    assert "wrong" not in err
