"""The python-service template's Dockerfile, rendered, through idp image build and a real registry."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest

from idp_actions.image.build import BuildOptions, build, build_and_push
from idp_actions.image.errors import DockerfileProblem
from idp_actions.image.registry import Clients
from idp_actions.scaffold.manifest import find_template
from idp_actions.scaffold.render import render
from tests.conftest import ROOT
from tests.integration.test_image_registry import push_base
from tests.registry import Registry
from tests.unit.test_scaffold_render import answers_for

pytestmark = pytest.mark.tools("registry")


def _without_runtime(dockerfile: str) -> str:
    """What the refusal tells people to do: drop the RUN, own the files by the numeric user."""
    text = re.sub(r"^RUN (?:.*\\\n)*.*\n", "", dockerfile, flags=re.MULTILINE)
    return re.sub(r"--chown=[a-z_][a-z0-9_-]*:[a-z_][a-z0-9_-]*", "--chown=10001:10001", text)


def test_the_rendered_python_service_builds_without_a_container_runtime(registry: Registry, tmp_path: Path) -> None:
    base = push_base(registry, tmp_path, repository="library/python", tag="3.12-slim")
    answers = answers_for("python-service", base_image=f"{registry.host}/library/python@{base.digest}")
    service = render(find_template("python-service", ROOT / "templates"), answers, tmp_path / "payments-api").root
    dockerfile = (service / "Dockerfile").read_text(encoding="utf-8")
    runs = [number for number, line in enumerate(dockerfile.splitlines(), 1) if line.startswith("RUN ")]
    if runs:  # the template still creates its user with RUN: refused on that line, with the way out
        with pytest.raises(DockerfileProblem, match="RUN needs a container runtime") as caught:
            build(BuildOptions(context=service), clients=Clients(), workdir=tmp_path / "work")
        assert caught.value.line == runs[0]
        assert caught.value.hint is not None and "USER 10001:10001" in caught.value.hint
    (service / "Dockerfile.idp").write_text(_without_runtime(dockerfile), encoding="utf-8")

    result = build_and_push(context=service, dockerfile=service / "Dockerfile.idp",
                            image=f"{registry.host}/acme/payments-api", tags=["v1"], workdir=tmp_path / "layers")

    config = json.loads(registry.blob("acme/payments-api", json.loads(result.image.manifest)["config"]["digest"]))
    assert config["config"]["User"] == "10001:10001"
    assert config["config"]["Entrypoint"] == ["python", "-m", "payments_api"]
    assert config["config"]["WorkingDir"] == "/srv"
    assert "PYTHONPATH=/srv/src" in config["config"]["Env"]
    assert list(config["config"]["ExposedPorts"]) == [f"{answers['port']}/tcp"]
    source_layer = result.image.layers[-1].path
    assert source_layer is not None
    with tarfile.open(source_layer) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert "srv/src/payments_api/__main__.py" in members
    assert members["srv/src/payments_api/__main__.py"].uid == 10001
    assert not any("__pycache__" in name or name.startswith("srv/src/tests") for name in members)
