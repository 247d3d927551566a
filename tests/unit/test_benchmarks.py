"""The benchmark harness computes what it reports (benchmarks themselves are never timed tests)."""

from __future__ import annotations

import shutil
import statistics
from collections.abc import Sequence

import pytest
from benchmarks import Benchmark, measure, report
from benchmarks.__main__ import main

TRUE = shutil.which("true") or "/bin/true"


def test_true_against_true_gives_medians_and_ratio_of_the_samples() -> None:
    calls: list[str] = []
    fake_times = iter([5.0, 5.0, 1.0, 2.0, 3.0, 6.0, 2.0, 4.0])  # warm-up pair, then A B A B A B

    def runner(command: Sequence[str]) -> float:
        calls.append(command[-1])
        return next(fake_times)

    bench = Benchmark(
        name="t", description="true vs true", label_a="a", command_a=(TRUE, "a"), label_b="b", command_b=(TRUE, "b"),
        target_ms=2.5,
    )  # fmt: skip
    result = measure(bench, runs=3, runner=runner)
    assert calls == ["a", "b"] * 4  # one warm-up pair, then strictly alternating
    assert result.samples_a == (1.0, 3.0, 2.0)
    assert result.samples_b == (2.0, 6.0, 4.0)
    assert (result.median_a, result.median_b, result.ratio) == (2.0, 4.0, 0.5)
    assert result.target_met is True
    text = report(result)
    assert "median     2.0 ms" in text and "ratio    0.50" in text and "PASS" in text

    real = measure(bench, runs=3)  # the real commands, really run
    assert len(real.samples_a) == len(real.samples_b) == 3
    assert real.median_a == statistics.median(real.samples_a) > 0
    assert real.ratio == real.median_a / real.median_b


def test_list_names_the_cold_start_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    assert "cold-start: `idp --version`" in capsys.readouterr().out
