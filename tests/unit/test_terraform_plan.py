"""Summarising and hashing plans (pure; inputs are real tofu plans stored under golden/terraform/)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from idp_actions.terraform import plan
from idp_actions.terraform.plan import SENSITIVE, UNKNOWN

GOLDEN = Path(__file__).resolve().parent / "golden" / "terraform"
SECRETS = ("first-secret", "second-secret", "hunter2", "correct-horse-battery-staple")


def load(case: str) -> dict[str, Any]:
    return plan.load((GOLDEN / f"{case}.plan.json").read_text(encoding="utf-8"))


def test_summary_counts_every_kind_of_change() -> None:
    summary = plan.summarise(load("mixed"))
    assert summary.tool_version == "1.12.6-dev"
    assert summary.count("create") == 1
    assert summary.count("update") == 2  # a, and the imported object's update
    assert summary.count("replace") == 1
    assert summary.count("delete") == 1
    assert summary.count("forget") == 1
    assert summary.count("moved") == 1
    assert summary.count("imported") == 1
    assert summary.headline() == (
        "1 to add, 2 to change, 1 to destroy, 1 to replace, 1 to import, 1 moved, 1 to forget"
    )
    assert [c.address for c in summary.by_action("replace")] == ["terraform_data.renamed"]
    renamed = summary.by_action("replace")[0]
    assert renamed.previous_address == "terraform_data.b"
    assert renamed.reason == "replace_because_cannot_update"
    assert any(a.forces_replacement and a.name == "triggers_replace" for a in renamed.attributes)
    assert [c.import_id for c in summary.imported] == ["existing-object"]
    assert {o.name: o.action for o in summary.outputs} == {"greeting": "create", "name": "update", "secret": "update"}
    assert summary.has_changes


def test_no_changes_plan_has_none() -> None:
    summary = plan.summarise(load("no-changes"))
    assert not summary.has_changes
    assert summary.changes == () and summary.outputs == ()
    assert summary.headline() == "0 to add, 0 to change, 0 to destroy, 0 to replace"


def test_destroy_plan_counts_deletes() -> None:
    summary = plan.summarise(load("destroy"))
    assert summary.count("delete") == 4
    assert {o.action for o in summary.outputs} == {"delete"}
    assert all(o.after == "null" for o in summary.outputs)


@pytest.mark.parametrize("case", ["mixed", "sensitive", "destroy", "no-changes"])
def test_sensitive_values_never_appear_in_a_summary(case: str) -> None:
    summary = plan.summarise(load(case))
    text = json.dumps(plan.summary_to_json(summary), ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text


def test_partly_sensitive_attribute_is_hidden_whole() -> None:
    summary = plan.summarise(load("sensitive"))
    (change,) = summary.changes
    shown = {a.name: (a.before, a.after) for a in change.attributes}
    # port changed too, but it sits beside the password; `output` echoes the input without a
    # sensitive mark (tofu's own text prints the password there): hidden because it holds a secret
    assert shown == {"input": (SENSITIVE, SENSITIVE), "output": (SENSITIVE, UNKNOWN)}


def test_redact_removes_secrets_from_the_tools_own_text() -> None:
    data = load("sensitive")
    text = 'output = {\n  - password = "hunter2"\n  - note = "say \\"correct-horse-battery-staple\\""\n}'
    redacted = plan.redact(text, plan.secrets(data))
    assert "hunter2" not in redacted and "correct-horse" not in redacted
    assert redacted.count(SENSITIVE) == 2
    assert plan.secrets(load("no-changes")) >= {"first-secret"}  # a sensitive variable's value


def test_sensitive_output_is_masked_and_unknown_is_said() -> None:
    summary = plan.summarise(load("mixed"))
    outputs = {o.name: o for o in summary.outputs}
    assert outputs["secret"].sensitive and outputs["secret"].before == SENSITIVE
    assert outputs["name"].after == UNKNOWN
    assert outputs["greeting"].after == '"new output"'


def test_multibyte_values_are_shown_as_written() -> None:
    summary = plan.summarise(load("mixed"))
    update = next(c for c in summary.changes if c.address == "terraform_data.a")
    assert any(a.after == '"hello, wörld"' for a in update.attributes)


def test_summary_round_trips_through_json() -> None:
    summary = plan.summarise(load("mixed"))
    assert plan.summary_from_json(json.loads(json.dumps(plan.summary_to_json(summary)))) == summary
    with pytest.raises(ValueError):
        plan.summary_from_json({"changes": [{"nonsense": 1}]})


# ------------------------------------------------------------------- hashes


def test_hash_ignores_order_timestamps_versions_and_no_ops() -> None:
    original = load("mixed")
    shuffled = copy.deepcopy(original)
    random.Random(7).shuffle(shuffled["resource_changes"])
    shuffled["timestamp"] = "2000-01-01T00:00:00Z"
    shuffled["terraform_version"] = "9.9.9"
    shuffled["prior_state"] = {}
    shuffled["resource_drift"] = [{"address": "x", "change": {"actions": ["update"]}}]
    shuffled["resource_changes"].append(
        {"address": "terraform_data.extra", "change": {"actions": ["no-op"], "before": {}, "after": {}}}
    )
    assert plan.plan_hash(shuffled) == plan.plan_hash(original)
    assert plan.plan_hash(original).startswith("sha256:") and len(plan.plan_hash(original)) == 71


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p["resource_changes"][0]["change"].__setitem__("actions", ["delete"]),
        lambda p: p["resource_changes"][0]["change"]["after"].__setitem__("input", "changed"),
        lambda p: p["resource_changes"].pop(),
        lambda p: p["output_changes"]["greeting"].__setitem__("after", "other"),
        lambda p: p["resource_changes"][0].__setitem__("previous_address", "terraform_data.old"),
    ],
    ids=["action", "value", "fewer-changes", "output", "move"],
)
def test_hash_changes_with_what_would_be_applied(mutate: Any) -> None:
    original = load("mixed")
    changed = copy.deepcopy(original)
    mutate(changed)
    assert plan.plan_hash(changed) != plan.plan_hash(original)


def test_sensitive_values_enter_the_hash_only_with_a_key() -> None:
    first = load("sensitive")
    second = copy.deepcopy(first)
    second["resource_changes"][0]["change"]["after"]["input"]["password"] = "something-else"
    # without a key a secret cannot be brute-forced from the published hash, so it is not in it
    assert plan.plan_hash(first) == plan.plan_hash(second)
    # with the key (a repository secret) a changed secret changes the hash
    assert plan.plan_hash(first, key=b"k") != plan.plan_hash(second, key=b"k")
    assert plan.plan_hash(first, key=b"k") != plan.plan_hash(first, key=b"other")
    assert "hunter2" not in plan.canonical(plan.normalise(first)).decode()


def test_variables_hash_masks_sensitive_variables() -> None:
    first = load("mixed")
    second = copy.deepcopy(first)
    second["variables"]["secret"]["value"] = "third-secret"
    assert plan.variables_hash(first) == plan.variables_hash(second)
    assert plan.variables_hash(first, key=b"k") != plan.variables_hash(second, key=b"k")
    second["variables"]["name"]["value"] = "other"
    assert plan.variables_hash(first) != plan.variables_hash(second)


def test_multibyte_hash_is_over_utf8_and_stable() -> None:
    data = load("mixed")
    encoded = plan.canonical(plan.normalise(data))
    assert "日本語のテキスト".encode() in encoded
    assert plan.plan_hash(json.loads(json.dumps(data, ensure_ascii=True))) == plan.plan_hash(data)


def test_load_refuses_what_is_not_a_plan() -> None:
    with pytest.raises(ValueError, match="format_version"):
        plan.load("{}")
    with pytest.raises(ValueError):
        plan.load("not json")


def test_action_words() -> None:
    assert plan.action_of(["create", "delete"]) == "replace"
    assert plan.action_of(["delete", "create"]) == "replace"
    assert plan.action_of(["no-op"]) == "no-op"
    assert plan.action_of([]) == "no-op"
    assert plan.show_value("x" * 100).endswith("…") and len(plan.show_value("x" * 100)) == 60
