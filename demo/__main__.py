"""``python -m demo``: run the golden path on local defaults and write its report.

Exit status 0 when every step passed, 1 otherwise (the report says where it stopped).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from demo.golden_path import ROOT, GoldenPath
from demo.report import terminal


def main(argv: list[str] | None = None) -> int:
    """Run the golden path, print the summary, write the report; 0 when every step passed."""
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__.splitlines()[0])
    parser.add_argument("--service", default="hello-api", help="name of the service to create (default hello-api)")
    parser.add_argument("--out", type=Path, default=ROOT / ".demo",
                        help="where the report goes (default .demo/): golden-path.md, .html and .json")
    parser.add_argument("--work", type=Path, help="working directory (default: a new temporary one, removed after)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (repositories, logs)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="idp-golden-path-"))
    if args.work and args.work.exists() and any(args.work.iterdir()):
        parser.error(f"--work {args.work} is not empty: give a new or empty directory")
    path = GoldenPath(work, args.out, service=args.service, say=lambda line: print(line, flush=True))
    try:
        outcome = path.run()
    finally:
        markdown, page = path.write_report()
    print(terminal(outcome))
    print(f"\nreport: {markdown}\n        {page}")
    if args.keep or not outcome.succeeded:
        print(f"work:   {work} (repositories, act's log, scaffold log)")
    elif not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if outcome.succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
