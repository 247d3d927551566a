"""Options of ``idp terraform`` from the command line, the action's inputs and ``.github/idp.yaml``.

Precedence: a command-line option, else the action input of the same meaning
(``INPUT_*``), else the configuration file, else the default. List options
(var files, variables, backend config) *add to* what the configuration lists for
the root. Parsed once here, at the edge, into :class:`~.operations.Options`.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from idp_actions import gha
from idp_actions.errors import UsageError
from idp_actions.terraform import roots
from idp_actions.terraform.operations import Options

HASH_KEY_ENV = "IDP_PLAN_HASH_KEY"


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """``--root``, ``--workspace`` and everything that says how to run the tool in it."""
    parser.add_argument("--root", help="root module directory, relative to the repository (input `root`)")
    parser.add_argument("--workspace", help="workspace (input `workspace`; default: default)")
    parser.add_argument("--repo-root", type=Path, help="repository root (default: GITHUB_WORKSPACE, else .)")
    parser.add_argument("--binary", help="tofu or terraform (input `binary`; default: terraform.binary)")
    parser.add_argument(
        "--var-file", action="append", default=[], metavar="FILE",
        help="-var-file, relative to the root (repeatable; input `var-files`, one per line)",
    )
    parser.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE",
        help="-var (repeatable; input `vars`, one per line)",
    )
    parser.add_argument(
        "--backend-config", action="append", default=[], metavar="FILE|KEY=VALUE",
        help="-backend-config for init (repeatable; input `backend-config`, one per line)",
    )
    parser.add_argument("--lock-timeout", help="how long to wait for the state lock (input `lock-timeout`; 5m)")
    parser.add_argument("--out-dir", type=Path, help="where plan files go (input `out-dir`)")
    parser.add_argument("--destroy", action="store_true", help="plan to destroy everything (input `destroy`)")
    parser.add_argument("--policy", choices=("auto", "on", "off"), help="run `idp policy check` (input `policy`)")


def repo_root(args: argparse.Namespace) -> Path:
    """The repository root: ``--repo-root``, else ``GITHUB_WORKSPACE``, else the current directory."""
    chosen = args.repo_root or Path(os.environ.get("GITHUB_WORKSPACE") or ".")
    if not chosen.is_dir():
        raise UsageError(f"repository root {chosen} is not a directory")
    return chosen.resolve()


def has_inputs() -> bool:
    """True when any action input is set; without one, reading inputs (and importing the toolkit) is skipped."""
    return any(name.startswith("INPUT_") for name in os.environ)


def get_input(name: str) -> str:
    """The action input ``name``, or ``""`` (cheaply) when no input is set at all."""
    return gha.get_input(name) if has_inputs() else ""


def bool_input(name: str) -> bool:
    """The boolean input ``name`` (false when no input is set at all)."""
    return has_inputs() and gha.get_bool_input(name)


def multiline_input(name: str) -> list[str]:
    """The multi-line input ``name`` (empty when no input is set at all)."""
    return gha.get_multiline_input(name) if has_inputs() else []


def text(args: argparse.Namespace, name: str, input_name: str | None = None, default: str = "") -> str:
    """``--name`` or the input ``input_name`` (default: the option's name in kebab-case) or ``default``."""
    value = getattr(args, name.replace("-", "_"), None)
    if value:
        return str(value)
    return get_input(input_name or name) or default


def flag(args: argparse.Namespace, name: str) -> bool:
    """A switch given as ``--name`` or as the boolean input ``name``."""
    return bool(getattr(args, name.replace("-", "_"), False)) or (has_inputs() and gha.get_bool_input(name))


def lines(args: argparse.Namespace, name: str, input_name: str) -> tuple[str, ...]:
    """A repeatable option plus the multi-line input ``input_name``."""
    extra = gha.get_multiline_input(input_name) if has_inputs() else []
    return (*getattr(args, name.replace("-", "_")), *extra)


def event() -> Mapping[str, Any]:
    """The workflow's event payload, or an empty mapping outside Actions."""
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def head_commit() -> str | None:
    """The commit being planned: a pull request's head, else ``GITHUB_SHA``."""
    pull = event().get("pull_request")
    if isinstance(pull, Mapping) and isinstance(pull.get("head"), Mapping):
        sha = pull["head"].get("sha")
        if isinstance(sha, str) and sha:
            return sha
    return os.environ.get("GITHUB_SHA") or None


def default_out_dir(root: Path, key_slug: str) -> Path:
    """``$RUNNER_TEMP/idp-terraform/<slug>`` in Actions, else ``.idp/terraform/<slug>`` in the repository."""
    runner_temp = os.environ.get("RUNNER_TEMP")
    if runner_temp:
        return Path(runner_temp) / "idp-terraform" / key_slug
    return root / ".idp" / "terraform" / key_slug


def options(args: argparse.Namespace, *, require_root: bool = True) -> Options:
    """The options of one root and workspace."""
    from idp_actions.comment import run_url
    from idp_actions.config import load_config

    root_path = repo_root(args)
    config = load_config(root_path)
    root = text(args, "root")
    if not root:
        if require_root:
            raise UsageError(
                "no root: pass --root DIR (input `root`)",
                hint="the root module's directory relative to the repository, e.g. infra/prod",
            )
        root = "."
    configured = [
        roots.RootSpec(
            path=item.path, workspaces=item.workspaces, var_files=item.var_files, backend_config=item.backend_config
        )
        for item in config.terraform_roots
    ]
    base = roots.spec_for(root, configured)
    workspace = text(args, "workspace", default="default")
    spec = roots.RootSpec(
        path=base.path,
        workspaces=base.workspaces,
        var_files=(*base.var_files, *lines(args, "var_file", "var-files")),
        backend_config=(*base.backend_config, *lines(args, "backend_config", "backend-config")),
    )
    target = roots.Target(root=roots.clean(spec.path), workspace=workspace)
    out_dir = args.out_dir or (Path(get_input("out-dir")) if get_input("out-dir") else None)
    key = os.environ.get(HASH_KEY_ENV) or get_input("plan-hash-key")
    if key:
        gha.mask(key)
    policy = args.policy or get_input("policy") or "auto"
    return Options(
        repo_root=root_path,
        spec=spec,
        workspace=workspace,
        out_dir=out_dir or default_out_dir(root_path, target.slug),
        variables=lines(args, "var", "vars"),
        binary=text(args, "binary", default=config.terraform_binary),
        lock_timeout=text(args, "lock-timeout", default="5m"),
        destroy=flag(args, "destroy"),
        policy=policy,
        hash_key=key.encode("utf-8") if key else None,
        commit=head_commit(),
        run_id=os.environ.get("GITHUB_RUN_ID") or None,
        run_url=run_url(),
    )
