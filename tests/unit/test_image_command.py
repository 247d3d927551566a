"""``idp image build`` (FROM scratch: no registry needed without --push) and ``idp image name``."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest

from idp_actions.cli import main
from tests.unit.test_image_plan import _golden

SHA = "0123456789abcdef0123456789abcdef01234567"


def _context(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('hello')\n", encoding="utf-8")
    (root / "Dockerfile").write_text(
        "FROM scratch\nARG PORT=8080\nENV PORT=$PORT\nWORKDIR /srv\nCOPY --chown=10001:10001 src/ ./src/\n"
        "USER 10001:10001\nEXPOSE $PORT\nENTRYPOINT [\"python\", \"/srv/src/app.py\"]\n", encoding="utf-8")
    return root


def _outputs(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    return {m.group(1): m.group(3) for m in re.finditer(r"^(\S+)<<(\S+)\n(.*?)\n\2$", text, re.S | re.M)}


def test_build_in_actions_reads_inputs_and_sets_outputs_and_summary(
    tmp_path: Path, actions_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    context = _context(tmp_path / "ctx")
    archive = tmp_path / "out" / "image.tar"
    monkeypatch.setenv("GITHUB_SHA", SHA)
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/payments-api")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("INPUT_CONTEXT", str(context))
    monkeypatch.setenv("INPUT_IMAGE", "127.0.0.1:5000/acme/payments-api")
    monkeypatch.setenv("INPUT_BUILD_ARGS", "PORT=9090\n")
    monkeypatch.setenv("INPUT_LABELS", "org.opencontainers.image.title=payments api\n")
    monkeypatch.setenv("INPUT_PUSH", "false")
    monkeypatch.setenv("INPUT_OCI_ARCHIVE", str(archive))

    assert main(["image", "build"]) == 0

    outputs = _outputs(actions_env["OUTPUT"])
    digest = outputs["digest"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
    assert outputs["image"] == f"127.0.0.1:5000/acme/payments-api@{digest}"
    assert outputs["tags"] == f"127.0.0.1:5000/acme/payments-api:{SHA}"
    assert outputs["oci-archive"] == str(archive)
    out = capsys.readouterr().out
    assert out.startswith("::group::idp image build 127.0.0.1:5000/acme/payments-api\n")
    assert f"\nidp image build: built 127.0.0.1:5000/acme/payments-api@{digest}\n" in out
    assert "  pushed   no\n" in out
    summary = actions_env["STEP_SUMMARY"].read_text(encoding="utf-8").replace(digest, "sha256:DIGEST")
    summary = summary.replace(str(archive), "OUT/image.tar")
    _golden("build-summary.md", summary)
    with tarfile.open(archive) as tar:
        index = json.loads(tar.extractfile("index.json").read())  # type: ignore[union-attr]
        config_digest = json.loads(tar.extractfile(f"blobs/sha256/{digest[7:]}").read())["config"]["digest"]  # type: ignore[union-attr]
        config = json.loads(tar.extractfile(f"blobs/sha256/{config_digest[7:]}").read())  # type: ignore[union-attr]
    assert index["manifests"][0]["annotations"] == {"org.opencontainers.image.ref.name": SHA}
    assert config["config"]["Labels"] == {
        "org.opencontainers.image.source": "https://github.com/acme/payments-api",
        "org.opencontainers.image.revision": SHA,
        "org.opencontainers.image.created": "2023-11-14T22:13:20Z",
        "org.opencontainers.image.title": "payments api",
    }
    assert config["config"]["ExposedPorts"] == {"9090/tcp": {}}
    assert config["created"] == "2023-11-14T22:13:20Z"


def test_options_win_over_inputs_and_the_digest_is_stable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    context = _context(tmp_path / "ctx")
    monkeypatch.setenv("INPUT_IMAGE", "127.0.0.1:5000/other")
    args = ["image", "build", "--context", str(context), "--image", "127.0.0.1:5000/acme/app:v1", "--tag", "latest",
            "--build-arg", "PORT=1234"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    assert "tags     127.0.0.1:5000/acme/app:v1, 127.0.0.1:5000/acme/app:latest\n" in first


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["image", "build"], "--image is required (action input `image`)"),
        (["image", "build", "--image", "127.0.0.1:5000/a", "--build-arg", "NOVALUE"],
         "build argument 'NOVALUE' is not NAME=VALUE"),
        (["image", "build", "--image", "127.0.0.1:5000/a@sha256:" + "0" * 64], "names a digest"),
        (["image", "build", "--image", "127.0.0.1:5000/a", "--context", "/nonexistent/ctx"],
         "the build context /nonexistent/ctx is not a directory"),
        (["image"], "idp image needs an action: build or name"),
    ],
)
def test_usage_errors(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 1
    assert message in capsys.readouterr().err


def test_a_run_instruction_fails_the_command_with_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    context = _context(tmp_path / "ctx")
    dockerfile = context / "Dockerfile"
    dockerfile.write_text("FROM scratch\nRUN useradd app\n", encoding="utf-8")
    assert main(["image", "build", "--context", str(context), "--image", "127.0.0.1:5000/a"]) == 1
    err = capsys.readouterr().err
    assert "idp: error: Dockerfile:2: RUN needs a container runtime" in err
    assert "docker/build-push-action (service-ci's `builder: docker`)" in err


def test_name_reads_gitops_image_for_the_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], actions_env: dict[str, Path]
) -> None:
    repo = tmp_path / "payments-api"
    (repo / ".github").mkdir(parents=True)
    (repo / ".github" / "idp.yaml").write_text(
        "version: 1\ngitops:\n  repository: acme/gitops\n  image: 127.0.0.1:5000/acme/{service}\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    assert main(["image", "name"]) == 0
    assert capsys.readouterr().out == "127.0.0.1:5000/acme/payments-api\n"
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/billing")
    assert main(["image", "name"]) == 0
    assert capsys.readouterr().out == "127.0.0.1:5000/acme/billing\n"
    assert main(["image", "name", "--service", "ledger"]) == 0
    assert capsys.readouterr().out == "127.0.0.1:5000/acme/ledger\n"
    assert _outputs(actions_env["OUTPUT"])["image"] == "127.0.0.1:5000/acme/ledger"
    assert main(["image", "name", "--service", "Bad_Name"]) == 1
    assert "::error::service name 'Bad_Name' is not valid" in capsys.readouterr().out


def test_name_takes_an_explicit_image_and_says_which_builder_and_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], actions_env: dict[str, Path]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .github/idp.yaml needed when the image is given
    monkeypatch.setenv("INPUT_IMAGE", "registry.acme.internal:8443/team/api")
    assert main(["image", "name"]) == 0
    outputs = _outputs(actions_env["OUTPUT"])
    assert (outputs["image"], outputs["registry"], outputs["builder"]) == (
        "registry.acme.internal:8443/team/api", "registry.acme.internal:8443", "docker")
    monkeypatch.setenv("ACT", "true")  # act has no Docker engine: auto means the daemonless builder
    assert main(["image", "name"]) == 0
    assert _outputs(actions_env["OUTPUT"])["builder"] == "daemonless"
    assert main(["image", "name", "--builder", "docker"]) == 0
    assert _outputs(actions_env["OUTPUT"])["builder"] == "docker"
    monkeypatch.setenv("INPUT_BUILDER", "podman")
    assert main(["image", "name"]) == 1
    assert "unknown builder 'podman'" in capsys.readouterr().out
    monkeypatch.delenv("INPUT_BUILDER")
    monkeypatch.setenv("INPUT_IMAGE", "ghcr.io/acme/api; touch /tmp/x")
    assert main(["image", "name"]) == 1
    assert "invalid repository name" in capsys.readouterr().out
