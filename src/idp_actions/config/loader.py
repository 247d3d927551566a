"""Find the repository's configuration file, read it within limits, and validate it into an :class:`IdpConfig`."""

from __future__ import annotations

from pathlib import Path

from idp_actions.config.document import _decode, _parse_yaml
from idp_actions.config.explain import _schema_problems
from idp_actions.config.model import IdpConfig, defaults
from idp_actions.config.problems import ConfigValidationError
from idp_actions.config.schemas import _freeze, _schema, _with_defaults
from idp_actions.config.semantics import _implied, _semantic_problems
from idp_actions.errors import ConfigError

#: Where the file is looked for, relative to the repository root, in this order.
CANDIDATES = (".github/idp.yaml", ".github/idp.yml")
MAX_BYTES = 1024 * 1024  # a configuration file, not a data dump


def display_path(path: Path, repo_root: Path) -> str:
    """``path`` relative to ``repo_root`` with forward slashes when inside it, else as given."""
    try:
        return path.resolve().relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def find_config(repo_root: Path) -> Path | None:
    """``.github/idp.yaml`` or ``.github/idp.yml`` under ``repo_root``; an error when both exist."""
    found = [repo_root / name for name in CANDIDATES if (repo_root / name).is_file()]
    if len(found) > 1:
        raise ConfigError(
            "both .github/idp.yaml and .github/idp.yml exist",
            file=CANDIDATES[0],
            hint="keep one of them (idp reads only one) and delete the other",
        )
    return found[0] if found else None


def load_config(repo_root: Path, *, path: Path | None = None) -> IdpConfig:
    """Read, validate and complete the configuration of the repository at ``repo_root``.

    ``path`` (relative to ``repo_root`` unless absolute) names the file
    explicitly; it must then exist. Without it the file is looked for at
    :data:`CANDIDATES`, and a repository without one gets :func:`defaults`.
    """
    repo_root = Path(repo_root)
    explicit = path is not None
    if path is None:
        path = find_config(repo_root)
        if path is None:
            return defaults()
    elif not path.is_absolute():
        path = repo_root / path
    shown = display_path(path, repo_root)
    if not path.is_file():
        raise ConfigError(
            "file not found" if not path.exists() else "is not a regular file",
            file=shown,
            hint="pass the path of an existing YAML file, or leave --file out to use .github/idp.yaml",
        )
    if not explicit and not path.resolve().is_relative_to(repo_root.resolve()):
        raise ConfigError(
            "is a symbolic link to a file outside the repository",
            file=shown,
            hint="commit the configuration itself into the repository instead of a link to it",
        )
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot be read: {exc.strerror or exc}", file=shown) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(
            f"is larger than {MAX_BYTES // 1024} KiB",
            file=shown,
            hint="a configuration file this large is almost certainly not one; check the path",
        )
    return parse_config(raw, file=shown, source=path)


def parse_config(content: str | bytes, *, file: str = CANDIDATES[0], source: Path | None = None) -> IdpConfig:
    """Validate ``content`` (the text of an idp.yaml) and return the effective configuration.

    ``file`` is how messages name the file; ``source`` is stored on the result.
    """
    text = _decode(content, file) if isinstance(content, bytes) else content.removeprefix("\ufeff")
    data, lines = _parse_yaml(text, file)
    problems = _schema_problems(data, lines)
    if not problems:
        problems = _semantic_problems(data, lines)
    if problems:
        raise ConfigValidationError(problems, file=file)
    return IdpConfig(source=source, data=_freeze(_implied(_with_defaults(_schema(), data))))
