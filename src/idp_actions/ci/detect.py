"""What kind of project a repository is, and how its own tests run (pure).

Service CI runs a repository's tests without being told how, the way a person
new to the repository would guess: the files at its root say the language, and
the language's own conventions say the commands. Everything here reads files
and decides; :mod:`idp_actions.commands.test` runs the decision.

=========  ===========================================  ==============================
language   recognised by                                runs
=========  ===========================================  ==============================
python     pyproject.toml, setup.py, setup.cfg,         dependencies (requirements
           requirements.txt                             files or the project's extras),
                                                        then pytest or unittest
node       package.json                                 ``npm ci`` (or ``npm install``
                                                        without a lockfile), ``npm test``
go         go.mod                                       ``go vet ./...``, ``go test ./...``
=========  ===========================================  ==============================
"""

from __future__ import annotations

import json
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idp_actions.errors import IdpError, UsageError

LANGUAGES = ("python", "node", "go")
MARKERS: Mapping[str, tuple[str, ...]] = {
    "python": ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt"),
    "node": ("package.json",),
    "go": ("go.mod",),
}
#: The file each language's setup action reads its version from, first found wins.
VERSION_FILES: Mapping[str, tuple[str, ...]] = {
    "python": (".python-version",),
    "node": (".nvmrc", ".node-version"),
    "go": ("go.mod",),
}
#: What `npm init` writes as the test script: a project that never wrote tests.
NPM_PLACEHOLDER_TEST = 'echo "Error: no test specified" && exit 1'


class DetectError(IdpError):
    """The repository's language or test commands cannot be worked out."""


@dataclass(frozen=True, kw_only=True)
class Step:
    """One command of a test plan: what it is called, its argv and extra environment."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)

    def shown(self) -> str:
        """The command as a person would type it, on one line (control characters escaped).

        It goes into log lines and group titles, where a raw newline could start a
        workflow command.
        """
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items()))
        text = (prefix + " " if prefix else "") + shlex.join(self.argv)
        return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


@dataclass(frozen=True, kw_only=True)
class Project:
    """A detected project: its language, the files that said so, and its version file."""

    language: str
    markers: tuple[str, ...]
    version_file: str = ""


@dataclass(frozen=True, kw_only=True)
class TestPlan:
    """The commands that install a project's test dependencies and run its tests."""

    project: Project
    steps: tuple[Step, ...]


def detect(root: Path, language: str = "auto") -> Project:
    """The project at ``root``; ``language`` other than ``auto`` is checked, not guessed."""
    if not root.is_dir():
        raise DetectError(f"{root} is not a directory", hint="give the repository's (or a project's) directory")
    found = {lang: tuple(m for m in markers if (root / m).is_file()) for lang, markers in MARKERS.items()}
    found = {lang: markers for lang, markers in found.items() if markers}
    if language != "auto":
        if language not in LANGUAGES:
            raise UsageError(
                f"unknown language {language!r}",
                hint=f"choose one of auto, {', '.join(LANGUAGES)}",
            )
        if language not in found:
            raise DetectError(
                f"{root} has none of {', '.join(MARKERS[language])}, so it is not a {language} project",
                hint="point `working-directory` at the project, or set `language` to what it is",
            )
        chosen = language
    elif not found:
        raise DetectError(
            f"cannot tell the language of {root}: it has no "
            + ", ".join(m for markers in MARKERS.values() for m in markers),
            hint="set `language` (python, node or go) and `test-command`, or point `working-directory` at the project",
        )
    elif len(found) > 1:
        raise DetectError(
            f"{root} looks like several projects at once ("
            + "; ".join(f"{lang}: {', '.join(markers)}" for lang, markers in found.items())
            + ")",
            hint="set `language` to the one whose tests service CI should run",
        )
    else:
        chosen = next(iter(found))
    version_file = next((name for name in VERSION_FILES[chosen] if (root / name).is_file()), "")
    return Project(language=chosen, markers=found[chosen], version_file=version_file)


def plan(root: Path, project: Project, *, command: str = "", python: str = "python") -> TestPlan:
    """How to test ``project``: ``command`` (split like a shell would, never run by one) wins."""
    if command.strip():
        try:
            argv = tuple(shlex.split(command))
        except ValueError as exc:
            raise UsageError(
                f"`test-command` cannot be split into words: {exc}",
                hint="quote it as you would in a shell; it is run directly, without a shell",
            ) from exc
        env = _src_layout_env(root) if project.language == "python" else {}
        return TestPlan(project=project, steps=(Step(name="test", argv=argv, env=env),))
    if project.language == "python":
        steps = _python(root, python)
    elif project.language == "node":
        steps = _node(root)
    else:
        steps = (Step(name="vet", argv=("go", "vet", "./...")), Step(name="test", argv=("go", "test", "./...")))
    return TestPlan(project=project, steps=steps)


# ------------------------------------------------------------------ python


def _pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DetectError(f"{path} is not valid TOML: {exc}", hint="fix the file; pip would refuse it too") from exc


def _src_layout_env(root: Path) -> dict[str, str]:
    """A Python src/ layout that is not installed is importable through PYTHONPATH."""
    return {"PYTHONPATH": "src"} if (root / "src").is_dir() else {}


def _python(root: Path, python: str) -> tuple[Step, ...]:
    pyproject = _pyproject(root)
    meta = pyproject.get("project") if isinstance(pyproject.get("project"), dict) else {}
    assert isinstance(meta, dict)
    extras = meta.get("optional-dependencies") if isinstance(meta.get("optional-dependencies"), dict) else {}
    assert isinstance(extras, dict)
    requirements = [name for name in ("requirements.txt", "requirements-dev.txt", "requirements-test.txt")
                    if (root / name).is_file()]
    steps: list[Step] = []
    installed = False
    if requirements:
        argv: list[str] = [python, "-m", "pip", "install"]
        for name in requirements:
            argv += ["-r", name]
        steps.append(Step(name="dependencies", argv=tuple(argv)))
    wanted = [name for name in ("test", "tests", "dev") if name in extras]
    if meta.get("dependencies") or wanted:
        target = "." + (f"[{','.join(wanted)}]" if wanted else "")
        steps.append(Step(name="install", argv=(python, "-m", "pip", "install", "-e", target)))
        installed = True
    declared = " ".join(
        str(item)
        for group in [meta.get("dependencies") or [], *[extras[name] for name in wanted]]
        for item in group
    ).lower()
    requirement_text = " ".join((root / name).read_text(encoding="utf-8", errors="replace").lower()
                                for name in requirements)
    uses_pytest = (
        (root / "pytest.ini").is_file()
        or (root / "conftest.py").is_file()
        or (root / "tests" / "conftest.py").is_file()
        or "pytest" in (pyproject.get("tool") or {})
        or "pytest" in declared
        or "pytest" in requirement_text
    )
    env = {} if installed else _src_layout_env(root)
    if uses_pytest:
        steps.append(Step(name="test", argv=(python, "-m", "pytest"), env=env))
    else:
        start = "tests" if (root / "tests").is_dir() else "."
        steps.append(Step(name="test", argv=(python, "-m", "unittest", "discover", "-s", start, "-v"), env=env))
    return tuple(steps)


# -------------------------------------------------------------------- node


def _node(root: Path) -> tuple[Step, ...]:
    path = root / "package.json"
    try:
        package = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DetectError(f"{path} is not valid JSON: {exc}", hint="fix the file; npm would refuse it too") from exc
    scripts = package.get("scripts") if isinstance(package, dict) else None
    test = scripts.get("test") if isinstance(scripts, dict) else None
    if not isinstance(test, str) or not test.strip() or test.strip() == NPM_PLACEHOLDER_TEST:
        raise DetectError(
            f"{path} has no test script",
            hint='add one ("scripts": {"test": "node --test"}) or set `test-command`',
        )
    if (root / "package-lock.json").is_file() or (root / "npm-shrinkwrap.json").is_file():
        install = Step(name="dependencies", argv=("npm", "ci", "--no-audit", "--no-fund"))
    else:
        install = Step(name="dependencies", argv=("npm", "install", "--no-audit", "--no-fund"))
    return (install, Step(name="test", argv=("npm", "test")))
