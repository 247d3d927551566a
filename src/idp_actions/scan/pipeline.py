"""One scan from settings to result: ignore file, base commit, tools in parallel, filters, gate.

In pull-request mode Semgrep reports only what is new in the changed files
(``--baseline-commit``) and Trivy scans what the pull request touched at the head and
at the merge base, at the same time, comparing findings by fingerprint. Image
findings have no base to compare with (the base's image is not at hand): they are
all treated as new.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date

from idp_actions.findings import Finding
from idp_actions.scan import baseline, gate, ignores, runner, trivy
from idp_actions.scan.outcome import ToolRun
from idp_actions.scan.report import ScanResult
from idp_actions.scan.runner import Say
from idp_actions.scan.settings import IGNORE_FILE, ScanSettings

BASE_JOB = "trivy fs (base)"


def load_ignores(settings: ScanSettings, *, today: date) -> ignores.IgnoreFile | None:
    """The ignore file of ``settings``, checked — including expiry — before any tool runs.

    That is ``settings.ignore_file``, else ``.github/idp-scan-ignore.yaml`` when present.
    """
    path = settings.ignore_file
    if path is None:
        default = settings.root / IGNORE_FILE
        if not default.is_file():
            return None
        path = default
    elif not path.is_absolute():
        path = settings.root / path
    try:
        shown = path.resolve().relative_to(settings.root.resolve()).as_posix()
    except ValueError:
        shown = path.as_posix()
    loaded = ignores.load(path, display=shown)
    loaded.check_expiry(today)
    return loaded


def scan(settings: ScanSettings, *, today: date | None = None, say: Say | None = None) -> ScanResult:
    """Run the scan ``settings`` describe and decide its verdict."""
    today = today or date.today()
    accepted = load_ignores(settings, today=today)
    notes: list[str] = []
    if "workflows" in settings.scanners:
        notes.append("the `workflows` scanner (zizmor, actionlint) runs in `idp lint` and the self-check "
                     "workflow, not in `idp scan`")
    base: baseline.Base | None = None
    if settings.base:
        base = baseline.prepare(settings.root, settings.base, fetch_env=settings.fetch_env)
        notes.append(base.note)
    with ExitStack() as stack:
        planned = runner.jobs(settings, semgrep_baseline=base.merge_base if base else None)
        if base is not None and "trivy fs" in planned:
            head_tree, base_tree, files = stack.enter_context(
                baseline.pull_request_trees(settings.root, base.merge_base))
            notes.append(f"trivy scanned the {len(files)} file(s) the pull request touched (with their manifests "
                         "and IaC modules), at the head and at the merge base")
            planned["trivy fs"] = lambda: trivy.run_fs(settings, root=head_tree)
            planned[BASE_JOB] = lambda: trivy.run_fs(settings, root=base_tree)
        runs = runner.run_parallel(planned) if say is None else runner.run_parallel(planned, say=say)
    base_run: ToolRun | None = None
    if base is not None and "trivy fs" in planned:
        base_run = runs.pop(list(planned).index(BASE_JOB))
    runs = [runner.exclude_run(run, settings.exclude) for run in runs]
    findings: list[Finding] = [f for run in runs for f in run.findings]
    findings = gate.mark_unfixed(findings, ignore_unfixed=settings.ignore_unfixed)
    if accepted is not None:
        findings, unused = accepted.apply(findings)
        notes += ignores.describe_unused(unused, accepted.file)
    preexisting: set[str] | None = None
    new: frozenset[str] = frozenset()
    if base is not None:
        preexisting = {f.fingerprint for f in base_run.findings} if base_run else set()
        new = frozenset(f.fingerprint for f in findings if f.fingerprint not in preexisting)
    verdict = gate.decide(findings, threshold=settings.threshold, preexisting=preexisting)
    return ScanResult(
        runs=tuple(runs),
        findings=tuple(findings),
        verdict=verdict,
        category=settings.category,
        notes=tuple(notes),
        base=base.merge_base if base else None,
        new=new,
    )


def changed_lines(settings: ScanSettings, result: ScanResult) -> dict[str, set[int]] | None:
    """Lines the pull request changed (None outside pull-request mode)."""
    if not result.base:
        return None
    return baseline.changed_lines(settings.root, result.base)

