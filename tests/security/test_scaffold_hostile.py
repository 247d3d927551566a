"""Hostile scaffolding input: rejected, or rendered inert; nothing is ever written outside the destination.

Covers parameters (path traversal, absolute paths, NUL and control bytes, shell
metacharacters, Jinja sandbox escapes, bidirectional overrides) and hostile
templates (symbolic links, special files, escaping file names, includes from
outside, sandbox escapes, copier tasks).
"""

from __future__ import annotations

import ast
import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from idp_actions.scaffold.manifest import find_template
from idp_actions.scaffold.render import RenderError, render
from idp_actions.scaffold.request import Context, RequestError, parse_request
from idp_actions.scaffold.source import TemplateError, check_tree
from tests.conftest import ROOT
from tests.unit.test_scaffold_render import MINI_ANSWERS, answers_for, make_template

TEMPLATES = ROOT / "templates"
CONTEXT = Context(org="acme", owner="team-payments")
ESCAPE = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
SHELL = "\"; rm -rf / #' $(id) `id` ${HOME} %{x} | & > /tmp/x"


def parse(**parameters: Any) -> Any:
    return parse_request({"template": "python-service", "parameters": parameters}, templates=TEMPLATES,
                         context=CONTEXT)


def files_outside(root: Path, before: set[Path]) -> set[Path]:
    return {p for p in root.rglob("*")} - before


# ---------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    "name",
    [
        "../x", "..", "../../etc/passwd", "/etc/passwd", "a/b", "a\\b", "x\x00y", "x;rm -rf /", "$(id)", "`id`",
        "name with space", "-leading", "trailing-", "UPPER", "p\u0430yments",  # Cyrillic a
        ESCAPE, "a" * 41, "",
    ],
)
def test_hostile_names_are_rejected(name: str) -> None:
    with pytest.raises(RequestError, match="parameter `name`"):
        parse(name=name)


@pytest.mark.parametrize(
    "text",
    ["line\nbreak", "nul\x00byte", "tab\there", "escape\x1b[31mred", "rtl \u202eoverride", "del\x7f", "ls\u2028sep"],
)
def test_control_characters_are_rejected_in_every_string(text: str) -> None:
    with pytest.raises(RequestError, match="parameter `description`: contains the control character"):
        parse(name="svc", description=text)


@pytest.mark.parametrize("key", ["registry", "domain", "base_image", "owner", "org", "gitops_repository"])
def test_path_like_values_are_rejected_in_structured_parameters(key: str) -> None:
    with pytest.raises(RequestError, match=f"parameter `{key}`"):
        parse(name="svc", **{key: "../../etc"})


def test_shell_metacharacters_and_sandbox_escapes_in_a_description_are_inert(tmp_path: Path) -> None:
    description = f"{SHELL} {ESCAPE} {{% raw %}} </script>"
    request = parse(name="svc", description=description)
    rendered = render(request.manifest, request.answers, tmp_path / "out")
    root = rendered.root
    # every structured file still parses, and holds the text exactly
    assert yaml.safe_load((root / "catalog-info.yaml").read_text())["metadata"]["description"] == description
    assert yaml.safe_load((root / "mkdocs.yml").read_text())["site_description"] == description
    assert tomllib.loads((root / "pyproject.toml").read_text())["project"]["description"] == description
    module = ast.parse((root / "src/svc/__init__.py").read_text())
    constants = {n.targets[0].id: ast.literal_eval(n.value) for n in module.body if isinstance(n, ast.Assign)}
    assert constants["DESCRIPTION"] == description
    assert yaml.safe_load((root / ".copier-answers.yml").read_text())["description"] == description
    # and it was never evaluated: no class hierarchy dumped anywhere
    everything = "".join(p.read_text() for p in root.rglob("*") if p.is_file())
    assert "<class 'object'>" not in everything and "subclasses__()" in everything
    assert description in (root / "README.md").read_text()
    # the Dockerfile, the workflows and Terraform never see free text
    for path in ("Dockerfile", ".github/workflows/ci.yml", "terraform/main.tf", "terraform/variables.tf"):
        assert "rm -rf" not in (root / path).read_text(), path


# ------------------------------------------------------------------ templates


def test_a_symbolic_link_in_a_template_is_refused(tmp_path: Path) -> None:
    manifest = make_template(tmp_path, {"README.md": "hi\n"})
    (manifest.template_dir / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(TemplateError, match="passwd is a symbolic link"):
        render(manifest, MINI_ANSWERS, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_even_a_link_inside_the_template_is_refused(tmp_path: Path) -> None:
    manifest = make_template(tmp_path, {"README.md": "hi\n"})
    (manifest.template_dir / "docs").symlink_to(manifest.template_dir)
    with pytest.raises(TemplateError, match="docs is a symbolic link"):
        check_tree(manifest.root)


def test_a_special_file_in_a_template_is_refused(tmp_path: Path) -> None:
    manifest = make_template(tmp_path, {"README.md": "hi\n"})
    os.mkfifo(manifest.template_dir / "pipe")
    with pytest.raises(TemplateError, match="pipe is not a regular file"):
        render(manifest, MINI_ANSWERS, tmp_path / "out")


def test_a_sandbox_escape_in_a_template_is_refused(tmp_path: Path) -> None:
    manifest = make_template(tmp_path, {"evil.txt.jinja": ESCAPE + "\n"})
    with pytest.raises(RenderError, match="sandbox forbids"):
        render(manifest, MINI_ANSWERS, tmp_path / "out")


def test_a_template_cannot_reach_python_through_filters_either(tmp_path: Path) -> None:
    manifest = make_template(tmp_path, {"evil.txt.jinja": "{{ (name | attr('__class__')).__base__ }}\n"})
    with pytest.raises(RenderError, match=r"sandbox forbids|failed to render"):
        render(manifest, MINI_ANSWERS, tmp_path / "out")


FREE = [{"name": "evil", "type": "string", "title": "E", "description": "free text"}]


@pytest.mark.parametrize(
    ("files", "value"),
    [
        ({"{{ evil }}.txt.jinja": "x\n"}, "../../escaped"),
        ({"{{ evil }}/x.txt": "x\n"}, "../../escaped-dir"),
        ({"{{ evil }}": "x\n"}, "/tmp/idp-scaffold-absolute-escape"),
    ],
)
def test_file_names_cannot_escape_the_destination(tmp_path: Path, files: dict[str, str], value: str) -> None:
    manifest = make_template(tmp_path / "t", files, parameters=FREE)
    before = set(tmp_path.rglob("*"))
    with pytest.raises(RenderError):
        render(manifest, {**MINI_ANSWERS, "evil": value}, tmp_path / "a" / "b" / "out")
    created = {p for p in files_outside(tmp_path, before) if "out" not in p.relative_to(tmp_path).parts}
    assert not [p for p in created if "escape" in p.name], created
    assert not Path("/tmp/idp-scaffold-absolute-escape").exists()


def test_includes_cannot_read_outside_the_template(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET\n")
    manifest = make_template(tmp_path / "t", {"leak.txt.jinja": "{% include '../../../secret.txt' %}\n"})
    with pytest.raises(RenderError):
        render(manifest, MINI_ANSWERS, tmp_path / "out")
    assert not any("TOP SECRET" in p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file())


def test_a_template_cannot_bring_its_own_copier_tasks(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    rogue = {"_tasks": [f"touch {marker}"], "_jinja_extensions": ["jinja2.ext.do"]}
    manifest = make_template(tmp_path / "t", {"copier.yml": yaml.safe_dump(rogue), "a.txt": "a\n"})
    (manifest.root / "copier.yml").write_text(yaml.safe_dump(rogue))  # beside the manifest too
    rendered = render(manifest, MINI_ANSWERS, tmp_path / "out")
    assert not marker.exists()
    assert "a.txt" in rendered.files


def test_hostile_values_never_reach_a_path(tmp_path: Path) -> None:
    # the real template through a full request: the name becomes paths (src/<package>/); it cannot be hostile
    request = parse(name="svc-1", description="../../../../etc")
    rendered = render(request.manifest, request.answers, tmp_path / "out")
    assert all(not part.startswith("..") for f in rendered.files for part in f.split("/"))
    assert (rendered.root / "src" / "svc_1" / "app.py").is_file()


def test_answers_of_a_golden_request_round_trip(tmp_path: Path) -> None:
    answers = answers_for("python-service", description=SHELL)
    rendered = render(find_template("python-service", TEMPLATES), answers, tmp_path / "out")
    data = json.loads(json.dumps(yaml.safe_load((rendered.root / ".copier-answers.yml").read_text())))
    assert data["description"] == SHELL
