"""The GitOps registration of a new service: where its files go, what its Argo CD Applications say."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from idp_actions.config import parse_config
from idp_actions.scaffold.manifest import find_template
from idp_actions.scaffold.registration import RegistrationError, Settings, registration
from idp_actions.scaffold.render import render
from tests.conftest import ROOT
from tests.unit.test_scaffold_render import answers_for

TEMPLATES = ROOT / "templates"
URL = "https://github.com/acme/gitops.git"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("svc") / "payments-api"
    render(find_template("python-service", TEMPLATES), answers_for("python-service"), out)
    return out


def settings(config: str) -> Settings:
    return Settings.from_config(parse_config("version: 1\n" + config).as_dict(), URL)


def test_default_layout_is_where_promote_looks(service: Path) -> None:
    made = registration(service, find_template("python-service", TEMPLATES), "payments-api", settings(""))
    assert dict(made.overlays) == {env: f"apps/payments-api/overlays/{env}" for env in ("dev", "staging", "prod")}
    assert "apps/payments-api/base/kustomization.yaml" in made.files
    docs = list(yaml.safe_load_all(made.files["argocd/payments-api.yaml"]))
    assert [d["metadata"]["name"] for d in docs] == ["payments-api-dev", "payments-api-staging", "payments-api-prod"]
    assert {d["spec"]["source"]["repoURL"] for d in docs} == {URL}
    assert docs[0]["spec"]["destination"] == {"server": "https://kubernetes.default.svc",
                                              "namespace": "dev-payments-api"}
    assert docs[0]["spec"]["syncPolicy"]["syncOptions"] == ["CreateNamespace=true"]


def test_the_platforms_settings_shape_the_registration(service: Path) -> None:
    config = (
        "gitops:\n  path: clusters/{environment}/{service}\n  branch: live\n  environments:\n"
        "    - {name: dev, argocd-app: 'dev-{service}'}\n    - {name: prod, argocd-app: '{service}.prod'}\n"
        "scaffold:\n  argocd-path: argocd/apps/{service}.yml\n  argocd-project: payments\n"
    )
    made = registration(service, find_template("python-service", TEMPLATES), "payments-api", settings(config))
    assert made.overlays == {"dev": "clusters/dev/payments-api", "prod": "clusters/prod/payments-api"}
    # the overlays' `../../base` decides where the base goes
    assert "clusters/base/kustomization.yaml" in made.files
    docs = list(yaml.safe_load_all(made.files["argocd/apps/payments-api.yml"]))
    assert [d["metadata"]["name"] for d in docs] == ["dev-payments-api", "payments-api.prod"]
    assert {d["spec"]["project"] for d in docs} == {"payments"}
    assert {d["spec"]["source"]["targetRevision"] for d in docs} == {"live"}


def test_an_environment_without_an_overlay_is_refused(service: Path) -> None:
    config = "gitops:\n  environments:\n    - {name: dev}\n    - {name: qa, requires: [dev]}\n"
    with pytest.raises(RegistrationError, match="promotes to qa, but template python-service has no overlay"):
        registration(service, find_template("python-service", TEMPLATES), "payments-api", settings(config))


def test_paths_cannot_leave_the_gitops_repository(service: Path) -> None:
    escape = Settings(repository_url=URL, argocd_path="../../{service}.yaml")
    with pytest.raises(RegistrationError, match="outside the GitOps repository"):
        registration(service, find_template("python-service", TEMPLATES), "payments-api", escape)
    shallow = Settings(repository_url=URL, path="{environment}")
    with pytest.raises(RegistrationError, match="outside the GitOps repository"):
        registration(service, find_template("python-service", TEMPLATES), "payments-api", shallow)


def test_a_library_template_is_not_registered(tmp_path: Path) -> None:
    manifest = find_template("terraform-module", TEMPLATES)
    with pytest.raises(RegistrationError, match="no deployable service"):
        registration(tmp_path, manifest, "terraform-aws-x", settings(""))
