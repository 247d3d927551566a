"""``golden-path``: the README's main job, timed step by step, against its own CI commands run directly.

``python -m benchmarks golden-path [-n N]`` (or ``python -m benchmarks.golden_path``)
runs the demo (``scripts/demo``: scaffold → git → GitOps registration → CI under act →
registry → dev) N times. After each run's checks pass, the same work the CI did runs
again as plain ``idp`` commands, one after another, in the same world: ``idp test``,
``idp scan``, ``idp policy check``, ``idp image build --push``, ``idp scan --image`` and
``idp promote --to dev`` — the peer measured in the same run. Their ratio (the act
step over the direct commands) is what running the real workflows costs over running
their commands by hand; act runs the three gates in parallel, the peer in sequence.

The report gives the median of every step, the demo's total against the target
(≤ 120 s on the 2-core reference machine) and the ratio. Exit status 1 when the
target is missed or a run fails.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from demo.golden_path import GoldenPath

TARGET_SECONDS = 120.0


def main(argv: list[str] | None = None) -> int:
    """Run the demo N times with the peer; print the breakdown; 0 when the target is met."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks golden-path", description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3, help="runs (default 3)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("-n must be at least 1")
    totals: list[float] = []
    per_step: dict[str, list[float]] = {}
    peers: dict[str, list[float]] = {}
    ci: list[float] = []
    peer_totals: list[float] = []
    for run in range(1, args.n + 1):
        with tempfile.TemporaryDirectory(prefix="idp-bench-golden-") as tmp:
            path = GoldenPath(Path(tmp) / "work", Path(tmp) / "out", say=lambda _line: None, peer=True)
            outcome = path.run()
        if not outcome.succeeded:
            failed = next(s for s in outcome.steps if s.status == "failed")
            print(f"golden-path: run {run} failed at {failed.title}: {failed.detail}", file=sys.stderr)
            return 1
        totals.append(outcome.total_seconds)
        for step in outcome.steps:
            per_step.setdefault(step.title, []).append(step.seconds)
            if step.name == "ci":
                ci.append(step.seconds)
        for name, seconds in path.peer_steps:
            peers.setdefault(name, []).append(seconds)
        peer_totals.append(sum(seconds for _name, seconds in path.peer_steps))
        print(f"  run {run}: {outcome.total_seconds:.1f} s (CI under act {ci[-1]:.1f} s, "
              f"the same commands directly {peer_totals[-1]:.1f} s)", flush=True)
    width = max(len(name) for name in [*per_step, *peers])
    lines = [f"golden-path: scripts/demo, {args.n} run(s); medians", "  A: the demo, step by step"]
    lines += [f"    {name.ljust(width)}  {statistics.median(v):6.1f} s" for name, v in per_step.items()]
    lines += [f"    {'total'.ljust(width)}  {statistics.median(totals):6.1f} s",
              "  B: the CI's commands run directly (no act), in sequence"]
    lines += [f"    {name.ljust(width)}  {statistics.median(v):6.1f} s" for name, v in peers.items()]
    lines += [f"    {'total'.ljust(width)}  {statistics.median(peer_totals):6.1f} s"]
    ratio = statistics.median(ci) / statistics.median(peer_totals)
    met = statistics.median(totals) <= TARGET_SECONDS
    lines += [f"  CI under act / direct commands: ratio {ratio:.2f}",
              f"  target: demo median <= {TARGET_SECONDS:.0f} s: {'PASS' if met else 'FAIL'}"]
    print("\n".join(lines))
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
