"""DORA's four keys from deployment records, and their JSON and Prometheus renderings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from idp_actions.gitops.deployments import DeploymentRecord
from idp_actions.gitops.dora import compute, to_json, to_markdown, to_prometheus

END = datetime(2026, 6, 30, tzinfo=UTC)
START = END - timedelta(days=30)
D = {n: "sha256:" + f"{n:x}".rjust(4, "0") * 16 for n in range(1, 10)}


def record(
    id: int, day: float, sha: str, digest: int, statuses: list[tuple[str, float]], **payload: object
) -> DeploymentRecord:
    created = START + timedelta(days=day)
    return DeploymentRecord(
        id=id,
        environment="prod",
        sha=sha,
        ref=sha,
        created_at=created,
        payload={"digest": D[digest], **payload},
        statuses=tuple(
            sorted(((s, created + timedelta(minutes=m)) for s, m in statuses), key=lambda x: x[1], reverse=True)
        ),
    )


RECORDS = [
    record(1, 1, "c1", 1, [("in_progress", 0), ("success", 10), ("inactive", 3000)]),
    record(2, 5, "c2", 2, [("in_progress", 0), ("failure", 20)]),
    record(3, 5.1, "c1", 1, [("in_progress", 0), ("success", 5)], rollback_of=D[2]),
    record(4, 10, "c3", 3, [("in_progress", 0), ("success", 30)]),
    record(5, 12, "c4", 4, [("in_progress", 0), ("success", 15)]),
    record(6, 12.5, "c3", 3, [("in_progress", 0), ("success", 4)], rollback_of=D[4]),
    record(7, -3, "c0", 5, [("in_progress", 0), ("success", 10)]),  # before the window
    record(8, 20, "c5", 6, [("queued", 0)]),  # a pull request nobody merged yet
]
COMMITS = {f"c{i}": START + timedelta(days=d) for i, d in [(0, -4), (1, 0.5), (2, 4), (3, 9), (4, 11.5), (5, 19)]}


def metrics():  # type: ignore[no-untyped-def]
    return compute(RECORDS, COMMITS, repository="acme/payments", environment="prod", start=START, end=END)


def test_the_four_keys() -> None:
    m = metrics()
    assert (m.deployments, m.successful, m.failed, m.rollbacks) == (6, 5, 1, 2)
    assert m.frequency_per_day == 5 / 30
    # changes 1, 2, 4, 5; 2 failed, 5 was rolled back
    assert (m.changes, m.failed_changes, m.change_failure_rate) == (4, 2, 0.5)
    # lead times: c1 0.5 day + 10 min, c3 1 day + 30 min, c4 0.5 day + 15 min
    assert m.lead_time.count == 3 and m.lead_time.median == 12 * 3600 + 15 * 60
    # restore: failure of 2 (day 5 +20 min) -> rollback 3 (day 5.1 +5 min); 5 (day 12 +15 min) -> 6 (day 12.5 +4 min)
    first, second = 0.1 * 86400 + 5 * 60 - 20 * 60, 0.5 * 86400 + 4 * 60 - 15 * 60
    assert m.time_to_restore.count == 2 and m.time_to_restore.median == (first + second) / 2


def test_json_output() -> None:
    data = json.loads(to_json(metrics()))
    assert data["window"] == {"start": "2026-05-31T00:00:00Z", "end": "2026-06-30T00:00:00Z", "days": 30}
    assert data["deployments"] == {"total": 6, "successful": 5, "failed": 1, "rollbacks": 2}
    assert data["change_failure_rate"] == 0.5
    assert data["lead_time_for_changes_seconds"]["count"] == 3
    assert [w["count"] for w in data["weekly_deployments"]] == [2, 3, 0, 0, 0]


def test_prometheus_text_exposition() -> None:
    text = to_prometheus(metrics())
    labels = 'repository="acme/payments",environment="prod",window_days="30"'
    assert "# TYPE idp_dora_deployment_frequency_per_day gauge" in text
    assert f"idp_dora_deployment_frequency_per_day{{{labels}}} 0.166667" in text
    assert f'idp_dora_deployments{{{labels},result="failure"}} 1' in text
    assert f"idp_dora_change_failure_rate{{{labels}}} 0.5" in text
    assert f'idp_dora_lead_time_for_changes_seconds{{{labels},quantile="0.5"}} 44100' in text
    for line in text.splitlines():  # every line is a comment or `name{labels} value`
        assert line.startswith("# ") or line.split("} ")[1].replace(".", "", 1).isdigit()


def test_no_deployments_means_no_samples_rather_than_zeros() -> None:
    empty = compute([], {}, repository='we"ird\\repo', environment="prod", start=START, end=END)
    assert json.loads(to_json(empty))["change_failure_rate"] is None
    text = to_prometheus(empty)
    assert "idp_dora_change_failure_rate" not in text and "lead_time" not in text
    assert 'repository="we\\"ird\\\\repo"' in text  # label values are escaped


def test_markdown_has_a_table_and_a_weekly_chart() -> None:
    text = to_markdown(metrics())
    assert "| change failure rate | 50% (2 of 4) |" in text
    assert "xychart-beta" in text and "bar [2, 3, 0, 0, 0]" in text
