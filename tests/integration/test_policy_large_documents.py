"""Large documents are evaluated on their own with the real `input`, with the same verdicts as the batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idp_actions.cli import main
from idp_actions.policy import conftest_style
from tests.conftest import ROOT, require_tool


def verdicts(capsys: pytest.CaptureFixture[str], target: Path) -> list[dict[str, object]]:
    main(["policy", "check", "--format", "json", str(target)])
    return json.loads(capsys.readouterr().out)["violations"]


def test_every_document_alone_gives_the_same_verdicts_as_the_batch(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    require_tool("opa")
    target = ROOT / "policies" / "terraform"
    batched = verdicts(capsys, target)
    assert len(batched) > 10
    monkeypatch.setattr(conftest_style, "LARGE_DOCUMENT", 0)  # every plan counts as large
    calls: list[object] = []
    real = conftest_style.evaluate

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("input_document") is not None)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(conftest_style, "evaluate", counting)
    alone = verdicts(capsys, target)
    assert all(calls) and len(calls) > 10, "each plan was evaluated with its own --input"
    key = lambda v: json.dumps(v, sort_keys=True)  # noqa: E731
    assert sorted(alone, key=key) == sorted(batched, key=key)
