"""Golden files for what people read from a promotion: commit message, pull-request body, step summary.

Regenerate after an intended change with
``IDP_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_gitops_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from idp_actions.gitops.deployments import PullRef
from idp_actions.gitops.digest import Digest
from idp_actions.gitops.message import Change, Stage, commit_message, pr_body
from idp_actions.gitops.promotion import Result
from idp_actions.gitops.report import summary

GOLDEN = Path(__file__).parent / "golden" / "gitops"
OLD = Digest("sha256:" + "1a" * 32)
NEW = Digest("sha256:" + "2b" * 32)
CHANGE = Change(
    service="payments",
    environment="prod",
    digest=NEW,
    previous=OLD,
    path="apps/payments/overlays/prod/kustomization.yaml",
    source_run="https://github.com/acme/payments/actions/runs/42",
    source_sha="c0ffee" + "0" * 34,
)
STAGES = [
    Stage(name="dev", digest=NEW, sync="Synced", health="Healthy"),
    Stage(name="staging", digest=NEW, sync="Synced", health="Healthy"),
    Stage(name="prod", digest=NEW, sync="Synced", health="Healthy"),
]
DIFF = f"""\
--- a/apps/payments/overlays/prod/kustomization.yaml
+++ b/apps/payments/overlays/prod/kustomization.yaml
@@ -9,4 +9,4 @@ images:
   - name: ghcr.io/acme/payments
-    digest: {OLD}  # promoted by idp
+    digest: {NEW}  # promoted by idp
"""


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("IDP_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden file {name}: run with IDP_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_commit_message() -> None:
    check("commit-message.txt", commit_message(CHANGE))


def test_pull_request_body() -> None:
    check(
        "pull-request.md",
        pr_body(
            CHANGE,
            diff=DIFF,
            stages=STAGES,
            checks={"staging": f"runs {NEW.short}, Synced and Healthy"},
            links={
                "workflow run": "https://github.com/acme/payments/actions/runs/42",
                "Argo CD: payments-prod": "https://argocd.example.com/applications/payments-prod",
            },
        ),
    )


@pytest.mark.parametrize("rolled_back", [False, True], ids=["promoted", "rolled-back"])
def test_step_summary(rolled_back: bool) -> None:
    base = dict(service="payments", environment="dev", digest=NEW, previous=OLD, commit="d" * 40, deployment_id=1042,
                app_url="https://argocd.example.com/applications/payments-dev")
    if rolled_back:
        rollback = Result(status="promoted", reason="Synced and Healthy at eeeeeeeeeeee", **base | {"digest": OLD})  # type: ignore[arg-type]
        result = Result(status="rolled-back", reason='the Application is Degraded at dddddddddddd: Deployment "app" '
                        "exceeded its progress deadline", rollback=rollback, **base)  # type: ignore[arg-type]
    else:
        result = Result(status="promoted", reason="Synced and Healthy at dddddddddddd", checks={},
                        pull=None, **base)  # type: ignore[arg-type]
    stages = [Stage(name=s.name, digest=s.digest, sync=s.sync, health=s.health) for s in STAGES]
    check(f"summary-{'rolled-back' if rolled_back else 'promoted'}.md", summary(result, stages))


def test_pull_ref_is_plain_data() -> None:
    assert PullRef(number=7, url="https://x/7").number == 7
