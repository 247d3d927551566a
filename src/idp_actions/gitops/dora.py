"""DORA's four key metrics from GitHub deployments, as JSON or Prometheus text exposition.

Pure: :func:`compute` takes the deployments of one environment (with their
statuses) and the commit time of each deployed commit, and a time window:

- **deployment frequency**: successful deployments per day in the window;
- **lead time for changes**: from the deployed commit to the deployment's first
  ``success`` (rollbacks are not changes and are left out);
- **change failure rate**: changes that failed (ended ``failure``/``error``) or were
  later rolled back, over all changes that finished in the window;
- **time to restore**: from a failure to the next successful deployment of the
  environment (an automatic rollback counts: it restores service).

Times are medians, with the 90th percentile beside them. Windows with no data
give ``null`` in JSON and no sample in the exposition (Prometheus has no "absent").
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from idp_actions.gitops.deployments import DeploymentRecord

FAILED = ("failure", "error")


@dataclass(frozen=True, kw_only=True)
class Summary:
    """Median and 90th percentile of a list of durations (seconds); None without data."""

    median: float | None
    p90: float | None
    count: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        """The summary of ``values``."""
        if not values:
            return cls(median=None, p90=None, count=0)
        return cls(median=_quantile(values, 0.5), p90=_quantile(values, 0.9), count=len(values))


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True, kw_only=True)
class Metrics:
    """The four keys for one repository and environment over a window."""

    repository: str
    environment: str
    start: datetime
    end: datetime
    deployments: int
    successful: int
    failed: int
    rollbacks: int
    changes: int
    failed_changes: int
    lead_time: Summary
    time_to_restore: Summary
    weekly: tuple[tuple[str, int], ...]

    @property
    def days(self) -> float:
        """The window's length in days."""
        return (self.end - self.start).total_seconds() / 86400

    @property
    def frequency_per_day(self) -> float:
        """Successful deployments per day."""
        return self.successful / self.days if self.days > 0 else 0.0

    @property
    def change_failure_rate(self) -> float | None:
        """Failed changes over changes, or None without changes."""
        return self.failed_changes / self.changes if self.changes else None


def _final(record: DeploymentRecord) -> tuple[str, datetime] | None:
    """The deployment's outcome: its first success, else its first failure or error."""
    success = record.first("success")
    if success is not None:
        return "success", success
    failures = [when for state, when in record.statuses if state in FAILED]
    return ("failure", min(failures)) if failures else None


def compute(
    records: Iterable[DeploymentRecord],
    commit_times: Mapping[str, datetime],
    *,
    repository: str,
    environment: str,
    start: datetime,
    end: datetime,
) -> Metrics:
    """The metrics of ``records`` (one environment) whose outcome falls within ``[start, end)``."""
    ordered = sorted(records, key=lambda r: (r.created_at, r.id))
    outcomes = {r.id: _final(r) for r in ordered}
    rolled_back = {str(r.payload.get("rollback_of")) for r in ordered if r.payload.get("rollback_of")}
    in_window = [r for r in ordered if (o := outcomes[r.id]) is not None and start <= o[1] < end]

    successes = [r for r in in_window if outcomes[r.id][0] == "success"]  # type: ignore[index]
    failures = [r for r in in_window if outcomes[r.id][0] == "failure"]  # type: ignore[index]
    changes = [r for r in in_window if not r.payload.get("rollback_of")]
    failed_changes = [
        r
        for r in changes
        if outcomes[r.id][0] == "failure" or str(r.payload.get("digest")) in rolled_back  # type: ignore[index]
    ]

    lead: list[float] = []
    for record in successes:
        committed = commit_times.get(record.sha)
        if committed is not None and not record.payload.get("rollback_of"):
            lead.append(max(0.0, (outcomes[record.id][1] - committed).total_seconds()))  # type: ignore[index]

    restore: list[float] = []
    success_times = sorted(
        (outcome[1], r.id) for r in ordered if (outcome := outcomes[r.id]) is not None and outcome[0] == "success"
    )
    for record in changes:
        outcome = outcomes[record.id]
        if outcome is None:
            continue
        if outcome[0] == "failure":
            broke = outcome[1]
        elif str(record.payload.get("digest")) in rolled_back:
            broke = outcome[1]  # it went out, then had to be rolled back
        else:
            continue
        restored = next((t for t, other in success_times if t >= broke and other > record.id), None)
        if restored is not None:
            restore.append((restored - broke).total_seconds())

    return Metrics(
        repository=repository,
        environment=environment,
        start=start,
        end=end,
        deployments=len(in_window),
        successful=len(successes),
        failed=len(failures),
        rollbacks=sum(1 for r in in_window if r.payload.get("rollback_of")),
        changes=len(changes),
        failed_changes=len(failed_changes),
        lead_time=Summary.of(lead),
        time_to_restore=Summary.of(restore),
        weekly=_weekly(successes, outcomes, start, end),
    )


def _weekly(
    successes: Sequence[DeploymentRecord],
    outcomes: Mapping[int, tuple[str, datetime] | None],
    start: datetime,
    end: datetime,
) -> tuple[tuple[str, int], ...]:
    weeks: list[tuple[str, int]] = []
    cursor = start
    while cursor < end:
        upto = min(cursor + timedelta(days=7), end)
        count = sum(1 for r in successes if (o := outcomes[r.id]) is not None and cursor <= o[1] < upto)
        weeks.append((cursor.strftime("%m-%d"), count))
        cursor = upto
    return tuple(weeks)


def window(days: float, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """``(start, end)`` of the last ``days`` days up to ``now``."""
    end = (now or datetime.now(UTC)).astimezone(UTC)
    return end - timedelta(days=days), end


# ----------------------------------------------------------------- renderers


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_json(metrics: Metrics) -> str:
    """The metrics as a JSON document."""
    data = {
        "repository": metrics.repository,
        "environment": metrics.environment,
        "window": {"start": _iso(metrics.start), "end": _iso(metrics.end), "days": round(metrics.days, 3)},
        "deployments": {
            "total": metrics.deployments,
            "successful": metrics.successful,
            "failed": metrics.failed,
            "rollbacks": metrics.rollbacks,
        },
        "deployment_frequency_per_day": round(metrics.frequency_per_day, 4),
        "lead_time_for_changes_seconds": _summary(metrics.lead_time),
        "change_failure_rate": None if metrics.change_failure_rate is None else round(metrics.change_failure_rate, 4),
        "time_to_restore_seconds": _summary(metrics.time_to_restore),
        "weekly_deployments": [{"week_of": week, "count": count} for week, count in metrics.weekly],
    }
    return json.dumps(data, indent=2) + "\n"


def _summary(summary: Summary) -> dict[str, float | int | None]:
    return {"median": summary.median, "p90": summary.p90, "count": summary.count}


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(round(value, 6))


def to_prometheus(metrics: Metrics) -> str:
    """The metrics in Prometheus' text exposition format (version 0.0.4), as gauges."""
    base = (
        f'repository="{_label(metrics.repository)}",environment="{_label(metrics.environment)}",'
        f'window_days="{_number(round(metrics.days, 3))}"'
    )
    lines: list[str] = []

    def family(name: str, help_text: str, samples: Sequence[tuple[str, float | None]]) -> None:
        present = [(extra, value) for extra, value in samples if value is not None]
        if not present:
            return
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} gauge")
        for extra, value in present:
            assert value is not None
            lines.append(f"{name}{{{base}{extra}}} {_number(value)}")

    family(
        "idp_dora_deployment_frequency_per_day",
        "Successful deployments per day over the window.",
        [("", metrics.frequency_per_day)],
    )
    family(
        "idp_dora_deployments",
        "Deployments that finished in the window, by result.",
        [
            (',result="success"', metrics.successful),
            (',result="failure"', metrics.failed),
            (',result="rollback"', metrics.rollbacks),
        ],
    )
    family(
        "idp_dora_lead_time_for_changes_seconds",
        "Time from commit to successful deployment.",
        [
            (',quantile="0.5"', metrics.lead_time.median),
            (',quantile="0.9"', metrics.lead_time.p90),
        ],
    )
    family(
        "idp_dora_change_failure_rate",
        "Share of changes that failed or were rolled back (0 to 1).",
        [("", metrics.change_failure_rate)],
    )
    family(
        "idp_dora_time_to_restore_seconds",
        "Time from a failed change to the next successful deployment.",
        [
            (',quantile="0.5"', metrics.time_to_restore.median),
            (',quantile="0.9"', metrics.time_to_restore.p90),
        ],
    )
    return "\n".join(lines) + "\n"


def to_markdown(metrics: Metrics) -> str:
    """A step summary: the four keys in a table and weekly deployments as a Mermaid bar chart."""

    def duration(seconds: float | None) -> str:
        if seconds is None:
            return "no data"
        if seconds < 3600:
            return f"{seconds / 60:.0f} min"
        if seconds < 172800:
            return f"{seconds / 3600:.1f} h"
        return f"{seconds / 86400:.1f} days"

    rate = metrics.change_failure_rate
    lines = [
        f"## DORA metrics: `{metrics.repository}` in `{metrics.environment}` (last {metrics.days:.0f} days)",
        "",
        "| metric | value |",
        "|---|---|",
        f"| deployment frequency | {metrics.frequency_per_day:.2f} per day ({metrics.successful} successful) |",
        f"| lead time for changes | {duration(metrics.lead_time.median)} (p90 {duration(metrics.lead_time.p90)}) |",
        f"| change failure rate | {'no changes' if rate is None else f'{rate:.0%}'} "
        f"({metrics.failed_changes} of {metrics.changes}) |",
        f"| time to restore | {duration(metrics.time_to_restore.median)} |",
        "",
    ]
    if metrics.weekly:
        labels = ", ".join(f'"{week}"' for week, _ in metrics.weekly)
        values = ", ".join(str(count) for _, count in metrics.weekly)
        top = max(1, max(count for _, count in metrics.weekly))
        lines += [
            "```mermaid",
            "xychart-beta",
            '  title "Successful deployments per week"',
            f"  x-axis [{labels}]",
            f'  y-axis "deployments" 0 --> {top}',
            f"  bar [{values}]",
            "```",
            "",
        ]
    return "\n".join(lines)
