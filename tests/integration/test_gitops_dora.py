"""`idp dora` over deployments that real promotions recorded in the fake GitHub."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from idp_actions import cli
from idp_actions.gitops import argocd as argocd_module
from idp_actions.gitops import promotion as promotion_module
from idp_actions.gitops.backoff import Backoff
from tests.fakes.promotion_world import SERVICE_REPO, PromotionWorld, digest
from tests.integration.conftest import FAST_RETRY


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PromotionWorld]:
    import idp_actions.github as github_module

    monkeypatch.setattr(github_module, "make_github", functools.partial(github_module.make_github, retry=FAST_RETRY))
    monkeypatch.setattr(promotion_module, "PUSH_BACKOFF", Backoff(attempts=5, base=0.01, cap=0.05))
    monkeypatch.setattr(argocd_module, "API_BACKOFF", Backoff(attempts=3, base=0.01, cap=0.02))
    with PromotionWorld(tmp_path, rollback="auto") as w:
        monkeypatch.chdir(w.service_dir)
        for key, value in w.env().items():
            monkeypatch.setenv(key, value)
        yield w


def test_metrics_from_promotions_a_failure_and_its_automatic_rollback(
    world: PromotionWorld, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    world.argocd.behaviour[digest(3)] = "degraded"
    poll = ["--poll-interval", "0.005"]
    assert cli.main(["promote", "--service", "payments", "--to", "dev", "--digest", digest(2), *poll]) == 0
    assert cli.main(["promote", "--service", "payments", "--to", "dev", "--digest", digest(3), *poll]) == 1
    capsys.readouterr()

    assert cli.main(["dora", "--env", "dev", "--days", "7"]) == 0
    data = json.loads(capsys.readouterr().out)

    assert data["repository"] == SERVICE_REPO and data["environment"] == "dev"
    assert data["deployments"] == {"total": 3, "successful": 2, "failed": 1, "rollbacks": 1}
    assert data["change_failure_rate"] == 0.5
    assert data["lead_time_for_changes_seconds"]["count"] == 1
    assert data["time_to_restore_seconds"]["count"] == 1

    out = tmp_path / "metrics" / "dora.prom"
    assert cli.main(["dora", "--env", "dev", "--days", "7", "--format", "prometheus", "--output", str(out)]) == 0
    text = out.read_text()
    assert "# TYPE idp_dora_change_failure_rate gauge" in text
    assert 'idp_dora_change_failure_rate{repository="acme/payments",environment="dev",window_days="7"} 0.5' in text


def test_bad_window_is_refused(world: PromotionWorld, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["dora", "--days", "0"]) == 1
    assert "--days must be more than 0" in capsys.readouterr().err
