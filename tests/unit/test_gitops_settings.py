"""The gitops section of .github/idp.yaml as promotion reads it, defaults included."""

from __future__ import annotations

import pytest

from idp_actions.config import defaults, parse_config
from idp_actions.errors import ConfigError, UsageError
from idp_actions.gitops.settings import GitOpsSettings, check_service, require_repository

CONFIG = """\
version: 1
gitops:
  repository: acme/gitops
  layout: helm
  path: charts/{service}/values-{environment}.yaml
  image: ghcr.io/acme/{service}
  values-key: app.image.digest
  rollback: auto
  argocd:
    server: https://argocd.example.com
    wait-timeout: 900
  environments:
    - name: dev
      mode: direct
      argocd-app: "{service}-dev-eu"
    - name: prod-eu
      requires: [dev]
      url: https://{service}.example.com
"""


def test_every_field_is_read() -> None:
    s = GitOpsSettings.from_config(parse_config(CONFIG))
    assert (s.repository, s.branch, s.layout, s.rollback) == ("acme/gitops", "main", "helm", "auto")
    assert s.overlay_path("payments", "prod-eu") == "charts/payments/values-prod-eu.yaml"
    assert s.image_for("payments") == "ghcr.io/acme/payments" and s.values_key == "app.image.digest"
    assert (s.argocd_server, s.wait_timeout) == ("https://argocd.example.com", 900)
    dev, prod = s.environments
    assert dev.app_for("payments") == "payments-dev-eu" and dev.mode == "direct"
    assert prod.mode == "pull-request" and prod.requires == ("dev",)  # the schema's defaults
    assert prod.url_for("payments") == "https://payments.example.com" and dev.url_for("payments") is None
    assert s.service_root("payments") == "charts/payments" and s.services_prefix() == "charts"


def test_defaults_promote_dev_then_staging_then_prod_gated() -> None:
    s = GitOpsSettings.from_config(defaults())
    assert [(e.name, e.mode, e.requires) for e in s.environments] == [
        ("dev", "direct", ()), ("staging", "direct", ("dev",)), ("prod", "pull-request", ("staging",))
    ]
    assert s.overlay_path("payments", "dev") == "apps/payments/overlays/dev"
    assert s.service_root("payments") == "apps/payments" and s.rollback == "manual" and s.wait_timeout == 600
    with pytest.raises(ConfigError, match=r"`gitops.repository` is not set"):
        require_repository(s)


def test_unknown_environments_list_the_known_ones() -> None:
    with pytest.raises(UsageError, match="unknown environment `qa`; this repository promotes to: dev, staging, prod"):
        GitOpsSettings.from_config(defaults()).environment("qa")


@pytest.mark.parametrize("name", ["Payments", "-x", "a_b", "x" * 64, "../etc", ""])
def test_service_names_are_dns_labels(name: str) -> None:
    with pytest.raises(UsageError):
        check_service(name)


def test_new_config_keys_are_validated_by_the_schema() -> None:
    with pytest.raises(ConfigError, match=r"refusing|not allowed|not valid"):
        parse_config("version: 1\ngitops:\n  rollback: sometimes\n")
    with pytest.raises(ConfigError, match=r"must be at least|minimum|less than"):
        parse_config("version: 1\ngitops:\n  argocd:\n    wait-timeout: 1\n")
