"""Differential: the engine's Gatekeeper verdicts equal real gator's, for every sample of every policy.

For each Kubernetes policy, one ``gator test`` run gets the template, the constraint
of every sample case (those its suite marks invalid aside) and every sample object
(inventories included): gator reviews every object against every constraint, so the
comparison covers each constraint with each object, not only the pairs the suite names.
The engine evaluates the very same files in one ``opa eval``; the multisets of
(constraint, object, message, enforcement) must be equal.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from idp_actions.policy import documents, kubernetes
from idp_actions.policy.gatekeeper import PolicyError, is_constraint, read_constraint
from idp_actions.policy.inputs import KubeObject
from idp_actions.policy.library import load_templates
from idp_actions.policy.parameters import check_parameters
from tests.conftest import ROOT, require_tool

POLICIES = ROOT / "policies" / "kubernetes"
FOLDERS = sorted(p for p in POLICIES.iterdir() if (p / "template.yaml").is_file())

Verdict = tuple[str, str, str, str, str, str]


def _invalid_constraints(folder: Path) -> set[Path]:
    suite = yaml.safe_load((folder / "suite.yaml").read_text(encoding="utf-8"))
    return {(folder / t["constraint"]).resolve() for t in suite.get("tests", []) if t.get("invalid")}


def _files(folder: Path) -> tuple[list[Path], list[Path]]:
    invalid = _invalid_constraints(folder)
    constraints = sorted(p for p in folder.glob("samples/*/constraint.yaml") if p.resolve() not in invalid)
    objects = sorted(p for p in folder.glob("samples/*/*.yaml") if p.name != "constraint.yaml")
    return constraints, objects


def _gator(folder: Path, constraints: list[Path], objects: list[Path]) -> Counter[Verdict]:
    args = [require_tool("gator"), "test", "-o", "json", "-f", str(folder / "template.yaml")]
    for path in [*constraints, *objects]:
        args += ["-f", str(path)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode in (0, 1), result.stderr
    assert result.stdout.strip(), f"gator gave no JSON:\n{result.stderr}"
    verdicts: Counter[Verdict] = Counter()
    for item in json.loads(result.stdout) or []:
        obj = item["violatingObject"]
        metadata = obj.get("metadata", {})
        verdicts[(
            item["constraint"]["metadata"]["name"],
            obj["kind"],
            metadata.get("namespace", ""),
            metadata.get("name", ""),
            item["msg"],
            item["enforcementAction"],
        )] += 1
    return verdicts


def _ours(folder: Path, constraints: list[Path], objects: list[Path]) -> Counter[Verdict]:
    [template] = load_templates(folder / "template.yaml", shown="template.yaml")
    read = []
    for path in constraints:
        [doc] = documents.load_yaml(path.read_text(encoding="utf-8"))
        constraint = read_constraint(doc.data, path=str(path), line=doc.line)
        check_parameters(constraint, template)
        read.append(constraint)
    items = [
        KubeObject(obj=doc.data, path=str(path), line=doc.line)
        for path in objects
        for doc in documents.load_yaml(path.read_text(encoding="utf-8"))
        if documents.is_kubernetes_object(doc.data) and not is_constraint(doc.data)
    ]
    found, _ = kubernetes.check({template.kind: template}, read, items)
    verdicts: Counter[Verdict] = Counter()
    for v in found:
        verdicts[(v.constraint.split("/", 1)[1], v.resource.kind, v.resource.namespace, v.resource.name,
                  v.message, v.enforcement)] += 1
    return verdicts


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_engine_agrees_with_gator_on_every_sample(folder: Path) -> None:
    constraints, objects = _files(folder)
    assert constraints and objects, f"{folder.name}: no samples"
    theirs = _gator(folder, constraints, objects)
    ours = _ours(folder, constraints, objects)
    assert theirs, f"{folder.name}: gator found no violation at all, so the comparison proves nothing"
    missing = theirs - ours
    extra = ours - theirs
    assert not missing and not extra, (
        f"{folder.name}: gator found but the engine did not:\n"
        + "\n".join(map(str, sorted(missing)))
        + "\nthe engine found but gator did not:\n"
        + "\n".join(map(str, sorted(extra)))
    )


def test_the_comparison_covers_every_policy() -> None:
    assert len(FOLDERS) >= 12


@pytest.mark.parametrize(
    "folder", [f for f in FOLDERS if _invalid_constraints(f)], ids=lambda p: p.name
)
def test_constraints_gator_refuses_are_refused(folder: Path) -> None:
    [template] = load_templates(folder / "template.yaml", shown="template.yaml")
    for path in _invalid_constraints(folder):
        [doc] = documents.load_yaml(path.read_text(encoding="utf-8"))
        constraint = read_constraint(doc.data, path=str(path), line=doc.line)
        with pytest.raises(PolicyError) as caught:
            check_parameters(constraint, template)
        assert constraint.name in str(caught.value)
        gator = subprocess.run(
            [require_tool("gator"), "test", "-f", str(folder / "template.yaml"), "-f", str(path)],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert gator.returncode != 0, "gator accepted a constraint the suite marks invalid"


def _review_probe() -> dict[str, Any]:
    """What gator hands a template as input, probed with a template that reports its input."""
    probe = """
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: idpprobe}
spec:
  crd:
    spec:
      names: {kind: IdpProbe}
      validation: {openAPIV3Schema: {type: object, properties: {a: {type: integer}}}}
  targets:
    - target: admission.k8s.gatekeeper.sh
      code:
        - engine: Rego
          source:
            version: v1
            rego: |
              package idpprobe
              violation contains {"msg": json.marshal(input)} if { true }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: IdpProbe
metadata: {name: probe}
spec:
  match: {kinds: [{apiGroups: ["apps"], kinds: ["Deployment"]}]}
  parameters: {a: 1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
"""
    return {"manifest": probe}


def test_the_review_has_gatekeepers_shape(tmp_path: Path) -> None:
    manifest = _review_probe()["manifest"]
    file = tmp_path / "probe.yaml"
    file.write_text(manifest, encoding="utf-8")
    result = subprocess.run([require_tool("gator"), "test", "-o", "json", "-f", str(file)],
                            capture_output=True, text=True, timeout=60, check=False)
    [item] = json.loads(result.stdout)
    theirs = json.loads(item["msg"])
    docs = documents.load_yaml(manifest)
    obj = docs[2].data
    ours = {"parameters": {"a": 1}, "review": kubernetes.review(obj, None)}
    # gator leaves the operation empty (it audits); a CI check stands for admitting a new object.
    assert theirs["review"].pop("operation") == ""
    assert ours["review"].pop("operation") == "CREATE"
    assert ours == theirs


def test_engine_agrees_with_gator_on_the_whole_library_at_once() -> None:
    """Every template, every valid sample constraint, every sample object of the library: one run each."""
    args = [require_tool("gator"), "test", "-o", "json"]
    templates = {}
    constraints: list[Any] = []
    items: list[KubeObject] = []
    for folder in FOLDERS:
        [template] = load_templates(folder / "template.yaml", shown="template.yaml")
        templates[template.kind] = template
        paths, objects = _files(folder)
        args += ["-f", str(folder / "template.yaml")]
        for path in paths:
            args += ["-f", str(path)]
            [doc] = documents.load_yaml(path.read_text(encoding="utf-8"))
            constraints.append(read_constraint(doc.data, path=str(path), line=doc.line))
        for path in objects:
            args += ["-f", str(path)]
            items += [KubeObject(obj=d.data, path=str(path), line=d.line)
                      for d in documents.load_yaml(path.read_text(encoding="utf-8"))
                      if documents.is_kubernetes_object(d.data)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode in (0, 1), result.stderr
    theirs: Counter[Verdict] = Counter()
    for item in json.loads(result.stdout):
        obj = item["violatingObject"]
        md = obj.get("metadata", {})
        theirs[(f"{item['constraint']['kind']}/{item['constraint']['metadata']['name']}", obj["kind"],
                md.get("namespace", ""), md.get("name", ""), item["msg"], item["enforcementAction"])] += 1
    found, _ = kubernetes.check(templates, constraints, items)
    ours: Counter[Verdict] = Counter(
        (v.constraint, v.resource.kind, v.resource.namespace, v.resource.name, v.message, v.enforcement)
        for v in found
    )
    assert sum(theirs.values()) > 200, "the cross product should find plenty"
    assert ours == theirs, (sorted(theirs - ours)[:20], sorted(ours - theirs)[:20])
