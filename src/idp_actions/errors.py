"""One error hierarchy for the whole package.

Library code raises these; only :mod:`idp_actions.cli` turns them into an exit
code. Every expected failure carries a message a person can act on: what was
wrong and, in ``hint``, what to do about it.
"""

from __future__ import annotations

from collections.abc import Sequence

REPORT_URL = "https://github.com/idp-actions/idp-actions/issues/new"


class IdpError(Exception):
    """An expected failure: bad input, a refused operation, a tool that failed.

    ``exit_code`` is what the CLI exits with (1 unless a command documents
    another meaning, e.g. 2 for usage errors of ``idp policy check``).
    """

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class UsageError(IdpError):
    """The command line or an action input is wrong."""


class InputError(UsageError):
    """A GitHub Actions input is missing or has the wrong type."""


class ConfigError(IdpError):
    """``.github/idp.yaml`` (or another configuration file) is invalid.

    ``path`` is the key path inside the document (``scan.severity``), ``file``
    the file it came from and ``line`` its 1-based line where known.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        path: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = file or "configuration"
        if line is not None:
            where += f":{line}"
        if path:
            where += f" at `{path}`"
        super().__init__(f"{where}: {message}", hint=hint)
        self.file = file
        self.path = path
        self.line = line


class ToolError(IdpError):
    """An external tool is missing, has the wrong version or failed verification."""


class ProcError(IdpError):
    """A subprocess exited with a non-zero code (raised by :mod:`idp_actions.proc`)."""

    def __init__(
        self,
        args: Sequence[str],
        returncode: int,
        stdout: str,
        stderr: str,
        *,
        hint: str | None = None,
    ) -> None:
        self.args_ = list(args)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        tail = (stderr or stdout).strip().splitlines()[-20:]
        detail = "\n".join(f"    {line}" for line in tail)
        message = f"`{' '.join(self.args_)}` exited with code {returncode}"
        if detail:
            message += f":\n{detail}"
        super().__init__(message, hint=hint)


class GitHubError(IdpError):
    """The GitHub API refused or failed a request."""
