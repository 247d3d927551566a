"""Every action's and reusable workflow's reference docs are generated from its metadata."""

from __future__ import annotations

import subprocess
import sys

import yaml

from tests.conftest import ROOT


def test_generated_reference_docs_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen-docs"), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_every_action_input_and_output_is_documented_and_described() -> None:
    for action in [ROOT / "action.yml", *sorted((ROOT / "actions").glob("*/action.yml"))]:
        meta = yaml.safe_load(action.read_text(encoding="utf-8"))
        doc = ROOT / "docs" / "action.md" if action.parent == ROOT else action.parent / "README.md"
        text = doc.read_text(encoding="utf-8")
        for kind in ("inputs", "outputs"):
            for name, spec in (meta.get(kind) or {}).items():
                assert spec.get("description"), f"{action}: {kind[:-1]} `{name}` has no description"
                assert f"`{name}`" in text, f"{doc}: {kind[:-1]} `{name}` is not documented"
                if kind == "inputs":
                    assert name == name.lower() and "_" not in name, f"{action}: input `{name}` is not kebab-case"
