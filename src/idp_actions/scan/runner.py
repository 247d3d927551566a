"""Run the independent scans in parallel; a tool that is missing or fails fails the scan, by name.

Semgrep, Trivy's filesystem scan and each image scan are separate processes with no
shared state but Trivy's read-only DB, so they run at the same time; the wall time
is that of the slowest. While they run, a status line is printed every
``status_every`` seconds (Actions logs show no live progress otherwise).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from functools import partial

from idp_actions.errors import IdpError, ToolError
from idp_actions.findings import Finding
from idp_actions.scan import semgrep, trivy
from idp_actions.scan.ignores import glob_regex
from idp_actions.scan.outcome import ToolRun
from idp_actions.scan.settings import ScanSettings

Job = Callable[[], ToolRun]
Say = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def jobs(settings: ScanSettings, *, semgrep_baseline: str | None = None) -> dict[str, Job]:
    """The scans ``settings`` asks for, by the name people see in messages."""
    planned: dict[str, Job] = {}
    if settings.semgrep:
        planned["semgrep"] = lambda: semgrep.run(settings, baseline_commit=semgrep_baseline)
    if settings.trivy_scanners:
        planned["trivy fs"] = lambda: trivy.run_fs(settings)
    for image in settings.images:
        if settings.image_scanners:
            planned[f"trivy image {image}"] = partial(trivy.run_image, settings, image)
    return planned


def run_parallel(planned: dict[str, Job], *, say: Say = _stderr, status_every: float = 30.0) -> list[ToolRun]:
    """Run every job at once; return their results in the order planned, or raise naming each failure.

    Every job runs to its end even when another fails, so one error message can name
    every tool that failed. Expected failures (:class:`IdpError`) keep their message;
    anything else is reported as a crash of that tool.
    """
    if not planned:
        raise IdpError("nothing to scan: every scanner is turned off",
                       hint="select at least one of vuln, misconfig, secret, license, sast")
    results: dict[str, ToolRun] = {}
    failures: dict[str, str] = {}
    started = time.monotonic()
    say(f"scanning with {', '.join(planned)} in parallel")
    with ThreadPoolExecutor(max_workers=len(planned), thread_name_prefix="idp-scan") as pool:
        futures: dict[Future[ToolRun], str] = {pool.submit(job): name for name, job in planned.items()}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=status_every, return_when=FIRST_COMPLETED)
            for future in done:
                name = futures[future]
                error = future.exception()
                if error is None:
                    result = future.result()
                    results[name] = result
                    say(f"{name}: {len(result.findings)} finding(s) in {result.seconds:.1f}s")
                elif isinstance(error, IdpError):
                    failures[name] = str(error)
                    say(f"{name}: FAILED")
                else:
                    failures[name] = f"crashed: {type(error).__name__}: {error}"
                    say(f"{name}: CRASHED")
            if pending and not done:
                still = ", ".join(sorted(futures[f] for f in pending))
                say(f"still scanning after {time.monotonic() - started:.0f}s: {still}")
    if failures:
        listed = "\n".join(f"  - {name}: {message}" for name, message in failures.items())
        raise ToolError(
            f"the scan did not complete, so it cannot pass — {len(failures)} tool(s) failed:\n{listed}",
            hint="fix the tool named above (scripts/setup or the setup action installs them) and run again",
        )
    return [results[name] for name in planned]


def without_excluded(findings: Iterable[Finding], patterns: Sequence[str]) -> list[Finding]:
    """Findings outside the ``scan.exclude`` globs (the tools skip them too; this makes it exact)."""
    regexes = [glob_regex(p) for p in patterns]

    def excluded(path: str) -> bool:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]  # a glob may name a folder
        return any(r.fullmatch(prefix) for r in regexes for prefix in prefixes)

    return [f for f in findings if not (f.path and excluded(f.path))]


def exclude_run(run: ToolRun, patterns: Sequence[str]) -> ToolRun:
    """``run`` without findings under excluded paths."""
    if not patterns:
        return run
    return replace(run, findings=tuple(without_excluded(run.findings, patterns)))
