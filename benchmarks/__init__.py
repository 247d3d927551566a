"""Performance harness: our command against a peer, measured alternately in the same run.

Each benchmark names a command A (ours) and a command B (a peer or a baseline).
They run alternately, A B A B …, so that drift in the machine's load affects both
alike; the report gives both medians, the ratio A/B and, where the benchmark has
one, an absolute target on A's median. ``python -m benchmarks --list`` shows them.

Benchmarks are never timed tests: they run by hand or in a dedicated CI job, and
their results are recorded in benchmarks/README.md with the command that made them.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class Benchmark:
    """Command A (ours) against command B (a peer), with an optional target for A's median."""

    name: str
    description: str
    label_a: str
    command_a: tuple[str, ...]
    label_b: str
    command_b: tuple[str, ...]
    target_ms: float | None = None


@dataclass(frozen=True, kw_only=True)
class Result:
    """Samples in milliseconds, in the order they were taken."""

    benchmark: Benchmark
    samples_a: tuple[float, ...]
    samples_b: tuple[float, ...]

    @property
    def median_a(self) -> float:
        return statistics.median(self.samples_a)

    @property
    def median_b(self) -> float:
        return statistics.median(self.samples_b)

    @property
    def ratio(self) -> float:
        """A's median over B's: below 1 means ours is faster."""
        return self.median_a / self.median_b

    @property
    def target_met(self) -> bool | None:
        """Whether A's median is within the target; None when the benchmark has none."""
        if self.benchmark.target_ms is None:
            return None
        return self.median_a <= self.benchmark.target_ms


Runner = Callable[[Sequence[str]], float]


def time_once(command: Sequence[str]) -> float:
    """Wall-clock milliseconds for one run of ``command``; output is discarded.

    ``subprocess`` is used directly (not idp_actions.proc) so that capturing and
    decoding output does not add to what is measured.
    """
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1000


def measure(benchmark: Benchmark, *, runs: int = 20, warmup: int = 1, runner: Runner = time_once) -> Result:
    """Run A and B alternately ``runs`` times each (after ``warmup`` untimed pairs)."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    for _ in range(warmup):
        runner(benchmark.command_a)
        runner(benchmark.command_b)
    samples_a: list[float] = []
    samples_b: list[float] = []
    for _ in range(runs):
        samples_a.append(runner(benchmark.command_a))
        samples_b.append(runner(benchmark.command_b))
    return Result(benchmark=benchmark, samples_a=tuple(samples_a), samples_b=tuple(samples_b))


def report(result: Result) -> str:
    """A plain-text report of ``result``."""
    bench = result.benchmark
    runs = len(result.samples_a)
    width = max(len(bench.label_a), len(bench.label_b))

    def line(tag: str, label: str, samples: tuple[float, ...]) -> str:
        median = statistics.median(samples)
        return (
            f"  {tag} {label.ljust(width)}  median {median:7.1f} ms  (min {min(samples):.1f}, max {max(samples):.1f})"
        )

    lines = [
        f"{bench.name}: {bench.description}",
        f"  {runs} alternating runs of each",
        line("A", bench.label_a, result.samples_a),
        line("B", bench.label_b, result.samples_b),
        f"  {'A/B'.ljust(width + 2)}  ratio  {result.ratio:6.2f}",
    ]
    if bench.target_ms is not None:
        verdict = "PASS" if result.target_met else "FAIL"
        lines.append(f"  target: A median <= {bench.target_ms:.0f} ms: {verdict}")
    return "\n".join(lines)


def _idp() -> str:
    """The ``idp`` console script of the interpreter running the harness (the venv's), else PATH's."""
    beside = Path(sys.executable).parent / "idp"
    if beside.is_file():
        return str(beside)
    found = shutil.which("idp")
    if not found:
        raise SystemExit("benchmarks: no `idp` console script found; install the package (scripts/setup)")
    return found


def cold_start() -> Benchmark:
    """`idp --version` (ours) against `python -c pass` (the interpreter's own start)."""
    return Benchmark(
        name="cold-start",
        description="`idp --version` (ours) against `python -c pass` (the interpreter's own start)",
        label_a="idp --version",
        command_a=(_idp(), "--version"),
        label_b="python -c pass",
        command_b=(sys.executable, "-c", "pass"),
        target_ms=150,
    )


def benchmarks() -> dict[str, Callable[[], Benchmark]]:
    """Every benchmark by name; built lazily so that listing them runs nothing."""
    return {
        "cold-start": cold_start,
        **__import__("benchmarks.terraform", fromlist=["BENCHMARKS"]).BENCHMARKS,
        **__import__("benchmarks.scan", fromlist=["BENCHMARKS"]).BENCHMARKS,
        **__import__("benchmarks.scaffold", fromlist=["BENCHMARKS"]).BENCHMARKS,
    }
