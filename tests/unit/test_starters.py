"""Starter workflows: GitHub's workflow-template format, and the scaffolding templates' copies of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from idp_actions.scaffold.manifest import available, find_template
from idp_actions.scaffold.starters import StarterError, check_properties, expected_copies, for_repository
from tests.conftest import ROOT

STARTERS = sorted((ROOT / "workflows").glob("*.yml"))


def test_there_are_starters_for_services_and_infrastructure() -> None:
    assert {"service", "infrastructure"} <= {p.stem for p in STARTERS}


@pytest.mark.parametrize("starter", STARTERS, ids=lambda p: p.stem)
def test_each_starter_has_properties_github_reads_and_runs_on_the_default_branch(starter: Path) -> None:
    properties = check_properties(starter.with_suffix(".properties.json"))
    assert properties["name"] and properties["description"]
    text = starter.read_text(encoding="utf-8")
    assert "$default-branch" in text, "GitHub fills in the default branch of the repository that adopts it"
    document = yaml.safe_load(for_repository(text))
    assert document["permissions"] == {}, "read-nothing at the top; each job grants what it needs"
    for job_id, job in document["jobs"].items():
        assert "permissions" in job, f"{starter.name}: job {job_id} grants its permissions explicitly"
        assert "secrets" not in job or job["secrets"] != "inherit"
        uses = job.get("uses", "")
        if not uses:
            assert job.get("timeout-minutes"), f"{starter.name}: job {job_id} has a timeout"
            continue
        assert uses.startswith("idp-actions/idp-actions/.github/workflows/"), uses
        called = ROOT / ".github" / "workflows" / uses.split("/.github/workflows/")[1].split("@")[0]
        assert called.is_file(), f"{starter.name} calls {uses}, which this suite does not have"
        inputs = (yaml.safe_load(called.read_text(encoding="utf-8"))[True]["workflow_call"].get("inputs") or {})
        assert set(job.get("with") or {}) <= set(inputs), f"{starter.name}: unknown inputs for {called.name}"


def test_every_properties_file_belongs_to_a_starter() -> None:
    for properties in (ROOT / "workflows").glob("*.properties.json"):
        assert properties.with_name(properties.name.replace(".properties.json", ".yml")).is_file()


def test_templates_ship_the_starters_unchanged_but_for_the_default_branch() -> None:
    templates = ROOT / "templates"
    copies = expected_copies(ROOT, [find_template(n, templates) for n in available(templates)])
    assert {(c.template, c.starter) for c in copies} >= {("python-service", "service"),
                                                         ("terraform-module", "terraform-module")}
    for copy in copies:
        assert copy.path.read_text(encoding="utf-8") == copy.text, f"{copy.path}: run scripts/sync-starters"
        assert "$default-branch" not in copy.text and "branches: [main]" in copy.text
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "sync-starters"), "--check"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_an_unknown_starter_and_bad_properties_are_clear_errors(tmp_path: Path) -> None:
    from idp_actions.scaffold.starters import starter_text

    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "service.yml").write_text("name: x\n", encoding="utf-8")
    with pytest.raises(StarterError, match=r"no starter workflow `servce`.*known: service"):
        starter_text(tmp_path, "servce")
    bad = tmp_path / "x.properties.json"
    bad.write_text('{"name": "x", "icon": "y"}', encoding="utf-8")
    with pytest.raises(StarterError, match="lacks description"):
        check_properties(bad)
    bad.write_text('{"name": "x", "description": "d", "icon": "y"}', encoding="utf-8")
    with pytest.raises(StarterError, match="keys GitHub does not read: icon"):
        check_properties(bad)
