"""Template manifests: every real one is valid, and a broken one is refused naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from idp_actions.errors import UsageError
from idp_actions.scaffold.manifest import (
    DEFAULT_MAX_LENGTH,
    ManifestError,
    Parameter,
    ParameterError,
    available,
    find_template,
    load_manifest,
    templates_root,
)
from tests.conftest import ROOT

TEMPLATES = ROOT / "templates"


def write(tmp_path: Path, manifest: dict[str, Any], name: str = "demo") -> Path:
    folder = tmp_path / name
    (folder / "template").mkdir(parents=True, exist_ok=True)
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return path


def minimal(**extra: Any) -> dict[str, Any]:
    return {
        "name": "demo", "version": "1.0.0", "title": "Demo", "description": "d", "type": "service",
        "parameters": [
            {"name": "name", "type": "string", "title": "N", "description": "n", "required": True,
             "pattern": "^[a-z]+$"},
            {"name": "owner", "type": "string", "title": "O", "description": "o", "required": True},
            {"name": "org", "type": "string", "title": "G", "description": "g", "required": True},
        ],
        **extra,
    }


@pytest.mark.parametrize("name", available(TEMPLATES))
def test_every_template_manifest_is_valid(name: str) -> None:
    manifest = find_template(name, TEMPLATES)
    assert manifest.name == name
    assert manifest.template_dir.is_dir()
    assert manifest.checks, "every template is self-checked"
    assert manifest.tests, "every template ships tests of its own"
    assert manifest.required_checks, "the ruleset requires the template's CI checks"
    for parameter in manifest.parameters:
        assert parameter.description.endswith((".", ")")), f"{name}.{parameter.name}: describe it in a sentence"
        if parameter.example is not None:
            parameter.check(parameter.example)


def test_the_templates_are_found_beside_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert templates_root({}) == TEMPLATES
    assert templates_root({"IDP_TEMPLATES": str(tmp_path)}) == tmp_path
    with pytest.raises(UsageError, match="were not found"):
        templates_root({"IDP_TEMPLATES": str(tmp_path / "nope")})


def test_an_unknown_template_lists_the_ones_there_are() -> None:
    with pytest.raises(UsageError, match="no template called `nodejs`") as caught:
        find_template("nodejs", TEMPLATES)
    assert "python-service" in str(caught.value) and "terraform-module" in str(caught.value)
    with pytest.raises(UsageError, match="not a template name"):
        find_template("../python-service", TEMPLATES)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": "1.0"}, "does not match"),
        ({"kind": "x"}, "Additional properties"),
        ({"checks": ["lint"]}, "is not one of"),
        ({"name": "other"}, "differs from its folder"),
    ],
)
def test_invalid_manifests_name_the_problem(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        load_manifest(write(tmp_path, minimal(**change)))


def test_manifest_errors_name_the_key(tmp_path: Path) -> None:
    manifest = minimal()
    manifest["parameters"][0]["pattern"] = "(["
    with pytest.raises(ManifestError, match=r"demo/manifest.yaml at `parameters\[0\].pattern`: pattern does not"):
        load_manifest(write(tmp_path, manifest))


def test_every_template_declares_name_owner_and_org(tmp_path: Path) -> None:
    manifest = minimal()
    manifest["parameters"] = manifest["parameters"][:1]
    with pytest.raises(ManifestError, match="missing: owner, org"):
        load_manifest(write(tmp_path, manifest))


def test_a_default_must_satisfy_its_own_parameter(tmp_path: Path) -> None:
    manifest = minimal()
    manifest["parameters"].append({"name": "port", "type": "integer", "title": "P", "description": "p",
                                   "default": 80, "minimum": 1024})
    with pytest.raises(ManifestError, match=r"parameters\[3\].default.*at least 1024"):
        load_manifest(write(tmp_path, manifest))


def test_derived_values_may_not_shadow_parameters(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="shadow parameters: owner"):
        load_manifest(write(tmp_path, minimal(derived={"owner": "x"})))


# --------------------------------------------------------------- parameter checks


def test_string_checks() -> None:
    p = Parameter(name="name", type="string", title="N", description="Name.", pattern="^[a-z-]+$", max_length=5)
    assert p.check("ab-c") == "ab-c"
    with pytest.raises(ParameterError, match="at most 5"):
        p.check("abcdef")
    with pytest.raises(ParameterError, match="does not match"):
        p.check("AB")
    with pytest.raises(ParameterError, match="must be a string, got 3"):
        p.check(3)


def test_strings_are_bounded_even_without_max_length() -> None:
    p = Parameter(name="description", type="string", title="D", description="D.")
    with pytest.raises(ParameterError, match=f"at most {DEFAULT_MAX_LENGTH}"):
        p.check("x" * (DEFAULT_MAX_LENGTH + 1))


def test_integer_and_boolean_checks() -> None:
    port = Parameter(name="port", type="integer", title="P", description="P.", minimum=1024, maximum=65535)
    assert port.check(8080) == 8080
    with pytest.raises(ParameterError, match="whole number"):
        port.check(True)
    with pytest.raises(ParameterError, match="whole number"):
        port.check("8080")
    with pytest.raises(ParameterError, match="at most 65535"):
        port.check(70000)
    flag = Parameter(name="flag", type="boolean", title="F", description="F.")
    assert flag.check(False) is False
    with pytest.raises(ParameterError, match="true or false"):
        flag.check("false")


def test_enum_checks() -> None:
    p = Parameter(name="visibility", type="string", title="V", description="V.", enum=("private", "internal"))
    with pytest.raises(ParameterError, match="one of private, internal"):
        p.check("public")
