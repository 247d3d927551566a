"""Commit messages carry structured trailers that read back; the PR body and pipeline picture."""

from __future__ import annotations

from idp_actions.gitops.digest import Digest
from idp_actions.gitops.message import (
    Change,
    Stage,
    commit_message,
    parse_trailers,
    pipeline_mermaid,
    pr_body,
    title,
)

OLD = Digest("sha256:" + "a" * 64)
NEW = Digest("sha256:" + "b" * 64)
CHANGE = Change(
    service="payments",
    environment="prod",
    digest=NEW,
    previous=OLD,
    path="apps/payments/overlays/prod/kustomization.yaml",
    source_run="https://github.com/acme/payments/actions/runs/42",
    source_sha="c" * 40,
    force_reason="hotfix for INC-7\nstaging is down",
)


def test_commit_message_has_a_subject_body_and_trailers_that_parse_back() -> None:
    message = commit_message(CHANGE)

    assert message.splitlines()[0] == "promote(payments): prod to sha256:bbbbbbbbbbbb"
    trailers = parse_trailers(message)
    assert trailers == {
        "Idp-Service": "payments",
        "Idp-Environment": "prod",
        "Idp-Digest": str(NEW),
        "Idp-Previous-Digest": str(OLD),
        "Idp-Source-Run": "https://github.com/acme/payments/actions/runs/42",
        "Idp-Source-Commit": "c" * 40,
        "Idp-Force-Reason": "hotfix for INC-7 staging is down",
    }


def test_rollback_messages_say_so_and_why() -> None:
    change = Change(
        service="payments",
        environment="dev",
        digest=OLD,
        previous=NEW,
        path="x",
        rollback_of=NEW,
        rollback_reason="Argo CD reported Degraded",
    )
    message = commit_message(change)
    assert title(change) == "rollback(payments): dev to sha256:aaaaaaaaaaaa"
    assert parse_trailers(message)["Idp-Rollback-Of"] == str(NEW)
    assert "Why: Argo CD reported Degraded" in message


def test_messages_without_a_trailer_paragraph_have_no_trailers() -> None:
    assert parse_trailers("just a subject") == {}
    assert parse_trailers("subject\n\nbody text that is prose.\n") == {}


def test_pipeline_is_a_mermaid_flowchart_with_digest_and_health() -> None:
    chart = pipeline_mermaid(
        [Stage(name="dev", digest=NEW, sync="Synced", health="Healthy"), Stage(name="prod", digest=None)],
        highlight="prod",
    )
    assert chart.splitlines() == [
        "```mermaid",
        "flowchart LR",
        '  e0["dev<br/>sha256:bbbbbbbbbbbb<br/>Synced / Healthy"]',
        '  e1["prod<br/>no digest yet"]',
        "  e0 --> e1",
        "  style e0 stroke:#2da44e",
        "  style e1 stroke:#6e7781,stroke-width:3px",
        "```",
    ]


def test_pr_body_shows_what_changes_the_checks_the_diff_and_links() -> None:
    body = pr_body(
        CHANGE,
        diff="-    digest: a\n+    digest: b\n```\n",
        stages=[Stage(name="staging", digest=NEW, health="Healthy"), Stage(name="prod", digest=OLD)],
        checks={"staging": "runs this digest, Synced and Healthy"},
        links={"workflow run": "https://github.com/acme/payments/actions/runs/42"},
    )
    assert "| new digest | `" + str(NEW) + "` |" in body
    assert "| order overridden | hotfix for INC-7 staging is down |" in body
    assert "- **staging**: runs this digest, Synced and Healthy" in body
    assert "````diff\n-    digest: a\n+    digest: b\n```\n````" in body  # a fence in the diff cannot end the block
    assert "- [workflow run](https://github.com/acme/payments/actions/runs/42)" in body
