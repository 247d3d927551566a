"""Policy sets, the caller's parameters and enforcement ceiling, and Gatekeeper's template checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from idp_actions.policy import gatekeeper
from idp_actions.policy.gatekeeper import PolicyError, read_template
from idp_actions.policy.library import Library
from idp_actions.policy.sets import cap, select
from tests.conftest import ROOT

LIBRARY = Library(root=ROOT, base=ROOT)


def by_name(selection: Any) -> dict[str, Any]:
    return {c.name: c for c in selection.constraints}


def test_unknown_set_lists_the_valid_ones() -> None:
    with pytest.raises(PolicyError) as caught:
        select(LIBRARY, ["prod"])
    assert "unknown policy set `prod`; valid sets: baseline, production" in str(caught.value)
    assert caught.value.exit_code == 2


def test_baseline_applies_every_kubernetes_policy_and_production_tightens_it() -> None:
    baseline = select(LIBRARY, ["baseline"])
    assert len(baseline.templates) == len(list((ROOT / "policies/kubernetes").glob("*/template.yaml")))
    assert by_name(baseline)["min-replicas"].enforcement == "warn"
    assert set(baseline.library_policies["terraform"]) == set(LIBRARY.conftest_names("terraform"))
    production = select(LIBRARY, ["production"])
    assert production.sets == ("baseline", "production")
    constraints = by_name(production)
    assert constraints["min-replicas"].enforcement == "deny"
    assert constraints["image-digests-production"].parameters["requireDigest"] is True
    assert len(production.constraints) == len(baseline.constraints) + 1


def test_caller_parameters_merge_in_and_are_validated() -> None:
    selection = select(LIBRARY, ["baseline"], parameters={"allowed-registries": {"registries": ["ghcr.io/acme"]},
                                                          "s3-versioning": {"exempt": ["aws_s3_bucket.tmp"]}})
    constraint = by_name(selection)["allowed-registries"]
    assert constraint.parameters == {"registries": ["ghcr.io/acme"]}
    assert constraint.manifest["spec"]["parameters"] == {"registries": ["ghcr.io/acme"]}
    assert selection.parameters["s3-versioning"] == {"exempt": ["aws_s3_bucket.tmp"]}
    with pytest.raises(PolicyError) as caught:
        select(LIBRARY, ["baseline"], parameters={"min-replicas": {"minReplicas": 0}})
    assert "constraint IdpMinReplicas/min-replicas: spec.parameters.minReplicas: 0 is less than the minimum of 1" in (
        str(caught.value)
    )
    with pytest.raises(PolicyError) as caught:
        select(LIBRARY, ["baseline"], parameters={"probes": {"probe": ["livenessProbe"]}})
    assert "unknown fields: spec.parameters.probe" in str(caught.value)


def test_enforcement_is_a_ceiling() -> None:
    assert [cap("deny", "warn"), cap("warn", "deny"), cap("deny", "dryrun"), cap("dryrun", "warn")] == [
        "warn", "warn", "dryrun", "dryrun"]
    selection = select(LIBRARY, ["production"], enforcement="dryrun")
    assert {c.enforcement for c in selection.constraints} == {"dryrun"}
    assert set(selection.ceilings.values()) == {"dryrun"}


def test_sets_that_extend_each_other_in_a_cycle_are_refused(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policy-sets").mkdir()
    for name, parent in (("a", "b"), ("b", "a")):
        (tmp_path / "policy-sets" / f"{name}.yaml").write_text(
            f"apiVersion: idp-actions.dev/v1alpha1\nkind: PolicySet\nmetadata: {{name: {name}}}\n"
            f"spec: {{extends: [{parent}]}}\n",
            encoding="utf-8",
        )
    with pytest.raises(PolicyError, match="cycle: a -> b -> a"):
        select(Library(root=tmp_path, base=tmp_path), ["a"])


TEMPLATE = """\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: k8sx}
spec:
  crd: {spec: {names: {kind: K8sX}}}
  targets:
    - target: admission.k8s.gatekeeper.sh
      code:
        - engine: Rego
          source:
            version: v1
            rego: |
              package k8sx

              violation contains {"msg": "x"} if input.review.object
            libs:
              - |
                package lib.x

                y := 1
"""


def template(text: str) -> gatekeeper.Template:
    node = yaml.compose(text)
    return read_template(yaml.safe_load(text), path="t.yaml", line=1, node=node)


def test_template_rego_lines_map_to_the_yaml_file() -> None:
    read = template(TEMPLATE)
    assert (read.rego.first_line, read.libs[0].first_line, read.rego.version) == (13, 18, 1)
    [(_, main), (_, lib)] = read.modules()
    assert main.startswith("package idp_gk.t_k8sx\n")
    assert lib.startswith("package idp_gk.l_k8sx.lib.x\n")


@pytest.mark.parametrize(
    ("change", "problem", "line"),
    [
        (("package lib.x", "package helpers"), "library package helpers must be under `lib`", 18),
        (('violation contains {"msg": "x"}', 'deny contains {"msg": "x"}'), "defines no `violation` rule", 13),
        (("if input.review.object", "if data.secrets.token"), "reads data.secrets", 15),
        (("metadata: {name: k8sx}", "metadata: {name: other}"), "metadata.name must be the kind in lower case", 1),
    ],
)
def test_templates_gatekeeper_refuses_are_refused(change: tuple[str, str], problem: str, line: int) -> None:
    with pytest.raises(PolicyError) as caught:
        template(TEMPLATE.replace(*change))
    assert problem in str(caught.value)
    assert caught.value.line == line
