"""Comments, summaries and issues people read, compared with golden files (golden/terraform/*.md).

Regenerate after an intended change with ``IDP_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from idp_actions.comment import COMMENT_LIMIT, fit_body, github_length, marker
from idp_actions.terraform import plan, render
from idp_actions.terraform.record import PlanRecord, decode
from idp_actions.terraform.render import PolicyOutcome, Section

GOLDEN = Path(__file__).resolve().parent / "golden" / "terraform"
RUN_URL = "https://github.com/acme/infra/actions/runs/42"
SECRETS = ("first-secret", "second-secret", "hunter2", "correct-horse-battery-staple")


def load(case: str) -> dict[str, Any]:
    return plan.load((GOLDEN / f"{case}.plan.json").read_text(encoding="utf-8"))


def record_for(data: dict[str, Any], *, root: str = "infra/prod", destroy: bool = False) -> PlanRecord:
    summary = plan.summarise(data)
    return PlanRecord(
        root=root,
        workspace="default",
        plan_hash=plan.plan_hash(data),
        backend="sha256:" + "b" * 64,
        variables=plan.variables_hash(data),
        tool="tofu 1.12.6",
        has_changes=summary.has_changes,
        destroy=destroy,
        commit="0123456789abcdef0123456789abcdef01234567",
        run_id="42",
        run_url=RUN_URL,
        created_at="2025-01-02T03:04:05Z",
    )


def section(case: str, **kwargs: Any) -> Section:
    data = load(case)
    return Section(record=record_for(data, destroy=case == "destroy"), summary=plan.summarise(data), **kwargs)


def drift_plan() -> dict[str, Any]:
    """The mixed plan plus drift found while refreshing (terraform_data cannot drift by itself)."""
    data = copy.deepcopy(load("mixed"))
    changed = copy.deepcopy(next(rc for rc in data["resource_changes"] if rc["address"] == "terraform_data.a"))
    changed["change"]["before"]["input"] = "hello"
    changed["change"]["after"] = {**changed["change"]["before"], "input": "edited by hand"}
    changed["change"]["after_unknown"] = {}
    data["resource_drift"] = [changed]
    return data


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("IDP_UPDATE_GOLDEN") or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs; IDP_UPDATE_GOLDEN=1 to accept"


@pytest.mark.parametrize("case", ["mixed", "no-changes", "destroy", "sensitive"])
def test_comment_golden(case: str) -> None:
    body, cap = render.comment_body([section(case)], run_url=RUN_URL)
    assert cap is None
    assert_golden(f"{case}.comment.md", body)
    for secret in SECRETS:
        assert secret not in body


def test_drift_and_policy_golden() -> None:
    data = drift_plan()
    policy = PolicyOutcome(status="warn", report="WARN terraform_data.c: no owner tag")
    item = Section(record=record_for(data), summary=plan.summarise(data), policy=policy)
    body, _ = render.comment_body([item], run_url=RUN_URL)
    assert_golden("drift-policy.comment.md", body)
    assert "🌀 1 changed outside of OpenTofu" in body


def test_combined_comment_golden() -> None:
    items = [section("mixed"), Section(record=record_for(load("no-changes"), root="infra/dev"),
                                       summary=plan.summarise(load("no-changes")))]
    body, _ = render.comment_body(items, run_url=RUN_URL)
    assert_golden("combined.comment.md", body)
    assert [r.key for r in decode(body)] == ["infra/prod:default", "infra/dev:default"]


def test_step_summary_golden() -> None:
    text = 'OpenTofu will perform the following actions:\n  + resource "terraform_data" "c" {\n```\n'
    assert_golden("mixed.summary.md", render.step_summary(section("mixed"), text, run_url=RUN_URL))


def test_no_change_comment_says_so() -> None:
    body, _ = render.comment_body([section("no-changes")], run_url=RUN_URL)
    assert "✅ **No changes.**" in body
    assert "```mermaid" not in body  # no picture of nothing


def test_mermaid_picture_counts_actions_and_escapes_labels() -> None:
    item = section("mixed")
    odd = Section(record=PlanRecord(**{**item.record.to_json(), "root": 'we"ird<root>`'}), summary=item.summary)
    picture = render.mermaid([odd])
    assert picture.startswith("```mermaid\nflowchart LR\n")
    assert '["we#quot;ird#lt;root#gt;#96; · default"]' in picture
    for label in ("➕ 1 to add", "♻️ 1 to replace", "🗑️ 1 to destroy"):  # noqa: RUF001 (emoji on purpose)
        assert f'"{label}"' in picture


def test_records_survive_in_the_comment() -> None:
    item = section("mixed")
    body, _ = render.comment_body([item], run_url=RUN_URL)
    assert decode(body) == [item.record]
    assert decode(fit_body(body, marker("terraform-plan", "k"))) == [item.record]


def test_code_spans_and_fences_hold_backticks() -> None:
    assert render.code("a`b") == "``a`b``"
    assert render.code("`x`") == "`` `x` ``"
    assert render.fence_for("```\ninside\n```") == "````"


# ------------------------------------------------------------------ size


def big_plan(resources: int, *, value_chars: int = 150) -> dict[str, Any]:
    """A plan with ``resources`` updates whose values are multibyte text (and one 4-byte emoji each)."""
    changes = []
    for index in range(resources):
        text = ("変更内容🚀" * value_chars)[:value_chars]
        changes.append(
            {
                "address": f'module.fleet["ü-{index:05d}"].terraform_data.item',
                "mode": "managed",
                "type": "terraform_data",
                "name": "item",
                "provider_name": "terraform.io/builtin/terraform",
                "change": {
                    "actions": ["update"] if index % 3 else ["create"],
                    "before": None if index % 3 == 0 else {"input": f"old {index}", "id": f"id-{index}"},
                    "after": {"input": f"{text} {index}", "id": f"id-{index}"},
                    "after_unknown": {"output": True},
                    "before_sensitive": {} if index % 3 else False,
                    "after_sensitive": {},
                },
            }
        )
    return {"format_version": "1.2", "terraform_version": "1.12.6", "resource_changes": changes}


def test_a_plan_over_70000_characters_of_multibyte_changes_fits_and_its_hash_verifies() -> None:
    data = big_plan(600)
    full = render.section_markdown(
        Section(record=record_for(data), summary=plan.summarise(data)), cap=None
    )
    assert len(full) > 70_000
    item = Section(record=record_for(data), summary=plan.summarise(data))
    body, cap = render.comment_body([item], run_url=RUN_URL)
    assert cap is not None and cap < 600
    assert github_length(body) <= render.COMMENT_BUDGET
    final = fit_body(body, marker("terraform-plan", item.record.key))
    assert github_length(final) <= COMMENT_LIMIT
    assert final == marker("terraform-plan", item.record.key) + "\n" + body  # no hard cut was needed
    (found,) = decode(final)
    assert found.plan_hash == plan.plan_hash(data)
    assert "The full plan is in the step summary" in body
    assert "more: see the full plan in the step summary" in body


def test_ten_thousand_resources_fit_one_comment() -> None:
    data = big_plan(10_000, value_chars=20)
    item = Section(record=record_for(data), summary=plan.summarise(data))
    body, cap = render.comment_body([item], run_url=RUN_URL)
    assert github_length(body) <= render.COMMENT_BUDGET
    assert cap is not None
    assert "3334 to add, 6666 to change" in body
