"""Our own workflow and action rules: pure functions over parsed documents.

These cover what the other linters leave to taste: every third-party ``uses:``
pinned to a full commit SHA with a version comment, our own actions on one
ref, read-only top-level permissions with a reason for every job-level write,
``timeout-minutes`` on every job, no ``${{ }}`` inside ``run:``, and no
``secrets: inherit``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import yaml

from idp_actions.findings import Finding, Severity
from idp_actions.lint.documents import Document, elements, get, items, key_node, line, scalar, steps_of

TOOL = "idp-lint"
SHA_RE = re.compile(r"^[0-9a-f]{40}$")
VERSION_COMMENT_RE = re.compile(r"#\s*v?\d+(\.\d+){0,3}\b")
READ_ONLY = {"read", "none"}


@dataclass(frozen=True)
class Rule:
    """A rule's id, severity and one-line description (shown in SARIF and --help)."""

    id: str
    severity: Severity
    title: str


RULES = {
    r.id: r
    for r in (
        Rule("unpinned-uses", Severity.HIGH, "third-party action not pinned to a full commit SHA"),
        Rule("missing-version-comment", Severity.LOW, "SHA-pinned action without a `# vX.Y.Z` comment"),
        Rule("self-ref-mismatch", Severity.MEDIUM, "our own actions referenced at more than one ref"),
        Rule("top-level-permissions", Severity.HIGH, "top-level permissions missing or not read-only"),
        Rule("write-without-reason", Severity.MEDIUM, "job-level write permission without a reason comment"),
        Rule("missing-timeout", Severity.MEDIUM, "job without timeout-minutes"),
        Rule("expression-in-run", Severity.HIGH, "`${{ }}` inside a run: script (pass it through env:)"),
        Rule("secrets-inherit", Severity.HIGH, "`secrets: inherit` passes every secret to the called workflow"),
        Rule("parse-error", Severity.HIGH, "file could not be parsed"),
    )
}


def _finding(doc: Document, rule_id: str, message: str, at: int | None) -> Finding:
    rule = RULES[rule_id]
    return Finding(
        tool=TOOL,
        rule_id=rule_id,
        severity=rule.severity,
        title=rule.title,
        message=message,
        path=doc.rel,
        start_line=at,
        end_line=at,
        snippet=doc.line_text(at).strip() if at else "",
    )


def check(documents: Sequence[Document], *, self_repos: Sequence[str] = ("idp-actions/idp-actions",)) -> list[Finding]:
    """Every finding of our own rules over ``documents``."""
    findings: list[Finding] = []
    self_refs: dict[str, list[tuple[Document, int | None]]] = {}
    for doc in documents:
        if doc.parse_error:
            findings.append(_finding(doc, "parse-error", doc.parse_error, doc.parse_error_line))
            continue
        if doc.root is None:
            continue
        findings.extend(_uses(doc, self_repos, self_refs))
        findings.extend(_expressions_in_run(doc))
        if doc.kind == "workflow":
            findings.extend(_permissions(doc))
            findings.extend(_jobs(doc))
    if len(self_refs) > 1:
        refs = ", ".join(sorted(self_refs))
        for ref, places in sorted(self_refs.items()):
            for doc, at in places:
                findings.append(
                    _finding(
                        doc,
                        "self-ref-mismatch",
                        f"our own actions are referenced at several refs ({refs}); this one uses `{ref}` — "
                        "run scripts/release (or align them by hand) so every self-reference uses one ref",
                        at,
                    )
                )
    return findings


def _uses_nodes(doc: Document) -> Iterator[yaml.Node]:
    for _job, step in steps_of(doc):
        node = get(step, "uses")
        if node is not None:
            yield node
    if doc.kind == "workflow":
        for _job_id, job in items(get(doc.root, "jobs")):
            node = get(job, "uses")
            if node is not None:
                yield node


def _uses(
    doc: Document, self_repos: Sequence[str], self_refs: dict[str, list[tuple[Document, int | None]]]
) -> Iterator[Finding]:
    for node in _uses_nodes(doc):
        value = scalar(node) or ""
        at = line(node)
        if value.startswith("./") or not value:
            continue
        if value.startswith("docker://"):
            if "@sha256:" not in value:
                yield _finding(
                    doc, "unpinned-uses", f"`{value}` is not pinned by digest: use docker://IMAGE@sha256:…", at
                )
            continue
        target, _, ref = value.partition("@")
        repo = "/".join(target.split("/")[:2])
        if repo in self_repos:
            self_refs.setdefault(ref, []).append((doc, at))
            continue
        if not ref:
            yield _finding(doc, "unpinned-uses", f"`{value}` has no ref: pin it to a full commit SHA", at)
        elif not SHA_RE.match(ref):
            yield _finding(
                doc,
                "unpinned-uses",
                f"`{value}` is pinned to `{ref}`, which can move: pin it to the full 40-character commit SHA "
                f"of that release and keep `# {ref}` as a comment",
                at,
            )
        elif at is not None and not VERSION_COMMENT_RE.search(doc.line_text(at)):
            yield _finding(
                doc,
                "missing-version-comment",
                f"`{target}` is pinned to a SHA without a version comment: add `# vX.Y.Z` so people "
                "and update tools can read which release it is",
                at,
            )


def _expressions_in_run(doc: Document) -> Iterator[Finding]:
    for _job, step in steps_of(doc):
        run = get(step, "run")
        text = scalar(run)
        if text and "${{" in text:
            yield _finding(
                doc,
                "expression-in-run",
                "`${{ }}` inside run: is expanded before the shell sees it (script injection); "
                "map the value to an environment variable under env: and use \"$NAME\" in the script",
                line(run),
            )


def _permissions(doc: Document) -> Iterator[Finding]:
    perms = get(doc.root, "permissions")
    if perms is None:
        yield _finding(
            doc,
            "top-level-permissions",
            "no top-level `permissions:`; the token then gets the repository default, often write-all. "
            "Add `permissions: {}` (or `contents: read`) and grant more per job",
            1,
        )
    else:
        writes = _write_scopes(perms)
        if writes:
            yield _finding(
                doc,
                "top-level-permissions",
                f"top-level permissions grant write ({', '.join(writes)}); keep the top level read-only "
                "and grant writes on the jobs that need them, with a reason comment",
                line(perms),
            )
    for job_id, job in items(get(doc.root, "jobs")):
        job_perms = get(job, "permissions")
        if job_perms is None:
            continue
        if scalar(job_perms) == "write-all":
            yield _finding(
                doc, "write-without-reason", f"job `{job_id}` asks for write-all: list only the scopes it needs",
                line(job_perms),
            )
        for scope, value in items(job_perms):
            if scalar(value) == "write" and "#" not in doc.line_text(line(value) or 0):
                yield _finding(
                    doc,
                    "write-without-reason",
                    f"job `{job_id}` grants `{scope}: write` without saying why: add a comment such as "
                    f"`{scope}: write  # <why this job needs it>`",
                    line(value),
                )


def _write_scopes(perms: yaml.Node) -> list[str]:
    text = scalar(perms)
    if text is not None:
        return [] if text in ("read-all", "{}", "") else [text]
    return [scope for scope, value in items(perms) if (scalar(value) or "") not in READ_ONLY]


def _jobs(doc: Document) -> Iterator[Finding]:
    for job_id, job in items(get(doc.root, "jobs")):
        if get(job, "uses") is not None:
            if scalar(get(job, "secrets")) == "inherit":
                yield _finding(
                    doc,
                    "secrets-inherit",
                    f"job `{job_id}` passes `secrets: inherit`: pass only the secrets the workflow declares",
                    line(get(job, "secrets")),
                )
            continue  # a job calling a reusable workflow cannot set timeout-minutes
        if get(job, "timeout-minutes") is None:
            at = line(key_node(get(doc.root, "jobs"), job_id))
            yield _finding(
                doc,
                "missing-timeout",
                f"job `{job_id}` has no timeout-minutes (the default is 360): set one that fits the job",
                at,
            )


def run_scripts(doc: Document) -> Iterator[tuple[str, int, str]]:
    """(script, first line in the file, shell) for each bash/sh ``run:`` of a composite action."""
    if doc.kind != "action" or doc.root is None:
        return
    for _job, step in steps_of(doc):
        run = get(step, "run")
        text = scalar(run)
        if text is None or run is None:
            continue
        shell = scalar(get(step, "shell")) or "bash"
        name = shell.split()[0]
        if name not in ("bash", "sh"):
            continue
        block = isinstance(run, yaml.ScalarNode) and run.style in ("|", ">")
        first = run.start_mark.line + 1 + (1 if block else 0)
        yield text, first, name


__all__ = ["RULES", "Rule", "check", "elements", "run_scripts"]
