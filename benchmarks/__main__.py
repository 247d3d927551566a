"""``python -m benchmarks NAME [-n N]`` runs one benchmark; ``--list`` shows them all.

Exit status: 0 when the benchmark's target is met (or it has none), 1 when missed.
"""

from __future__ import annotations

import argparse

from benchmarks import benchmarks, measure, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("name", nargs="?", help="the benchmark to run")
    parser.add_argument("-n", type=int, default=20, help="alternating runs of each command (default 20)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    known = benchmarks()
    if args.list:
        # Listing builds nothing: a benchmark's inputs (a 3,000-file repository, a
        # 10,000-resource plan) are made only when it runs; its docstring describes it.
        for name, build in known.items():
            doc = (build.__doc__ or "").strip()
            print(f"{name}: {doc.splitlines()[0] if doc else ''}")
        from benchmarks import golden_path, policy

        for name, module in (("policy", policy), ("golden-path", golden_path)):
            print(f"{name}: {(module.__doc__ or '').strip().splitlines()[0]}")
        return 0
    if args.name == "golden-path":  # the demo with its own peer and per-step breakdown: it drives itself
        from benchmarks import golden_path

        return golden_path.main(["-n", str(args.n)])
    if args.name == "policy":  # two A/B pairs in one run (vs gator, vs conftest): it drives itself
        from benchmarks import policy

        return policy.main(["-n", str(args.n)])
    if args.name not in known:
        parser.error(f"choose a benchmark: {', '.join(known)} (or --list)")
    if args.n < 1:
        parser.error("-n must be at least 1")
    result = measure(known[args.name](), runs=args.n)
    print(report(result))
    return 1 if result.target_met is False else 0


if __name__ == "__main__":
    raise SystemExit(main())
