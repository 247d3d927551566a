"""Semgrep (SAST) adapter: run ``semgrep scan --json`` once over the tree and parse its results.

Semgrep runs offline (``--metrics=off``, ``SEMGREP_ENABLE_VERSION_CHECK=0``) with the
org rule pack and ``--no-rewrite-rule-ids`` (rule ids stay as written, not prefixed
with the rule file's folder). Inline ``nosemgrep`` comments are *listed*, not
silently dropped: Semgrep runs with ``--disable-nosem`` and :func:`nosem_comment`
applies Semgrep's own rule (a ``nosem``/``nosemgrep`` comment on the finding's first
line, or alone on the line before it, optionally naming rule ids), so a silenced
finding is reported as suppressed and marked ``inSource`` in SARIF.

Semgrep's JSON (``semgrep_output_v1``): ``results[]`` with ``check_id``, ``path``,
``start``/``end`` (``line``, ``col``) and ``extra`` (``message``, ``severity``,
``metadata``, ``lines`` — ``"requires login"`` outside Semgrep's platform, so the
snippet is read from the file); ``errors[]`` with ``level``, ``type``, ``message``;
``version``.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from idp_actions import proc, tools
from idp_actions.errors import ProcError, ToolError
from idp_actions.findings import Finding, Severity, ToolInfo
from idp_actions.findings import fingerprint as make_fingerprint
from idp_actions.scan.outcome import ToolRun
from idp_actions.scan.settings import ScanSettings, rule_pack

TOOL = "semgrep"
INFO_URI = "https://semgrep.dev"
QUIET_ENV = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
#: Lines of a finding kept as its snippet (and hashed into its fingerprint).
MAX_SNIPPET_LINES = 10

# Semgrep's own patterns (semgrep/constants.py): ` nosem` or ` nosemgrep`, then optionally
# `:` or `=` and comma-separated rule ids.
_IDS = r"(?:[:=]\s?(?P<ids>(?:[^,\s](?:[,\s]+)?)+))?"
_INLINE = re.compile(rf"[:#/]+ nosem(?:grep)?{_IDS}$", re.IGNORECASE)
_PREVIOUS_LINE = re.compile(rf"^[^a-zA-Z0-9]* nosem(?:grep)?{_IDS}", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s")


def command(
    settings: ScanSettings,
    *,
    output: Path,
    baseline_commit: str | None = None,
) -> list[str]:
    """The ``semgrep scan`` command line for ``settings`` (run with the scan root as cwd)."""
    args = [
        tools.find(TOOL),
        "scan",
        "--metrics=off",
        "--disable-version-check",
        "--no-rewrite-rule-ids",
        "--disable-nosem",
        "--json",
        "--quiet",
        f"--output={output}",
    ]
    for config in settings.rules or (rule_pack(),):
        args.append(f"--config={config}")
    for pattern in settings.exclude:
        args.append(f"--exclude={pattern}")
    if baseline_commit:
        args.append(f"--baseline-commit={baseline_commit}")
    args.append(".")
    return args


def run(settings: ScanSettings, *, baseline_commit: str | None = None) -> ToolRun:
    """Run Semgrep over ``settings.root`` and return its findings.

    ``baseline_commit`` makes Semgrep diff-aware: it scans only the files changed
    since that commit and reports only findings that are not at it (the commit must
    be in the clone; :mod:`.baseline` fetches it). A missing Semgrep, a non-zero
    exit or output that is not Semgrep's JSON raises :class:`ToolError` naming Semgrep.
    """
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="idp-semgrep-") as tmp:
        output = Path(tmp) / "semgrep.json"
        args = command(settings, output=output, baseline_commit=baseline_commit)
        try:
            done = proc.run(
                args,
                cwd=settings.root,
                extra_env={**QUIET_ENV, **settings.extra_env},
                timeout=settings.timeout,
                check=False,
            )
        except ProcError as exc:  # timed out
            raise ToolError(f"semgrep did not finish: {exc.message}", hint=_HINT) from exc
        raw = output.read_text(encoding="utf-8", errors="replace") if output.is_file() else done.stdout
    data = _load(raw, done)
    if done.returncode != 0:
        raise ToolError(
            f"semgrep failed (exit code {done.returncode}): {_errors_text(data) or _tail(done.stderr)}",
            hint=_HINT,
        )
    findings, inline = parse(data, root=settings.root)
    return ToolRun(
        tool=TOOL,
        info=ToolInfo("Semgrep", str(data.get("version") or "") or None, INFO_URI),
        findings=tuple(findings),
        notes=tuple(_notes(data, baseline_commit)),
        seconds=time.monotonic() - started,
        inline_suppressed=frozenset(inline),
    )


_HINT = "run the same `semgrep scan` locally to see its full output; check the --rules files with `semgrep --test`"


def _load(raw: str, done: proc.Result) -> dict[str, Any]:
    try:
        data = json.loads(raw) if raw.strip() else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        if done.returncode != 0:
            raise ToolError(
                f"semgrep failed (exit code {done.returncode}) without a report: {_tail(done.stderr or done.stdout)}",
                hint=_HINT,
            )
        raise ToolError(
            "semgrep exited 0 but did not write its JSON report; its findings are unknown",
            hint=_HINT,
        )
    return data


def _tail(text: str, lines: int = 8) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return "\n    ".join(kept) or "(no output)"


def _errors_text(data: Mapping[str, Any]) -> str:
    messages = [
        str(error.get("message", "")).strip().replace("\n", " ")
        for error in data.get("errors") or []
        if isinstance(error, dict) and error.get("level") == "error"
    ]
    return "; ".join(m for m in messages if m)


def _notes(data: Mapping[str, Any], baseline_commit: str | None) -> list[str]:
    notes = []
    scanned = (data.get("paths") or {}).get("scanned") or []
    notes.append(f"semgrep scanned {len(scanned)} file(s)" + (f" changed since {baseline_commit[:12]}"
                                                           if baseline_commit else ""))
    for error in data.get("errors") or []:
        if not isinstance(error, dict):
            continue
        where = f" in {error['path']}" if error.get("path") else ""
        message = str(error.get("message", "")).strip().splitlines()
        notes.append(f"semgrep {error.get('level', 'warn')}: {error.get('type', 'error')}{where}: "
                     f"{message[0] if message else ''}"[:300])
    return notes


def parse(data: Mapping[str, Any], *, root: Path) -> tuple[list[Finding], set[str]]:
    """Findings from Semgrep's JSON; the second value holds those silenced by ``nosemgrep``.

    Paths are relative to ``root`` (Semgrep ran there on ``.``). Snippets are read
    from the files so fingerprints follow the code, not its line numbers.
    """
    findings: list[Finding] = []
    inline: set[str] = set()
    cache: dict[str, list[str]] = {}
    for item in data.get("results") or []:
        if not isinstance(item, dict):
            continue
        rule_id = str(item.get("check_id") or "unknown")
        path = str(item.get("path") or "")
        start = _line(item.get("start"))
        end = _line(item.get("end")) or start
        extra: Mapping[str, Any] = item["extra"] if isinstance(item.get("extra"), dict) else {}
        metadata: Mapping[str, Any] = extra["metadata"] if isinstance(extra.get("metadata"), dict) else {}
        message = " ".join(str(extra.get("message") or "").split())
        lines = cache.setdefault(path, _read_lines(root, path))
        snippet = _snippet(lines, start, end) or _reported_lines(extra)
        comment = nosem_comment(lines, start, rule_id)
        finding = Finding(
            tool=TOOL,
            rule_id=rule_id,
            severity=_severity(extra, metadata),
            title=_title(message, rule_id),
            message=message,
            path=path,
            start_line=start,
            end_line=end,
            fingerprint=make_fingerprint(tool=TOOL, rule_id=rule_id, path=path, text=snippet or message),
            help_uri=_help_uri(metadata),
            suppressed=comment,
            snippet=snippet,
        )
        if comment is not None:
            inline.add(finding.fingerprint)
        findings.append(finding)
    return findings, inline


def nosem_comment(lines: Sequence[str], start: int | None, rule_id: str) -> str | None:
    """Why a finding at ``start`` is silenced in the source, or None.

    Semgrep's rule: a ``nosem``/``nosemgrep`` comment at the end of the finding's
    first line, or alone on the line before it; when it names rule ids, only those
    (compared with and without the folder prefix Semgrep may add) are silenced.
    """
    if not start or start > len(lines):
        return None
    candidates = [(start, _INLINE.search(lines[start - 1].rstrip()))]
    if start >= 2:
        candidates.append((start - 1, _PREVIOUS_LINE.search(lines[start - 2])))
    for number, match in candidates:
        if match is None:
            continue
        ids = [i for i in re.split(r"[,\s]+", (match.group("ids") or "").strip()) if i]
        if not ids or any(_same_rule(i, rule_id) for i in ids):
            return f"nosemgrep comment on line {number}"
    return None


def _same_rule(named: str, rule_id: str) -> bool:
    named = named.strip().lower()
    rule_id = rule_id.lower()
    return rule_id == named or rule_id.endswith("." + named) or named.endswith("." + rule_id)


def _line(position: Any) -> int | None:
    if isinstance(position, dict) and isinstance(position.get("line"), int) and position["line"] >= 1:
        return int(position["line"])
    return None


def _read_lines(root: Path, path: str) -> list[str]:
    file = root / path
    try:
        if not file.resolve().is_relative_to(root.resolve()):
            return []
        return file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _snippet(lines: Sequence[str], start: int | None, end: int | None) -> str:
    if not start or start > len(lines):
        return ""
    last = min(end or start, start + MAX_SNIPPET_LINES - 1, len(lines))
    return "\n".join(lines[start - 1 : last])


def _reported_lines(extra: Mapping[str, Any]) -> str:
    text = str(extra.get("lines") or "")
    return "" if text == "requires login" else text


def _severity(extra: Mapping[str, Any], metadata: Mapping[str, Any]) -> Severity:
    """Semgrep's rule severity: ERROR → High, WARNING → Medium, INFO → Info (newer names as they are)."""
    return Severity.parse(str(extra.get("severity") or metadata.get("severity") or ""))


def _title(message: str, rule_id: str) -> str:
    """The message's first sentence (at most 120 characters), for SARIF rule names and tables."""
    first = _SENTENCE.split(message, maxsplit=1)[0].strip() if message else ""
    if len(first) > 120:
        first = first[:119].rstrip() + "…"
    return first or rule_id


def _help_uri(metadata: Mapping[str, Any]) -> str | None:
    references = metadata.get("references")
    candidates: Iterable[Any] = references if isinstance(references, list) else [references]
    for value in [*candidates, metadata.get("source")]:
        if isinstance(value, str) and value.startswith("https://"):
            return value
    return None
