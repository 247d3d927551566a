"""Terraform/OpenTofu benchmarks (registered in :func:`benchmarks.benchmarks`).

``terraform-summary``
    A: summary, hash, sticky comment and step summary of a generated plan JSON with
    10,000 resource changes (creates, updates with multibyte values, replaces,
    deletes, sensitive values), in a fresh process that also checks its own peak
    memory (exit 1 above 300 MB). B: the floor, ``json.load`` of the same file.
    Target: A's median ≤ 1.5 s.

``terraform-plan``
    A: ``idp terraform plan`` of a generated root with 6,000 ``terraform_data``
    resources (init, plan, show -json, summary, hash, comment, step summary; the
    policy check off, it is a separate product). B: raw ``tofu plan -out`` and
    ``tofu show -json`` of the same root, already initialised. Target: A/B ≤ 1.1
    (the harness prints the ratio; A's absolute target is generous).

Both build their inputs once, in a temporary directory removed at exit, with
``CHECKPOINT_DISABLE=1`` and a CLI configuration that installs no provider.

Run the A side by hand: ``python -m benchmarks.terraform summary PLAN.json``.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import Benchmark, _idp

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = 10_000
PLAN_RESOURCES = 6_000
MAX_PEAK_MB = 300
CLI_CONFIG = 'provider_installation {\n  direct {\n    exclude = ["*/*"]\n  }\n}\n'


def _workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="idp-bench-terraform-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def _tofu() -> str:
    found = os.environ.get("IDP_TOFU") or shutil.which("tofu") or str(ROOT / ".tools" / "bin" / "tofu")
    if not Path(found).is_file():
        raise SystemExit("benchmarks: no `tofu` (run scripts/setup)")
    return found


def _bytecode(directory: Path) -> None:
    """Compile idp's modules once into a cache of this run, as a real installation has them.

    A development shell may set PYTHONDONTWRITEBYTECODE (this one does): then every
    ``idp`` run would compile its sources again, tens of milliseconds no user pays.
    """
    cache = directory / "pycache"
    os.environ["PYTHONPYCACHEPREFIX"] = str(cache)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "idp_actions"), str(ROOT / "benchmarks")],
        check=True, env={**os.environ, "PYTHONPYCACHEPREFIX": str(cache)},
    )


def _quiet_tofu(directory: Path) -> None:
    rc = directory / "tofurc"
    rc.write_text(CLI_CONFIG, encoding="utf-8")
    os.environ["TF_CLI_CONFIG_FILE"] = str(rc)
    os.environ["CHECKPOINT_DISABLE"] = "1"


# --------------------------------------------------------------- plan JSON


def generated_plan(resources: int = RESOURCES) -> dict[str, Any]:
    """A plan in ``tofu show -json`` shape: every kind of change, multibyte values, some secrets."""
    changes = []
    actions = (["create"], ["update"], ["delete", "create"], ["delete"], ["no-op"])
    for index in range(resources):
        kind = actions[index % len(actions)]
        before = None if kind == ["create"] else {
            "id": f"id-{index}", "input": f"古い値 {index} " + "x" * 40, "triggers_replace": None,
            "output": f"古い値 {index}",
        }
        after = None if kind == ["delete"] else {
            "id": f"id-{index}", "input": f"新しい値 🚀 {index} " + "y" * 40,
            "triggers_replace": [f"secret-{index % 7}"] if index % 3 == 0 else None,
        }
        sensitive: Any = {"triggers_replace": [True]} if after and after["triggers_replace"] else {}
        changes.append({
            "address": f'module.fleet["ü-{index // 100}"].terraform_data.item[{index % 100}]',
            "module_address": f'module.fleet["ü-{index // 100}"]',
            "mode": "managed", "type": "terraform_data", "name": "item", "index": index % 100,
            "provider_name": "terraform.io/builtin/terraform",
            "change": {
                "actions": kind, "before": before, "after": after,
                "after_unknown": {"output": True} if after else {},
                "before_sensitive": {} if before else False, "after_sensitive": sensitive if after else False,
                **({"replace_paths": [["triggers_replace"]]} if kind == ["delete", "create"] else {}),
            },
            **({"action_reason": "replace_because_cannot_update"} if kind == ["delete", "create"] else {}),
        })
    return {
        "format_version": "1.2", "terraform_version": "1.12.6",
        "variables": {"region": {"value": "eu-central-1"}},
        "resource_changes": changes,
        "output_changes": {"count": {"actions": ["update"], "before": 1, "after": resources,
                                     "after_unknown": False, "before_sensitive": False, "after_sensitive": False}},
        "configuration": {"root_module": {}},
    }


def run_summary(path: Path) -> tuple[float, float, int]:
    """Summarise, hash and render the plan at ``path``: ``(seconds, peak MB, comment length)``."""
    from idp_actions.comment import github_length
    from idp_actions.terraform import plan, render
    from idp_actions.terraform.record import PlanRecord

    start = time.perf_counter()
    data = plan.load(path.read_bytes())
    summary = plan.summarise(data)
    record = PlanRecord(
        root="infra/fleet", workspace="default", plan_hash=plan.plan_hash(data), backend="sha256:0",
        variables=plan.variables_hash(data), tool="tofu 1.12.6", has_changes=summary.has_changes,
    )
    section = render.Section(record=record, summary=summary)
    body, _ = render.comment_body([section])
    render.step_summary(section, "")
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    return seconds, peak_mb, github_length(body)


def summary_benchmark() -> Benchmark:
    """Summary, hash and sticky comment of a 10,000-resource plan (peak memory checked) against json.load of it."""
    directory = _workdir()
    _bytecode(directory)
    path = directory / "plan.json"
    path.write_text(json.dumps(generated_plan(), ensure_ascii=False), encoding="utf-8")
    return Benchmark(
        name="terraform-summary",
        description=f"summary + hash + comment of a {RESOURCES:,}-resource plan (peak memory checked) "
        "against json.load of the same file",
        label_a="idp summary+comment",
        command_a=(sys.executable, "-m", "benchmarks.terraform", "summary", str(path)),
        label_b="json.load",
        command_b=(sys.executable, "-c", "import json, sys; json.load(open(sys.argv[1], 'rb'))", str(path)),
        target_ms=1500,
    )


# -------------------------------------------------------------------- plan


def plan_benchmark() -> Benchmark:
    """`idp terraform plan` of 6,000 resources against raw `tofu plan -out` + `tofu show -json` (ratio <= 1.1)."""
    directory = _workdir()
    _bytecode(directory)
    _quiet_tofu(directory)
    root = directory / "root"
    root.mkdir()
    (root / "main.tf").write_text(
        'terraform {\n  backend "local" {}\n}\n\n'
        f'resource "terraform_data" "item" {{\n  count = {PLAN_RESOURCES}\n  input = "item-${{count.index}}"\n}}\n',
        encoding="utf-8",
    )
    tofu = _tofu()
    subprocess.run([tofu, "init", "-input=false", "-no-color"], cwd=root, check=True, capture_output=True)
    raw = (
        f'"{tofu}" plan -input=false -no-color -lock-timeout=0s -out=raw.tfplan >/dev/null '
        f'&& "{tofu}" show -json raw.tfplan >/dev/null'
    )
    return Benchmark(
        name="terraform-plan",
        description=f"`idp terraform plan` of {PLAN_RESOURCES:,} resources against raw "
        "`tofu plan -out` + `tofu show -json` (target: ratio <= 1.1)",
        label_a="idp terraform plan",
        command_a=(_idp(), "terraform", "plan", "--root", ".", "--repo-root", str(root), "--policy", "off",
                   "--out-dir", str(directory / "idp-out")),
        label_b="tofu plan + show -json",
        command_b=("sh", "-c", f'cd "{root}" && {raw}'),
        target_ms=None,
    )


BENCHMARKS: dict[str, Callable[[], Benchmark]] = {
    "terraform-summary": summary_benchmark,
    "terraform-plan": plan_benchmark,
}


def main(argv: list[str]) -> int:
    """``summary PLAN.json``: run the A side of terraform-summary, print time and memory."""
    if len(argv) != 2 or argv[0] != "summary":
        print("usage: python -m benchmarks.terraform summary PLAN.json", file=sys.stderr)
        return 2
    seconds, peak_mb, length = run_summary(Path(argv[1]))
    print(f"summary+hash+comment: {seconds * 1000:.0f} ms, peak {peak_mb:.0f} MB, comment {length:,} chars")
    if peak_mb > MAX_PEAK_MB:
        print(f"peak memory {peak_mb:.0f} MB is over the {MAX_PEAK_MB} MB budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
