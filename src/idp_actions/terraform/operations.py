"""The imperative shell of ``idp terraform``: prepare a root, plan it, apply it, unlock it.

Everything here takes what it needs as parameters (options, a runner, a GitHub
repository object built by the command) and leaves deciding to the pure modules.
Files of a plan go to ``options.out_dir``:

==================  ============================================================
``plan.tfplan``     the saved plan (may hold secrets: mode 0600, never uploaded)
``plan.json``       ``show -json`` of it, for the policy check (secrets: 0600)
``plan.txt``        the tool's own text of the plan (sensitive values masked)
``section.json``    record + summary + policy verdict: what a combined comment
                    is built from, safe to upload as an artifact
``comment.md``      this root's comment body; ``summary.md`` its step summary
==================  ============================================================
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from idp_actions import gha
from idp_actions.errors import UsageError
from idp_actions.terraform import gate, plan, roots, version
from idp_actions.terraform.record import PlanRecord
from idp_actions.terraform.render import PolicyOutcome, Section
from idp_actions.terraform.runner import Runner, TerraformError, check_minimum, find_tool

_LOCK_TIMEOUT = re.compile(r"^\d+(?:ms|s|m|h)$")
SECRET_MODE = 0o600


@dataclass(frozen=True, kw_only=True)
class Options:
    """One root in one workspace, and how to plan and apply it."""

    repo_root: Path
    spec: roots.RootSpec
    workspace: str = "default"
    out_dir: Path
    variables: tuple[str, ...] = field(default=(), repr=False)
    binary: str = "tofu"
    lock_timeout: str = "5m"
    destroy: bool = False
    policy: str = "auto"
    hash_key: bytes | None = field(default=None, repr=False)
    commit: str | None = None
    run_id: str | None = None
    run_url: str | None = None
    environ: Mapping[str, str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not _LOCK_TIMEOUT.match(self.lock_timeout):
            raise UsageError(
                f"lock timeout must be a duration like 30s, 5m or 1h, got {self.lock_timeout!r}",
            )
        if self.workspace not in self.spec.workspaces and self.spec.workspaces != ("default",):
            raise UsageError(
                f"workspace {self.workspace!r} is not configured for root {self.spec.path}",
                hint=f"configured workspaces: {', '.join(self.spec.workspaces)} (terraform.roots in .github/idp.yaml)",
            )

    @property
    def root(self) -> str:
        """The root's path relative to the repository."""
        return roots.clean(self.spec.path)

    @property
    def key(self) -> str:
        """``root:workspace``."""
        return f"{self.root}:{self.workspace}"


@dataclass(frozen=True, kw_only=True)
class Planned:
    """A finished plan: what to show (``section``) and where its files are."""

    section: Section
    plan_text: str
    planfile: Path
    plan_json: Path
    runner: Runner
    secrets: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def record(self) -> PlanRecord:
        """The plan's record."""
        return self.section.record


def annotate(error: TerraformError) -> None:
    """Each of the tool's diagnostics as an annotation on its file and line (repository-relative)."""
    for item in error.diagnostics:
        where: dict[str, Any] = {"title": f"{error.tool} {error.step}: {item.summary}"}
        located = item.located(error.root)
        if located:
            where["file"] = located
            if item.line:
                where["line"] = item.line
        message = item.detail or item.summary
        if item.severity == "error":
            gha.error(message, **where)
        else:
            gha.warning(message, **where)


def prepare(options: Options) -> Runner:
    """Check the root and the tool's version, ``init`` with the backend config, select the workspace."""
    directory = roots.root_dir(options.repo_root, options.root)
    wanted = version.requirement(directory, options.repo_root, options.binary)
    # Without a requirement the version is read from the plan instead of a `tofu version` run.
    tool = find_tool(options.binary, probe=not wanted.empty, environ=options.environ)
    if tool.version:
        version.check(tool.name, tool.version, wanted)
    runner = Runner(tool, directory, display_root=options.root, environ=options.environ)
    var_files = options.spec.var_files_for(options.workspace)
    for item in var_files:
        if not (directory / item).is_file():
            raise UsageError(
                f"var file {item!r} of root {options.root} does not exist",
                hint="var-files are relative to the root directory; `{workspace}` is replaced by the workspace",
            )
    with gha.group(f"{tool.label}: init {options.root} (workspace {options.workspace})"):
        runner.init(options.spec.backend_config)
        runner.select_workspace(options.workspace)
    return runner


def _write(path: Path, text: str, *, secret: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if secret:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, SECRET_MODE)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        path.chmod(SECRET_MODE)
    else:
        path.write_text(text, encoding="utf-8")


def make_plan(options: Options, runner: Runner, *, saved: Path | None = None) -> Planned:
    """Plan (or read the ``saved`` plan file), summarise, hash and policy-check it; write its files."""
    out = options.out_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if saved is None:
        planfile = out / "plan.tfplan"
        print(f"idp: planning {options.key} with {runner.tool.label}", file=sys.stderr, flush=True)
        run = runner.plan(
            planfile,
            var_files=options.spec.var_files_for(options.workspace),
            variables=options.variables,
            destroy=options.destroy,
            lock_timeout=options.lock_timeout,
        )
        text = run.text
        planfile.chmod(SECRET_MODE)
    else:
        if not saved.is_file():
            raise UsageError(f"plan file {saved} does not exist")
        planfile = saved.resolve()
        text = runner.run(["show", "-no-color", str(planfile)], step="show").stdout
    raw = runner.show_json(planfile)
    plan_json = out / "plan.json"
    _write(plan_json, raw, secret=True)
    data = plan.load(raw)
    if not runner.tool.version and isinstance(data.get("terraform_version"), str):
        runner.tool = runner.tool.with_version(data["terraform_version"])
        check_minimum(runner.tool)
    known = plan.secrets(data)
    text = plan.redact(text, known)  # tofu prints values derived from secrets unmarked; we do not
    with gha.group(f"{runner.tool.label}: plan {options.key}"):
        print(text)
    summary = plan.summarise(data, known=known)
    record = PlanRecord(
        root=options.root,
        workspace=options.workspace,
        plan_hash=plan.plan_hash(data, key=options.hash_key, known=known),
        backend=plan.fingerprint([runner.backend(), options.workspace]),
        variables=plan.variables_hash(data, key=options.hash_key, known=known),
        tool=runner.tool.label,
        has_changes=summary.has_changes,
        destroy=options.destroy,
        commit=options.commit,
        run_id=options.run_id,
        run_url=options.run_url,
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    policy: PolicyOutcome | None = None
    if summary.has_changes or options.policy == "on":
        policy = gate.check_plan(plan_json, mode=options.policy, cwd=options.repo_root)
    if policy is not None:
        record = PlanRecord(**{**record.to_json(), "policy": policy.status})
    section = Section(record=record, summary=summary, policy=policy)
    _write(out / "plan.txt", text)
    _write(out / "section.json", json.dumps(section_to_json(section), ensure_ascii=False) + "\n")
    return Planned(
        section=section, plan_text=text, planfile=planfile, plan_json=plan_json, runner=runner, secrets=known
    )


def section_to_json(section: Section) -> dict[str, Any]:
    """A section as JSON (no secrets: the summary masks them, the record holds hashes)."""
    return {
        "format": "idp-terraform-section/v1",
        "record": section.record.to_json(),
        "summary": plan.summary_to_json(section.summary),
        "policy": None
        if section.policy is None
        else {"status": section.policy.status, "report": section.policy.report},
    }


def section_from_json(data: Mapping[str, Any]) -> Section:
    """The inverse of :func:`section_to_json`; :class:`ValueError` on a malformed document."""
    if not isinstance(data, Mapping) or data.get("format") != "idp-terraform-section/v1":
        raise ValueError("not an idp terraform section (format idp-terraform-section/v1)")
    policy = data.get("policy")
    return Section(
        record=PlanRecord.from_json(data["record"]),
        summary=plan.summary_from_json(data["summary"]),
        policy=PolicyOutcome(status=str(policy["status"]), report=str(policy.get("report", "")))
        if isinstance(policy, Mapping)
        else None,
    )


def apply(planned: Planned, options: Options) -> str:
    """Apply exactly the plan file of ``planned`` with the lock timeout; the tool's output."""
    with gha.group(f"{planned.runner.tool.label}: apply {options.key}"):
        output = plan.redact(planned.runner.apply(planned.planfile, lock_timeout=options.lock_timeout), planned.secrets)
        print(output)
    return output


def unlock(options: Options, lock_id: str) -> str:
    """Release the state lock ``lock_id`` of the root and workspace."""
    if not re.fullmatch(r"[0-9A-Za-z._:-]{1,200}", lock_id or ""):
        raise UsageError(
            f"lock ID {lock_id!r} does not look like one",
            hint="copy the ID from the `state-locked` report of the failed run (output `lock-id`)",
        )
    runner = prepare(options)
    with gha.group(f"{runner.tool.label}: force-unlock {options.key}"):
        output = runner.force_unlock(lock_id)
        print(output)
    return output
