"""GitHub Actions workflow commands, over actions-toolkit.

Inputs, outputs, the step summary, annotations, masking and log groups. Every
function works outside Actions too (locally, in tests): outputs and the summary
are skipped when the runner's files are absent, annotations become plain lines.

actions-toolkit is imported lazily: it pulls in ``requests`` and costs a few
hundred milliseconds that ``idp --version`` should not pay.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from idp_actions.errors import InputError

#: GitHub's limit for one step's summary (GITHUB_STEP_SUMMARY), in bytes.
SUMMARY_LIMIT = 1024 * 1024
TRUNCATION_NOTICE = (
    "\n\n> [!WARNING]\n> This summary was truncated to fit GitHub's 1 MiB step-summary limit; "
    "the full report is in the job log and the workflow's artifacts.\n"
)

Level = Literal["error", "warning", "notice"]


def _core() -> Any:
    from actions_toolkit import core

    return core


def in_actions() -> bool:
    """True when running inside a GitHub Actions (or act) job."""
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _env_name(name: str) -> str:
    return name.replace("-", "_").replace(" ", "_").upper()


# --------------------------------------------------------------------- inputs


def _raw_input(name: str, *, trim: bool) -> str:
    value: str = _core().get_input(_env_name(name), trim_whitespace=trim)
    if not value and "-" in name:
        # JavaScript and Docker actions get the runner's own spelling, dashes kept
        # (INPUT_SEVERITY-THRESHOLD); composite actions pass inputs through env: with
        # underscores. Both are read so an input arrives either way.
        value = os.environ.get(f"INPUT_{name.replace(' ', '_').upper()}", "")
        value = value.strip() if trim else value
    return value


def get_input(name: str, *, required: bool = False, default: str = "", trim: bool = True) -> str:
    """The input ``name`` (kebab-case, read from ``INPUT_NAME``) or ``default``.

    A required input that is missing or empty (whitespace only counts as empty)
    raises :class:`InputError` naming it.
    """
    value = _raw_input(name, trim=trim)
    if required and not value.strip():
        raise InputError(
            f"input `{name}` is required but was not supplied",
            hint=f"set `with: {name}: …` on the step (or env INPUT_{_env_name(name)} locally)",
        )
    return value or default


_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")


def get_bool_input(name: str, *, default: bool = False) -> bool:
    """A YAML 1.2 core-schema boolean input (true/True/TRUE/false/False/FALSE)."""
    raw = get_input(name)
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise InputError(
        f"input `{name}` must be a boolean, got {raw!r}",
        hint="use one of: true, True, TRUE, false, False, FALSE",
    )


def get_multiline_input(name: str, *, required: bool = False) -> list[str]:
    """A multi-line input as a list of its non-empty, trimmed lines."""
    raw = get_input(name, required=required)
    return [line.strip() for line in raw.splitlines() if line.strip()]


def get_int_input(name: str, *, default: int, minimum: int | None = None) -> int:
    """An integer input, optionally with a lower bound."""
    raw = get_input(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"input `{name}` must be a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise InputError(f"input `{name}` must be at least {minimum}, got {value}")
    return value


def get_choice_input(name: str, choices: tuple[str, ...], *, default: str) -> str:
    """An input restricted to ``choices``; the error lists the allowed values."""
    value = get_input(name) or default
    if value not in choices:
        raise InputError(
            f"input `{name}` must be one of {', '.join(choices)}; got {value!r}",
        )
    return value


# -------------------------------------------------------------------- outputs


def set_output(name: str, value: object) -> None:
    """Set a step output through ``GITHUB_OUTPUT`` with a random heredoc delimiter.

    Any value — newlines, ``EOF``, ``x=y`` — arrives as exactly one output.
    Non-strings are JSON-encoded. Outside Actions this does nothing.
    """
    if not name or any(c in name for c in "=\r\n") or "<<" in name:
        raise ValueError(f"invalid output name {name!r}: it would corrupt GITHUB_OUTPUT")
    if not os.environ.get("GITHUB_OUTPUT"):
        return
    _core().set_output(name, value)


def export_variable(name: str, value: str) -> None:
    """Set an environment variable for this and later steps (``GITHUB_ENV``)."""
    if os.environ.get("GITHUB_ENV"):
        _core().export_variable(name, value)
    else:
        os.environ[name] = value


def add_path(directory: str | os.PathLike[str]) -> None:
    """Prepend ``directory`` to PATH for this and later steps (``GITHUB_PATH``)."""
    directory = os.fspath(directory)
    if os.environ.get("GITHUB_PATH"):
        _core().add_path(directory)
    else:
        os.environ["PATH"] = f"{directory}{os.pathsep}{os.environ.get('PATH', '')}"


# -------------------------------------------------------------------- masking


def mask(secret: str) -> None:
    """Mask ``secret`` in the job log, every line of a multi-line value included.

    The runner masks line by line, so a multi-line secret registered whole would
    leak: each non-blank line is registered on its own. Outside Actions nothing
    is printed (masking commands would only echo the secret to a terminal).
    """
    if not secret or not in_actions():
        return
    seen: set[str] = set()
    for line in [secret, *secret.splitlines()]:
        line = line.strip("\r")
        if line.strip() and line not in seen and "\n" not in line:
            seen.add(line)
            _core().set_secret(line)


# ---------------------------------------------------------------- annotations


def annotate(
    level: Level,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    end_line: int | None = None,
    title: str | None = None,
) -> None:
    """An error, warning or notice annotation, attached to ``file:line`` when given.

    Outside Actions it prints ``file:line: level: message`` to stderr.
    """
    if not in_actions():
        where = f"{file}:{line}: " if file and line else f"{file}: " if file else ""
        print(f"{where}{level}: {title + ': ' if title else ''}{message}", file=sys.stderr)
        return
    # Written through the toolkit's command encoder rather than core.error(), which
    # sends every property, unset ones as empty values (`title=,col=,endColumn=`).
    props: dict[str, Any] = {}
    if title:
        props["title"] = title
    if file:
        props["file"] = file
    if line is not None:
        props["line"] = line
        props["endLine"] = end_line if end_line is not None else line
    from actions_toolkit.command import issue_command

    issue_command(level, props, message)


def error(message: str, **where: Any) -> None:
    """An error annotation (see :func:`annotate`)."""
    annotate("error", message, **where)


def warning(message: str, **where: Any) -> None:
    """A warning annotation (see :func:`annotate`)."""
    annotate("warning", message, **where)


def notice(message: str, **where: Any) -> None:
    """A notice annotation (see :func:`annotate`)."""
    annotate("notice", message, **where)


# --------------------------------------------------------------------- groups


@contextmanager
def group(title: str) -> Iterator[None]:
    """A collapsible ``::group::`` in Actions logs; a plain heading elsewhere."""
    if in_actions():
        _core().start_group(title)
    else:
        print(f"== {title}", file=sys.stderr)
    try:
        yield
    finally:
        if in_actions():
            _core().end_group()


# -------------------------------------------------------------- step summary


_FENCE_CLOSE = "\n```\n"


def _open_fence(text: str) -> str | None:
    """The fence (```` ``` ```` or ``~~~``) left open at the end of ``text``, if any."""
    fence: str | None = None
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) > 3:
            continue
        for marker in ("```", "~~~"):
            if stripped.startswith(marker):
                if fence is None:
                    fence = marker
                elif fence == marker:
                    fence = None
                break
    return fence


def fit_summary(markdown: str, budget: int) -> str:
    """``markdown`` cut to ``budget`` bytes (UTF-8), ending with a visible notice when cut.

    The result never exceeds ``budget``: when not even the notice fits, nothing is
    written. A code block left open by the cut is closed so the notice renders.
    """
    data = markdown.encode("utf-8")
    if len(data) <= budget:
        return markdown
    notice_bytes = len(TRUNCATION_NOTICE.encode("utf-8"))
    if budget < notice_bytes:
        return ""
    keep = budget - notice_bytes - len(_FENCE_CLOSE)
    head = data[: max(keep, 0)].decode("utf-8", "ignore")
    # Cut at a line boundary so a table or code block is not left mid-row.
    if "\n" in head:
        head = head[: head.rfind("\n") + 1]
    fence = _open_fence(head)
    if fence:
        head = head.rstrip("\n") + f"\n{fence}\n"
    result = head + TRUNCATION_NOTICE
    return result if len(result.encode("utf-8")) <= budget else TRUNCATION_NOTICE


def write_summary(markdown: str) -> Path | None:
    """Append ``markdown`` to the step summary, keeping the whole file within 1 MiB.

    Returns the summary file, or None outside Actions.
    """
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    used = path.stat().st_size if path.exists() else 0
    text = fit_summary(markdown if markdown.endswith("\n") else markdown + "\n", SUMMARY_LIMIT - used)
    if text:
        with path.open("a", encoding="utf-8", newline="") as handle:
            handle.write(text)
    return path
