"""The Backstage side: generated Software Templates and every generated catalog-info.yaml, validated
by Backstage's own code through node (@backstage/plugin-scaffolder-common's Template v1beta3
validator, @backstage/catalog-model's entity policies and kind validators), and the template's
dispatch inputs checked against scaffold.yml's."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from idp_actions.scaffold.backstage import DISPATCH_INPUT, PLATFORM_FILLED, WORKFLOW, render_yaml, write_all
from idp_actions.scaffold.manifest import available, find_template
from idp_actions.scaffold.render import render
from idp_actions.scaffold.request import Context, parse_request
from tests.conftest import ROOT, require_tool
from tests.contracts import NPM, npm_contract
from tests.unit.test_scaffold_render import answers_for

TEMPLATES = ROOT / "templates"
BACKSTAGE = TEMPLATES / "backstage"

# Validates each entity the way Backstage's catalog does (the default entity policies, then the
# kind's validator) and prints one result per entity: {"ok": bool, "error": str}.
VALIDATE = r"""
const catalog = require('@backstage/catalog-model');
const scaffolder = require('@backstage/plugin-scaffolder-common');
const policies = catalog.EntityPolicies.allOf([
  new catalog.DefaultNamespaceEntityPolicy(),
  new catalog.NoForeignRootFieldsEntityPolicy(),
  new catalog.FieldFormatEntityPolicy(),
  new catalog.SchemaValidEntityPolicy(),
]);
const validators = {
  Template: scaffolder.templateEntityV1beta3Validator,
  Component: catalog.componentEntityV1alpha1Validator,
};
(async () => {
  const entities = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const results = [];
  for (const entity of entities) {
    try {
      const checked = await policies.enforce(entity);
      const validator = validators[entity.kind];
      if (!validator) throw new Error(`no validator for kind ${entity.kind}`);
      if ((await validator.check(checked)) !== true) throw new Error(`${entity.kind} validator said no`);
      results.push({ ok: true });
    } catch (error) {
      results.push({ ok: false, error: String(error && error.message || error) });
    }
  }
  process.stdout.write(JSON.stringify(results));
})();
"""


def validate(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = require_tool("node")
    npm_contract("@backstage/plugin-scaffolder-common", "package.json")
    npm_contract("@backstage/catalog-model", "package.json")
    done = subprocess.run([node, "-e", VALIDATE], input=json.dumps(entities), cwd=NPM.parent,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def test_the_backstage_templates_are_up_to_date() -> None:
    assert write_all(check=True) == 0, "run `idp scaffold backstage` and commit the result"
    assert sorted(p.name for p in BACKSTAGE.iterdir() if p.is_dir()) == available(TEMPLATES)


def test_backstage_accepts_every_generated_template() -> None:
    entities = [load(BACKSTAGE / name / "template.yaml") for name in available(TEMPLATES)]
    results = validate(entities)
    assert results == [{"ok": True}] * len(entities), results


def test_backstage_accepts_every_generated_catalog_entity(tmp_path: Path) -> None:
    entities = []
    for name in available(TEMPLATES):
        hostile = answers_for(name, description='Payments "API" & refunds: 100% {{ x }} ${y} #1')
        for index, answers in enumerate((answers_for(name), hostile)):
            rendered = render(find_template(name, TEMPLATES), answers, tmp_path / f"{name}-{index}")
            entities += list(yaml.safe_load_all((rendered.root / "catalog-info.yaml").read_text()))
    results = validate(entities)
    assert results == [{"ok": True}] * len(entities), results


def test_the_validators_do_reject_broken_entities() -> None:
    template = load(BACKSTAGE / "python-service" / "template.yaml")
    no_steps = json.loads(json.dumps(template))
    del no_steps["spec"]["steps"]
    bad_name = json.loads(json.dumps(template))
    bad_name["metadata"]["name"] = "Not A Valid Name!"
    component = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                 "metadata": {"name": "x"}, "spec": {"type": "service", "lifecycle": "production"}}
    results = validate([no_steps, bad_name, component])
    assert [r["ok"] for r in results] == [False, False, False], results
    assert "steps" in results[0]["error"] and "owner" in results[2]["error"]


# ---------------------------------------------------- the form, the dispatch and the workflow


def dispatch_inputs() -> dict[str, Any]:
    workflow = load(ROOT / ".github" / "workflows" / WORKFLOW)
    on = workflow.get("on", workflow.get(True))
    inputs: dict[str, Any] = on["workflow_dispatch"]["inputs"]
    return inputs


@pytest.mark.parametrize("name", available(TEMPLATES))
def test_the_template_dispatches_exactly_the_workflows_inputs(name: str) -> None:
    (step,) = load(BACKSTAGE / name / "template.yaml")["spec"]["steps"]
    assert step["action"] == "github:actions:dispatch"
    assert {"repoUrl", "workflowId", "branchOrTagName", "workflowInputs"} <= set(step["input"])
    assert step["input"]["workflowId"] == WORKFLOW
    assert re.fullmatch(r"github\.com\?owner=[\w.-]+&repo=[\w.-]+", step["input"]["repoUrl"])
    given = step["input"]["workflowInputs"]
    declared = dispatch_inputs()
    assert set(given) == set(declared) == {DISPATCH_INPUT}
    assert all(spec.get("type") == "string" for spec in declared.values()), "Backstage sends strings"
    assert len(declared) <= 25, "GitHub accepts at most 25 dispatch inputs"
    assert [k for k, s in declared.items() if s.get("required")] == [DISPATCH_INPUT]


@pytest.mark.parametrize("name", available(TEMPLATES))
def test_the_form_asks_for_the_manifests_parameters(name: str) -> None:
    manifest = find_template(name, TEMPLATES)
    pages = load(BACKSTAGE / name / "template.yaml")["spec"]["parameters"]
    fields: dict[str, Any] = {}
    required: list[str] = []
    for page in pages:
        fields.update(page["properties"])
        required += page.get("required", [])
    assert sorted(fields) == sorted(p.name for p in manifest.parameters)
    assert sorted(required) == sorted(p.name for p in manifest.parameters
                                      if p.required and p.name not in PLATFORM_FILLED)
    for parameter in manifest.parameters:
        field = fields[parameter.name]
        assert field["type"] == parameter.type
        assert field.get("default") == parameter.default
        if parameter.pattern and "ui:field" not in field:
            assert field["pattern"] == parameter.pattern


@pytest.mark.parametrize("name", available(TEMPLATES))
def test_what_backstage_sends_is_a_request_idp_accepts(name: str) -> None:
    """Render the dispatch input as Backstage would (`parameters | dump` is JSON.stringify) and parse it."""
    manifest = find_template(name, TEMPLATES)
    (step,) = load(BACKSTAGE / name / "template.yaml")["spec"]["steps"]
    template = step["input"]["workflowInputs"][DISPATCH_INPUT]
    assert template.count("${{ parameters | dump }}") == 1
    # what the form holds: the examples, defaults for the rest, the OwnerPicker's entity reference
    form = {p.name: p.example if p.example is not None else p.default for p in manifest.parameters
            if p.name not in PLATFORM_FILLED and (p.example is not None or p.default is not None)}
    form["owner"] = "group:default/team-payments"
    sent = template.replace("${{ parameters | dump }}", json.dumps(form))
    request = parse_request(json.loads(sent), templates=TEMPLATES, context=Context(org="acme"))
    assert request.manifest.name == name
    assert request.owner == "team-payments"
    assert request.org == "acme"
    assert json.loads(sent)["version"] == manifest.version


def test_generated_yaml_round_trips() -> None:
    for name in available(TEMPLATES):
        text = render_yaml(find_template(name, TEMPLATES))
        assert text.startswith("# Generated by `idp scaffold backstage`")
        assert yaml.safe_load(text)["metadata"]["name"] == name
