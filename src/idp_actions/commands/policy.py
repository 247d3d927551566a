"""``idp policy``: check inputs against the policy library, test policies, bundle them for admission.

``idp policy check PATH...`` evaluates Kubernetes manifests (kustomize directories
and Helm charts rendered), Terraform plans, Dockerfiles and workflows with real OPA
— one evaluation per kind of input — and exits 0 when clean or only warned, 1 on a
deny (or an input that could not be checked, or an expired exception), 2 on a
usage or configuration error. ``idp policy test [DIR...]`` runs the checks every
policy folder must pass (the same command CI runs); ``idp policy bundle`` writes
what a cluster needs to enforce the same policies at admission.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from idp_actions.errors import ConfigError, ToolError, UsageError

if TYPE_CHECKING:
    from idp_actions.policy.engine import Result
    from idp_actions.policy.sets import Selection

COMMENT_PURPOSE = "policy-check"
#: A Kubernetes namespace name (an RFC 1123 label).
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


class PolicyUsageError(UsageError):
    """A wrong command line for ``idp policy`` (exit code 2)."""

    exit_code = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise PolicyUsageError(f"{self.prog}: {message}", hint=f"run `{self.prog} --help` for usage")


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``idp policy check|test|bundle``."""
    # Usage errors of `idp policy` itself exit 2 as well (the CLI's own parser class exits 1).
    parser.__class__ = _Parser
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)

    check = actions.add_parser(
        "check",
        help="check manifests, kustomize dirs, Helm charts, Terraform plans, Dockerfiles and workflows",
        description="Evaluate the policy sets (and your own policies) over PATH... with real OPA. "
        "Exit 0 when clean or only warned, 1 on a deny, 2 on a usage or configuration error.",
    )
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or directories (default: .)")
    _selection_args(check)
    check.add_argument("--exceptions", type=Path, metavar="FILE",
                       help="policy exceptions file (default: policy-exceptions.yaml when it exists)")
    check.add_argument("--format", choices=("text", "json", "sarif", "junit"), default="text",
                       help="report format (default: text)")
    check.add_argument("--output", type=Path, metavar="FILE", help="write the report here instead of stdout")
    check.add_argument("--comment", action="store_true",
                       help="also write the summary as a sticky pull-request comment (needs GITHUB_TOKEN)")
    check.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                       help="skip paths matching GLOB, relative to the repository (repeatable; adds to "
                       "policy.exclude)")
    check.add_argument("--namespace", metavar="NS",
                       help="namespace for namespaced objects that name none (as `kubectl apply -n NS`)")

    test = actions.add_parser(
        "test",
        help="opa check --strict, opa test, gator verify and the samples of every policy folder",
        description="Run every check a policy directory must pass: its layout (samples, a suite or tests), "
        "opa check --strict, opa test, gator verify over Kubernetes suites, and the conftest-style samples "
        "(expected.out). Default: the library's policies/kubernetes, terraform, docker and workflows.",
    )
    test.add_argument("dirs", nargs="*", type=Path, metavar="DIR", help="policy directories")

    bundle = actions.add_parser(
        "bundle",
        help="write the sets' ConstraintTemplates and Constraints as a kustomization, plus an OPA bundle",
        description="Write what admission needs to enforce exactly what `idp policy check` checks: a "
        "kustomization of ConstraintTemplates and Constraints, and an OPA bundle of the other policies.",
    )
    _selection_args(bundle)
    bundle.add_argument("--output", type=Path, required=True, metavar="DIR", help="a new (or empty) directory")


def _selection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME",
                        help="policy set to apply (repeatable; default: policy.sets in .github/idp.yaml, else "
                        "baseline; `none` for only your own policies)")
    parser.add_argument("--policy-dir", dest="policy_dirs", action="append", default=[], type=Path,
                        metavar="DIR", help="your own policies: Gatekeeper templates and constraints, "
                        "conftest-style Rego (repeatable; adds to policy.extra-policies)")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="read this file instead of .github/idp.yaml")


def run(args: argparse.Namespace) -> int:
    """Run ``idp policy <action>``."""
    try:
        if args.action == "check":
            return _check(args)
        if args.action == "test":
            return _test(args)
        if args.action == "bundle":
            return _bundle(args)
    except (ConfigError, ToolError, UsageError) as exc:
        # A usage, configuration or environment problem, never a policy verdict: exit 2 (1 means "denied").
        exc.exit_code = 2
        raise
    raise PolicyUsageError("idp policy needs an action: check, test or bundle",
                           hint="run `idp policy --help` for usage")


# ------------------------------------------------------------------- selection


def _select(args: argparse.Namespace, base: Path) -> tuple[Selection, dict[str, Any]]:
    """The selection from the command line and ``.github/idp.yaml``, and the config's policy section."""
    from idp_actions.config import load_config
    from idp_actions.policy import library, sets

    config = load_config(base, path=args.config.absolute() if args.config else None)
    section: dict[str, Any] = dict(config.as_dict().get("policy") or {})
    chosen = list(args.sets) or list(section.get("sets") or []) or ["baseline"]
    if sets.NO_SETS in chosen and len(chosen) > 1:
        raise PolicyUsageError(f"--set {sets.NO_SETS} cannot be combined with other sets")
    extra = [base / p for p in section.get("extra-policies") or []]
    lib = library.Library(root=library.library_root(), base=base)
    selection = sets.select(
        lib,
        chosen,
        parameters={k: dict(v) for k, v in (section.get("parameters") or {}).items()},
        enforcement=str(section.get("enforcement") or "deny"),
        user_dirs=[*extra, *[p if p.is_absolute() else base / p for p in args.policy_dirs]],
        base=base,
    )
    return selection, section


# ----------------------------------------------------------------------- check


def _check(args: argparse.Namespace) -> int:
    from datetime import date

    from idp_actions import gha
    from idp_actions.policy import engine, inputs, render, report

    base = Path.cwd()
    if args.namespace is not None and not _DNS_LABEL.fullmatch(args.namespace):
        raise PolicyUsageError(
            f"--namespace `{args.namespace}` is not a Kubernetes namespace name",
            hint="lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
        )
    selection, section = _select(args, base)
    exception_list = _exceptions(args.exceptions, base)
    paths = list(args.paths) or [Path()]
    how = inputs.Discovery(
        base=base,
        exclude=[*list(section.get("exclude") or []), *args.exclude],
        skip=[*[base / p for p in section.get("extra-policies") or []], *args.policy_dirs],
        helm=render.helm_binary(),
        namespace=args.namespace,
    )
    with gha.group(f"idp policy check: {', '.join(str(p) for p in paths)}"):
        found = inputs.discover(paths, how)
        result = engine.check(found, selection, exceptions=exception_list, today=date.today())
    rendered = report.render(result, args.format)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(rendered, encoding="utf-8")
        print(report.headline(result), file=sys.stderr)
    else:
        sys.stdout.write(rendered)
        if args.format != "text":
            print(report.headline(result), file=sys.stderr)
    if gha.in_actions():
        report.annotate(result)
        gha.write_summary(report.summary(result))
    _outputs(result, args.output)
    if args.comment:
        _comment(report.summary(result), key=" ".join(str(p) for p in paths))
    return result.exit_code


def _exceptions(path: Path | None, base: Path) -> list[Any]:
    from idp_actions.policy import exceptions, library

    if path is None:
        default = base / exceptions.DEFAULT_FILE
        if not default.is_file():
            return []
        path = default
    elif not path.is_file():
        raise ConfigError("exceptions file not found", file=str(path),
                          hint="pass an existing file to --exceptions, or leave it out")
    return exceptions.load(path, shown=library.display(path, base))


def _outputs(result: Result, output: Path | None) -> None:
    from idp_actions import gha

    gha.set_output("result", "failed" if result.exit_code else "passed")
    gha.set_output("denied", str(len(result.denied)))
    gha.set_output("warnings", str(sum(1 for v in result.violations if v.enforcement == "warn" and not v.excepted_by)))
    if output is not None:
        gha.set_output("report", str(output))


def _comment(body: str, *, key: str) -> None:
    from idp_actions import comment, gha
    from idp_actions.github import api_errors, make_github, resolve_target

    target = resolve_target(number=None)
    assert target.number is not None
    token = gha.get_input("github-token") or None
    if token:
        gha.mask(token)
    key = key.strip() or "."
    if len(key) > comment.MAX_KEY_LENGTH:
        import hashlib

        key = "paths:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    where = f"{target.full_name}#{target.number}"
    with make_github(token=token) as gh:
        with api_errors(f"read {where}", permission="pull-requests: read"):
            issue = gh.get_repo(target.full_name).get_issue(target.number)
        author, bots_only = _identity(gh)
        with api_errors(f"write the policy-check comment on {where}", permission="pull-requests: write"):
            done = comment.upsert_comment(
                issue, purpose=COMMENT_PURPOSE, key=key, body=body, author=author, bots_only=bots_only,
                hint=comment.full_text_hint(),
            )
    print(f"{done.action}: {done.url}", file=sys.stderr)


def _identity(gh: Any) -> tuple[str | None, bool]:
    """The token's login; any bot when the token cannot say (GITHUB_TOKEN, App tokens get 403 on /user)."""
    from github.GithubException import GithubException

    try:
        return gh.get_user().login, False
    except GithubException as exc:
        if exc.status == 403:
            return None, True
        raise


# ------------------------------------------------------------------------ test


def _test(args: argparse.Namespace) -> int:
    from idp_actions import gha
    from idp_actions.policy import library, verify

    base = Path.cwd()
    directories: Sequence[Path] = list(args.dirs)
    if not directories:
        root = library.library_root() / "policies"
        directories = [root / area for area in ("kubernetes", "terraform", "docker", "workflows")
                       if (root / area).is_dir() and any((root / area).iterdir())]
    failed = 0
    for step in verify.run(list(directories), base):
        mark = "ok  " if step.ok else "FAIL"
        timing = f" ({step.seconds:.1f}s)" if step.seconds else ""
        print(f"{mark} {step.name}{timing}")
        if not step.ok:
            failed += 1
            print("\n".join(f"     {line}" for line in step.detail.splitlines()))
            if gha.in_actions():
                gha.error(f"{step.name} failed", title="idp policy test")
    print(f"{'FAILED' if failed else 'passed'}: {failed} of the checks failed" if failed else "passed: every check")
    return 1 if failed else 0


# ---------------------------------------------------------------------- bundle


def _bundle(args: argparse.Namespace) -> int:
    from idp_actions.policy import bundle, library

    base = Path.cwd()
    if not args.sets:
        raise PolicyUsageError("idp policy bundle needs --set NAME (repeatable)",
                               hint="for example: idp policy bundle --set production --output deploy/policies")
    selection, _ = _select(args, base)
    output = args.output if args.output.is_absolute() else base / args.output
    description = bundle.write(selection, output, base=base, library_root=library.library_root())
    shown = library.display(output, base)
    print(
        f"wrote {shown}: {len(description['templates'])} ConstraintTemplates, "
        f"{len(description['constraints'])} Constraints"
        + (f", policies.tar.gz with {len(description['opaBundle']['modules'])} modules"
           if description["opaBundle"]["file"] else "")
        + f" (sets: {', '.join(description['sets']) or 'none'})"
    )
    print(f"apply with: kubectl apply -k {shown}   (Gatekeeper must be installed)")
    return 0
