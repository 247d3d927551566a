"""``idp config``: validate or show ``.github/idp.yaml``, or print its JSON Schema."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from idp_actions.config import IdpConfig


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``idp config validate|show|schema``."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    validate = actions.add_parser(
        "validate",
        help="check .github/idp.yaml against the schema; exit 1 naming every problem",
        description="Check .github/idp.yaml against the published schema. Exits 0 when it is valid "
        "(or absent: the defaults apply) and 1 with every problem, its line and key path.",
    )
    _common(validate)

    show = actions.add_parser(
        "show",
        help="print the effective configuration, defaults filled in",
        description="Print the effective configuration: the file's values over the schema's defaults.",
    )
    _common(show)
    show.add_argument(
        "--format", choices=("yaml", "json"), default="yaml", help="output format (default: yaml)"
    )

    schema = actions.add_parser(
        "schema",
        help="print the JSON Schema of .github/idp.yaml",
        description="Print the JSON Schema (draft 2020-12) that .github/idp.yaml is validated against.",
    )
    schema.add_argument("--path", action="store_true", help="print where the schema is, not its content")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo", type=Path, default=Path(), metavar="DIR", help="repository root (default: .)"
    )
    parser.add_argument(
        "--file",
        type=Path,
        metavar="FILE",
        help="read this file instead of DIR/.github/idp.yaml (relative to the current directory)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``idp config <action>``."""
    if args.action == "schema":
        return _schema(args)
    if args.action == "show":
        return _show(args)
    return _validate(args)


def _load(args: argparse.Namespace) -> tuple[IdpConfig, str | None]:
    from idp_actions.config import display_path, load_config

    repo: Path = args.repo
    file: Path | None = args.file.absolute() if args.file is not None else None
    config = load_config(repo, path=file)
    shown = display_path(config.source, repo) if config.source is not None else None
    return config, shown


def _validate(args: argparse.Namespace) -> int:
    from idp_actions import gha
    from idp_actions.config import ConfigValidationError
    from idp_actions.errors import ConfigError

    try:
        _, shown = _load(args)
    except ConfigError as exc:
        if not gha.in_actions():
            raise
        # In a workflow each problem becomes an annotation on its line of the file.
        problems = exc.problems if isinstance(exc, ConfigValidationError) else None
        if problems:
            for problem in problems:
                text = f"`{problem.dotted}`: {problem.message}" if problem.path else problem.message
                gha.error(
                    f"{text}\nhint: {problem.hint}" if problem.hint else text,
                    file=exc.file,
                    line=problem.line,
                    title="invalid idp configuration",
                )
        else:
            gha.error(str(exc), file=exc.file, line=exc.line, title="invalid idp configuration")
        return exc.exit_code
    if shown is None:
        print(f"ok: no .github/idp.yaml in {args.repo}; the defaults apply (see `idp config show`)")
    else:
        print(f"ok: {shown} is valid")
    return 0


def _show(args: argparse.Namespace) -> int:
    config, shown = _load(args)
    data = config.as_dict()
    if args.format == "json":
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return 0
    import yaml

    origin = shown or "no .github/idp.yaml: defaults only"
    sys.stdout.write(f"# effective idp configuration ({origin})\n")
    sys.stdout.write(yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True))
    return 0


def _schema(args: argparse.Namespace) -> int:
    from importlib import resources

    from idp_actions.config import SCHEMA_RESOURCE, schema_text

    if args.path:
        resource = resources.files("idp_actions").joinpath(SCHEMA_RESOURCE)
        with resources.as_file(resource) as path:
            print(path)
        print(json.loads(schema_text())["$id"])
        return 0
    sys.stdout.write(schema_text())
    return 0
