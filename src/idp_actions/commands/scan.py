"""``idp scan [PATH]``: Semgrep and Trivy in parallel, one report, a gate people can read.

Every option falls back to the action input of the same name (``--severity-threshold``
→ ``severity-threshold``), then to ``.github/idp.yaml`` (``scan:``), then to the
default. Exit status: 0 when the gate passes, 1 when findings fail it or the scan
could not run (a tool missing or failing is never a pass), 2 never.

Outputs (in Actions): ``result`` (passed/failed), ``findings`` (unsuppressed),
``failing``, ``sarif-file``, ``json-file``, ``comment-url``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from idp_actions import gha
from idp_actions.errors import UsageError

if TYPE_CHECKING:
    from github import Github

    from idp_actions.config import IdpConfig
    from idp_actions.scan.report import ScanResult
    from idp_actions.scan.settings import ScanSettings

COMMENT_MODES = ("auto", "always", "never")


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``idp scan``."""
    parser.add_argument("path", nargs="?", default=None, help="repository root to scan (default: .)")
    parser.add_argument("--severity-threshold", metavar="LEVEL",
                        help="lowest severity that fails: CRITICAL, HIGH (default), MEDIUM, LOW or INFO")
    parser.add_argument("--scanners", action="append", metavar="LIST",
                        help="vuln, misconfig, secret, license, sast (comma-separated; default from idp.yaml)")
    unfixed = parser.add_mutually_exclusive_group()
    unfixed.add_argument("--ignore-unfixed", dest="ignore_unfixed", action="store_const", const=True,
                         help="vulnerabilities without a fixed version do not fail")
    unfixed.add_argument("--no-ignore-unfixed", dest="ignore_unfixed", action="store_const", const=False,
                         help="they fail like any other (overrides scan.ignore-unfixed)")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="skip paths matching GLOB, relative to PATH (repeatable; adds to scan.exclude)")
    parser.add_argument("--rules", action="append", default=[], type=Path, metavar="PATH",
                        help="Semgrep rules to run instead of the org rule pack (repeatable)")
    parser.add_argument("--image", action="append", default=[], metavar="IMAGE",
                        help="also scan a container image: an OCI/Docker tarball or a registry reference")
    parser.add_argument("--trivy-cache-dir", type=Path, metavar="DIR",
                        help="Trivy's cache (its vulnerability DB is DIR/db; default: Trivy's own)")
    parser.add_argument("--skip-db-update", action="store_const", const=True, default=None,
                        help="use the vulnerability DB in the cache as it is (a cache hit, or offline)")
    parser.add_argument("--ignore-file", type=Path, metavar="FILE",
                        help="accepted findings (default: .github/idp-scan-ignore.yaml when present)")
    parser.add_argument("--base", metavar="REF",
                        help="pull-request mode: only findings not on this commit/branch fail "
                        "(in Actions on pull_request events: the base commit, unless `--base none`)")
    parser.add_argument("--category", help="SARIF category prefix (default: idp-scan)")
    parser.add_argument("--sarif", type=Path, metavar="FILE", help="write the SARIF log here")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the JSON report here")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text", help="standard output")
    parser.add_argument("--comment", choices=COMMENT_MODES, default=None,
                        help="sticky PR comment: auto (on pull requests, default), always or never")
    parser.add_argument("--repo", metavar="OWNER/NAME", help="repository of the PR comment")
    parser.add_argument("--pr", type=int, metavar="N", help="pull request of the comment (default: the event's)")
    parser.add_argument("--config", type=Path, metavar="FILE", help="idp configuration (default: .github/idp.yaml)")
    parser.add_argument("--download-db-only", action="store_true",
                        help="only download or refresh Trivy's vulnerability DB into --trivy-cache-dir, then exit")


def run(args: argparse.Namespace) -> int:
    """Scan, report everywhere, and exit 1 when the gate fails."""
    from idp_actions.scan import pipeline, report

    if args.download_db_only:
        return _download_db(args)
    mode = _comment_mode(args)  # checked before minutes of scanning, not after
    settings = settings_from(args)
    with gha.group(f"idp scan {settings.root}"):
        result = pipeline.scan(settings)
    _write_reports(args, result)
    changed = pipeline.changed_lines(settings, result)
    for note in (annotation for annotation in report.annotation_list(result, changed)):
        gha.annotate(note["level"], note["message"], file=note["file"], line=note["line"],
                     end_line=note["end_line"], title=note["title"])
    from idp_actions.comment import run_url

    gha.write_summary(report.markdown(result, run_url=run_url()))
    url = _comment(args, result, mode)
    gha.set_output("result", "passed" if result.verdict.passed else "failed")
    gha.set_output("findings", sum(1 for f in result.findings if f.suppressed is None))
    gha.set_output("failing", len(result.verdict.failing))
    gha.set_output("comment-url", url or "")
    print(f"idp scan: {result.verdict.headline}", file=sys.stderr)
    return 0 if result.verdict.passed else 1


def settings_from(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> ScanSettings:
    """The scan's settings: options, else action inputs, else .github/idp.yaml, else defaults."""
    from idp_actions.config import load_config
    from idp_actions.scan.settings import DEFAULT_CATEGORY, ScanSettings, parse_scanners, parse_threshold

    env = os.environ if environ is None else environ
    root = Path(args.path or gha.get_input("path") or ".").resolve()
    if not root.is_dir():
        raise UsageError(f"cannot scan {root}: not a directory", hint="pass the repository root as PATH")
    config_file = args.config or (Path(gha.get_input("config")) if gha.get_input("config") else None)
    config: IdpConfig = load_config(root, path=config_file)

    if args.severity_threshold:
        threshold = parse_threshold(args.severity_threshold)
    elif gha.get_input("severity-threshold"):
        threshold = parse_threshold(gha.get_input("severity-threshold"), source="input `severity-threshold`")
    else:
        threshold = config.scan_severity_threshold
    if args.scanners:
        scanners = parse_scanners(args.scanners)
    elif gha.get_input("scanners"):
        scanners = parse_scanners([gha.get_input("scanners")], source="input `scanners`")
    else:
        scanners = parse_scanners(config.scan_scanners, source=".github/idp.yaml `scan.scanners`")
    ignore_unfixed = args.ignore_unfixed
    if ignore_unfixed is None:
        ignore_unfixed = gha.get_bool_input("ignore-unfixed", default=config.scan_ignore_unfixed)
    exclude = (*config.scan_exclude, *args.exclude, *gha.get_multiline_input("exclude"))
    rules = tuple(args.rules) or tuple(Path(p) for p in gha.get_multiline_input("rules"))
    rules = tuple(p if p.is_absolute() else Path.cwd() / p for p in rules)
    for rule in rules:
        if not rule.exists():
            raise UsageError(f"Semgrep rules {rule} do not exist", hint="pass a rule file or a folder of rules")
    images = tuple(args.image) or tuple(gha.get_multiline_input("image"))
    images = tuple(_image(root, image) for image in images)
    cache = args.trivy_cache_dir or (Path(gha.get_input("trivy-cache-dir")) if gha.get_input("trivy-cache-dir")
                                     else None)
    skip_db_update = args.skip_db_update if args.skip_db_update is not None else gha.get_bool_input("skip-db-update")
    ignore_file = args.ignore_file or (Path(gha.get_input("ignore-file")) if gha.get_input("ignore-file") else None)
    if ignore_file is not None and not (ignore_file if ignore_file.is_absolute() else root / ignore_file).is_file():
        raise UsageError(f"ignore file {ignore_file} does not exist (relative paths are read from {root})")
    return ScanSettings(
        root=root,
        scanners=scanners,
        threshold=threshold,
        ignore_unfixed=bool(ignore_unfixed),
        exclude=tuple(dict.fromkeys(exclude)),
        rules=rules,
        images=images,
        trivy_cache_dir=cache.resolve() if cache else None,
        skip_db_update=bool(skip_db_update),
        ignore_file=ignore_file,
        category=args.category or gha.get_input("category") or DEFAULT_CATEGORY,
        base=(base := _base(args, env)),
        fetch_env=_fetch_env(env) if base else {},
    )


def _download_db(args: argparse.Namespace) -> int:
    from idp_actions.scan import trivy

    raw = args.trivy_cache_dir or (Path(gha.get_input("trivy-cache-dir")) if gha.get_input("trivy-cache-dir") else None)
    if raw is None:
        raise UsageError("--download-db-only needs --trivy-cache-dir DIR (input `trivy-cache-dir`)")
    with gha.group("trivy: download the vulnerability DB"):
        note = trivy.download_db(raw.resolve())
    print(note)
    gha.set_output("trivy-db", note)
    return 0


def _fetch_env(env: Mapping[str, str]) -> dict[str, str]:
    """Credentials for fetching the base commit, from the `github-token` input or GITHUB_TOKEN."""
    from idp_actions.scan.baseline import fetch_auth

    token = gha.get_input("github-token") or env.get("GITHUB_TOKEN", "")
    auth = fetch_auth(env.get("GITHUB_SERVER_URL", "https://github.com"), token)
    for value in auth.values():
        gha.mask(value.removeprefix("AUTHORIZATION: basic "))
    return auth


def _image(root: Path, image: str) -> str:
    """A tarball path relative to ``root`` (checked to exist), or a registry reference as given."""
    path = Path(image)
    candidate = path if path.is_absolute() else Path.cwd() / path
    if candidate.is_file():
        try:
            return candidate.resolve().relative_to(root).as_posix()
        except ValueError:
            return str(candidate.resolve())
    if image.endswith((".tar", ".tar.gz", ".tgz")):
        raise UsageError(f"image tarball {image} does not exist",
                         hint="build it first (docker save IMAGE -o image.tar, or `--output type=oci`)")
    return image


def _base(args: argparse.Namespace, env: Mapping[str, str]) -> str | None:
    """``--base``/input ``base``; in Actions on a pull request, the event's base commit."""
    value = (args.base or gha.get_input("base") or "").strip()
    if value.lower() == "none":
        return None
    if value and value.lower() != "auto":
        return value
    if env.get("GITHUB_EVENT_NAME") in ("pull_request", "pull_request_target") and env.get("GITHUB_EVENT_PATH"):
        try:
            payload = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
            sha = payload["pull_request"]["base"]["sha"]
        except (OSError, ValueError, KeyError, TypeError):
            raise UsageError("this pull_request event has no pull_request.base.sha to compare with",
                             hint="pass --base REF (input `base`), or `none` for a full scan") from None
        return str(sha)
    return None


def _write_reports(args: argparse.Namespace, result: ScanResult) -> None:
    from idp_actions.scan import report

    sarif_file = args.sarif or (Path(gha.get_input("sarif-file")) if gha.get_input("sarif-file") else None)
    json_file = args.json or (Path(gha.get_input("json-file")) if gha.get_input("json-file") else None)
    sarif_text = report.dumps(report.sarif(result, prefix=_prefix(Path(args.path or gha.get_input("path") or "."))))
    json_text = report.dumps(report.json_report(result))
    for path, text in ((sarif_file, sarif_text), (json_file, json_text)):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    gha.set_output("sarif-file", str(sarif_file or ""))
    gha.set_output("json-file", str(json_file or ""))
    output = {"text": report.text(result), "json": json_text, "sarif": sarif_text}[args.format]
    sys.stdout.write(output)


def _comment_mode(args: argparse.Namespace) -> str:
    """``--comment`` or the input `comment`: auto, always or never."""
    mode = args.comment or gha.get_input("comment") or "auto"
    if mode not in COMMENT_MODES:
        raise UsageError(f"input `comment` must be one of {', '.join(COMMENT_MODES)}, got {mode!r}")
    return mode


def _comment(args: argparse.Namespace, result: ScanResult, mode: str) -> str | None:
    """Write the sticky PR comment when asked (``always``) or on pull requests with a token (``auto``)."""
    from idp_actions import comment
    from idp_actions.github import api_errors, make_github, resolve_target
    from idp_actions.scan import report

    token = gha.get_input("github-token") or os.environ.get("GITHUB_TOKEN", "")
    number = args.pr
    if number is None and gha.get_input("pr-number"):
        raw = gha.get_input("pr-number")
        if not raw.isdigit():
            raise UsageError(f"input `pr-number` must be a pull-request number, got {raw!r}")
        number = int(raw)
    if mode == "never" or (mode == "auto" and not (token and (number or _pull_request_event()))):
        return None
    if token:
        gha.mask(token)
    target = resolve_target(repository=args.repo or gha.get_input("repository") or None, number=number)
    assert target.number is not None
    where = f"{target.full_name}#{target.number}"
    body = report.markdown(result, title="Security scan", top=10, detail=20, run_url=comment.run_url())
    key = f"{result.category}:{_relative(Path(args.path or gha.get_input('path') or '.'))}"
    with make_github(token=token or None) as gh:
        with api_errors(f"read {where}", permission="pull-requests: read"):
            issue = gh.get_repo(target.full_name).get_issue(target.number)
        with api_errors("find out which account the token belongs to"):
            author = _login(gh)
        with api_errors(f"write the security-scan comment on {where}", permission="pull-requests: write"):
            written = comment.upsert_comment(issue, purpose=report.COMMENT_PURPOSE, key=key, body=body,
                                             author=author, bots_only=author is None,
                                             hint=comment.full_text_hint())
    print(f"security-scan comment {written.action}: {written.url}", file=sys.stderr)
    return written.url


def _login(gh: Github) -> str | None:
    """The token's login, or None for tokens that cannot say (GITHUB_TOKEN, App tokens).

    Those tokens' comments are written by a bot account, so only bots' comments are taken for ours.
    """
    from github.GithubException import GithubException

    try:
        return str(gh.get_user().login)
    except GithubException as exc:
        if exc.status == 403:
            return None
        raise


def _prefix(path: Path) -> str:
    """The scanned folder relative to the working directory (the workspace in Actions), as a path prefix."""
    relative = _relative(path)
    return "" if relative in (".", "") or relative.startswith("/") else relative.rstrip("/") + "/"


def _pull_request_event() -> bool:
    return os.environ.get("GITHUB_EVENT_NAME") in ("pull_request", "pull_request_target")


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix() or "."
    except ValueError:
        return path.resolve().as_posix()
