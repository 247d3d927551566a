"""Rendering templates with copier: the golden tree of every template, answers, strictness, containment.

Golden trees: ``tests/unit/golden/scaffold/<template>.txtar`` holds every file a
template renders for the answers in :data:`GOLDEN_ANSWERS`, in the txtar format
(``-- path --`` then the file's text), so a change to a template shows as a
readable diff. Regenerate after an intended change with
``IDP_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_scaffold_render.py`` and
review the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from idp_actions.scaffold.manifest import Manifest, available, find_template, load_manifest
from idp_actions.scaffold.render import (
    SOURCE_PREFIX,
    RenderError,
    entity_ref,
    read_answers,
    render,
    verify_tree,
)
from idp_actions.scaffold.source import ANSWERS_FILE, copier_config
from tests.conftest import ROOT

TEMPLATES = ROOT / "templates"
GOLDEN = Path(__file__).parent / "golden" / "scaffold"
UPDATE_GOLDEN = os.environ.get("IDP_UPDATE_GOLDEN") == "1"
GOLDEN_ANSWERS: dict[str, dict[str, Any]] = {
    "python-service": {"name": "payments-api", "owner": "team-payments", "org": "acme",
                       "description": "Takes payments & refunds them", "system": "checkout",
                       "gitops_repository": "acme/gitops"},
    "terraform-module": {"name": "terraform-aws-naming", "owner": "team-platform", "org": "acme",
                         "description": "Names and tags for AWS resources"},
}


# ----------------------------------------------------------------- helpers


def to_txtar(root: Path) -> str:
    """Every file under ``root`` as a txtar archive (sorted by path)."""
    parts = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        assert text == "" or text.endswith("\n"), f"{path.relative_to(root)} does not end with a newline"
        parts.append(f"-- {path.relative_to(root).as_posix()} --\n{text}")
    return "".join(parts)


def answers_for(template: str, **overrides: Any) -> dict[str, Any]:
    """The golden answers of ``template`` with every default filled in, as a request would give them."""
    manifest = find_template(template, TEMPLATES)
    answers = {p.name: p.default for p in manifest.parameters if p.default is not None}
    answers.update(GOLDEN_ANSWERS[template])
    answers.update(overrides)
    return answers


def make_template(root: Path, files: dict[str, str], *, parameters: list[dict[str, Any]] | None = None,
                  name: str = "mini", version: str = "1.0.0", extra: dict[str, Any] | None = None) -> Manifest:
    """A small template at ``root/name`` (manifest + template/ with ``files``), for engine tests."""
    folder = root / name
    (folder / "template").mkdir(parents=True)
    base = [
        {"name": "name", "type": "string", "title": "Name", "description": "the name", "required": True,
         "pattern": "^[a-z][a-z0-9-]*$"},
        {"name": "owner", "type": "string", "title": "Owner", "description": "the team", "required": True},
        {"name": "org", "type": "string", "title": "Org", "description": "the org", "required": True},
    ]
    manifest = {"name": name, "version": version, "title": "Mini", "description": "A small template.",
                "type": "library", "parameters": base + (parameters or []), **(extra or {})}
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    all_files = {"{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers | to_nice_yaml -}}\n", **files}
    for relative, text in all_files.items():
        target = folder / "template" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return load_manifest(folder / "manifest.yaml")


MINI_ANSWERS = {"name": "demo", "owner": "team", "org": "acme"}


# ------------------------------------------------------------- golden trees


@pytest.mark.parametrize("template", sorted(GOLDEN_ANSWERS))
def test_golden_tree(template: str, tmp_path: Path) -> None:
    manifest = find_template(template, TEMPLATES)
    rendered = render(manifest, answers_for(template), tmp_path / "out")
    actual = to_txtar(rendered.root)
    golden = GOLDEN / f"{template}.txtar"
    if UPDATE_GOLDEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert golden.is_file(), f"no golden tree for {template}: run with IDP_UPDATE_GOLDEN=1"
    assert actual == golden.read_text(encoding="utf-8"), (
        f"{template} renders differently from {golden.name}; if intended, regenerate with IDP_UPDATE_GOLDEN=1"
    )
    assert list(rendered.files) == sorted(rendered.files)


def test_every_template_has_a_golden_tree() -> None:
    assert sorted(GOLDEN_ANSWERS) == available(TEMPLATES)


def test_the_answers_file_names_the_template_and_its_version(tmp_path: Path) -> None:
    manifest = find_template("python-service", TEMPLATES)
    rendered = render(manifest, answers_for("python-service"), tmp_path / "out")
    answers = read_answers(rendered.root)
    assert answers["_src_path"] == f"{SOURCE_PREFIX}python-service"
    assert answers["_commit"] == f"v{manifest.version}"
    assert answers["name"] == "payments-api" and answers["port"] == 8080
    assert "package" not in answers, "derived values are recomputed, never recorded"
    assert entity_ref(rendered.root) == "component:default/payments-api"


def test_derived_values_are_computed_in_the_sandbox(tmp_path: Path) -> None:
    manifest = find_template("python-service", TEMPLATES)
    answers = answers_for("python-service", name="a-b-c", registry="")
    rendered = render(manifest, answers, tmp_path / "out")
    assert (rendered.root / "src" / "a_b_c" / "app.py").is_file()
    deployment = yaml.safe_load((rendered.root / "deploy/base/deployment.yaml").read_text())
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "ghcr.io/acme/a-b-c@sha256:" + "0" * 64, "by digest from the start"
    registry = render(manifest, answers_for("python-service", name="x1", registry="registry.example.com/team"),
                      tmp_path / "out2")
    overlay = (registry.root / "deploy/overlays/prod/kustomization.yaml").read_text()
    assert "name: registry.example.com/team/x1\n" in overlay


# ------------------------------------------------------------- the engine


def test_copier_questions_come_from_the_manifest() -> None:
    manifest = find_template("python-service", TEMPLATES)
    config = copier_config(manifest)
    assert config["_envops"]["undefined"] == "jinja2.StrictUndefined"
    assert config["_subdirectory"] == "template"
    for parameter in manifest.parameters:
        assert config[parameter.name]["help"] == parameter.description
    assert config["port"] == {"type": "int", "help": manifest.parameter("port").description, "default": 8080}
    assert config["lifecycle"]["choices"] == ["experimental", "production", "deprecated"]
    assert config["package"]["when"] is False


def test_an_undefined_variable_is_an_error_not_an_empty_string(tmp_path: Path) -> None:
    manifest = make_template(tmp_path, {"README.md.jinja": "Hello {{ nmae }}\n"})
    with pytest.raises(RenderError, match="nmae"):
        render(manifest, MINI_ANSWERS, tmp_path / "out")


def test_a_template_error_is_reported_with_its_file(tmp_path: Path) -> None:
    manifest = make_template(tmp_path, {"broken.txt.jinja": "{% if name %}unclosed\n"})
    with pytest.raises(RenderError, match="failed to render"):
        render(manifest, MINI_ANSWERS, tmp_path / "out")


def test_files_without_the_suffix_are_copied_verbatim(tmp_path: Path) -> None:
    workflow = "on: push\njobs:\n  x:\n    steps:\n      - run: echo ${{ github.sha }}\n"
    manifest = make_template(tmp_path, {".github/workflows/ci.yml": workflow, "a.txt.jinja": "{{ name }}\n"})
    rendered = render(manifest, MINI_ANSWERS, tmp_path / "out")
    assert (rendered.root / ".github/workflows/ci.yml").read_text() == workflow
    assert (rendered.root / "a.txt").read_text() == "demo\n"


def test_render_refuses_an_existing_destination(tmp_path: Path) -> None:
    manifest = make_template(tmp_path, {"a.txt": "x\n"})
    (tmp_path / "out").mkdir()
    with pytest.raises(RenderError, match="already exists"):
        render(manifest, MINI_ANSWERS, tmp_path / "out")


def test_verify_tree_lists_plain_files_only(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    assert verify_tree(tmp_path) == ("d/f",)
    (tmp_path / "link").symlink_to(tmp_path / "d" / "f")
    with pytest.raises(RenderError, match="symbolic link"):
        verify_tree(tmp_path)


def test_read_answers_refuses_a_repository_not_made_by_idp(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="not made by idp scaffold"):
        read_answers(tmp_path)
    (tmp_path / ANSWERS_FILE).write_text("_src_path: gh:someone/else\n")
    with pytest.raises(RenderError, match="does not name an idp-actions template"):
        read_answers(tmp_path)


def test_templates_are_plain_folders(tmp_path: Path) -> None:
    # the real templates pass the same check every render makes
    from idp_actions.scaffold.source import check_tree

    for name in available(TEMPLATES):
        assert check_tree(TEMPLATES / name) > 5


def test_copy_of_a_template_renders_the_same(tmp_path: Path) -> None:
    copy = tmp_path / "templates" / "python-service"
    shutil.copytree(TEMPLATES / "python-service", copy)
    first = render(load_manifest(copy / "manifest.yaml"), answers_for("python-service"), tmp_path / "a")
    second = render(find_template("python-service", TEMPLATES), answers_for("python-service"), tmp_path / "b")
    assert to_txtar(first.root) == to_txtar(second.root)
