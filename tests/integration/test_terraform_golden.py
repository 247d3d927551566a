"""The plan JSON files behind the unit tier's golden comments are what real tofu prints today.

tests/unit/golden/terraform/<case>.plan.json were made by real tofu from
tests/integration/fixtures/terraform/cases/<case>/ (before.tf applied, then main.tf
planned). This test plans each case again and checks the shape — which resources
change how, moves, imports, outputs — still matches, so a tofu upgrade that
changes its JSON shows up here, not in production. ``IDP_UPDATE_GOLDEN=1``
rewrites the stored files (then review the diff and the unit tier's comments).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.integration.fixtures.terraform.tofu import CASES, build_case, plan_json, tofu_env

GOLDEN = Path(__file__).resolve().parents[1] / "unit" / "golden" / "terraform"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir())


def marks(value: Any) -> Any:
    """Which attributes are marked sensitive (the names; the value shapes may vary)."""
    return sorted(value) if isinstance(value, dict) else value


def shape(plan: dict[str, Any]) -> dict[str, Any]:
    """What must stay the same between two plans of a case (IDs and timestamps may not)."""
    return {
        "resource_changes": sorted(
            (
                rc["address"],
                rc["change"]["actions"],
                rc.get("previous_address"),
                (rc["change"].get("importing") or {}).get("id"),
                rc.get("action_reason"),
                marks(rc["change"].get("after_sensitive")),
            )
            for rc in plan.get("resource_changes") or []
        ),
        "output_changes": {k: v["actions"] for k, v in (plan.get("output_changes") or {}).items()},
        "variables": sorted(plan.get("variables") or {}),
    }


@pytest.mark.parametrize("case", CASE_NAMES)
def test_golden_plan_inputs_match_real_tofu(case: str, tmp_path: Path) -> None:
    env = tofu_env(tmp_path / "home")
    directory = build_case(case, tmp_path / "root", env)
    fresh = plan_json(directory, env, *(["-destroy"] if case == "destroy" else []))
    stored_path = GOLDEN / f"{case}.plan.json"
    if os.environ.get("IDP_UPDATE_GOLDEN") or not stored_path.exists():
        stored_path.parent.mkdir(parents=True, exist_ok=True)
        stored_path.write_text(json.dumps(fresh, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    stored = json.loads(stored_path.read_text(encoding="utf-8"))
    assert shape(fresh) == shape(stored), f"tofu's plan of {case} changed shape; IDP_UPDATE_GOLDEN=1 to accept"
