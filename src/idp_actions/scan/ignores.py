"""Accepted findings: ``.github/idp-scan-ignore.yaml``, each entry with a reason and an expiry.

::

    version: 1
    ignore:
      - id: CVE-2099-0002              # a rule id (idp.python.weak-hash, DS-0002) or a CVE/GHSA id
        path: "services/web/**"        # optional glob over repository paths; default: everywhere
        reason: lodash.template is never called with user input (ACME-123)
        expires: 2099-06-30            # YYYY-MM-DD; after that day the scan fails until renewed

An accepted finding is still reported — marked suppressed, with its reason, in the
summary and in SARIF (so code scanning closes the alert) — but never gates. An
expired entry fails the scan with a message naming it: acceptance is a decision
that is reviewed again, not forgotten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from idp_actions.errors import ConfigError
from idp_actions.findings import Finding

MAX_BYTES = 256 * 1024
_KEYS = ("id", "path", "reason", "expires")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, kw_only=True)
class Ignore:
    """One entry: which findings (``id`` and ``path`` glob), why, and until when."""

    id: str
    path: str | None
    reason: str
    expires: date
    line: int
    index: int

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        return glob_regex(self.path) if self.path else None

    def matches(self, finding: Finding) -> bool:
        """True when ``finding`` is what this entry accepts."""
        if finding.rule_id.lower() != self.id.lower():
            return False
        return self._pattern is None or bool(self._pattern.fullmatch(finding.path))


@dataclass(frozen=True, kw_only=True)
class IgnoreFile:
    """The parsed file: its entries and where it came from (for messages)."""

    file: str
    entries: tuple[Ignore, ...]

    def expired(self, today: date) -> list[Ignore]:
        """Entries whose expiry day has passed (an entry is valid through its expiry day)."""
        return [entry for entry in self.entries if entry.expires < today]

    def check_expiry(self, today: date) -> None:
        """Raise :class:`ConfigError` naming every expired entry."""
        expired = self.expired(today)
        if not expired:
            return
        listed = "; ".join(
            f"line {e.line}: `{e.id}`" + (f" at `{e.path}`" if e.path else "")
            + f" expired on {e.expires.isoformat()} (reason given: {e.reason})"
            for e in expired
        )
        raise ConfigError(
            f"{len(expired)} accepted finding(s) have expired: {listed}",
            file=self.file,
            line=expired[0].line,
            hint="review each one: fix the finding and delete the entry, or set a new `expires` date "
            "after a fresh review",
        )

    def apply(self, findings: Iterable[Finding]) -> tuple[list[Finding], list[Ignore]]:
        """Findings with accepted ones marked suppressed, and the entries that matched nothing."""
        used: set[int] = set()
        out = []
        for finding in findings:
            entry = next((e for e in self.entries if e.matches(finding)), None)
            if entry is not None and finding.suppressed is None:
                used.add(entry.index)
                finding = replace(
                    finding,
                    suppressed=f"accepted until {entry.expires.isoformat()}: {entry.reason} "
                    f"({self.file}:{entry.line})",
                )
            elif entry is not None:
                used.add(entry.index)
            out.append(finding)
        unused = [entry for entry in self.entries if entry.index not in used]
        return out, unused


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A repository-path glob: ``*`` and ``?`` stay within one folder, ``**`` crosses folders."""
    out = []
    i = 0
    text = pattern.strip().removeprefix("./")
    while i < len(text):
        if text.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif text.startswith("**", i):
            out.append(".*")
            i += 2
        elif text[i] == "*":
            out.append("[^/]*")
            i += 1
        elif text[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(text[i]))
            i += 1
    return re.compile("".join(out))


def load(path: Path, *, display: str | None = None) -> IgnoreFile:
    """Read and check the ignore file at ``path``; every problem is a :class:`ConfigError` naming the key."""
    shown = display or path.as_posix()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot be read: {exc.strerror or exc}", file=shown) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"is larger than {MAX_BYTES // 1024} KiB", file=shown)
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text", file=shown, hint="save it as UTF-8") from None
    return parse(text, file=shown)


def parse(text: str, *, file: str = ".github/idp-scan-ignore.yaml") -> IgnoreFile:
    """Check the text of an ignore file (see the module docstring for its shape)."""
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ConfigError(
            f"invalid YAML: {exc.problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            hint="check indentation and quoting around this line",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    if node is None:
        return IgnoreFile(file=file, entries=())
    top = _mapping(node, file, "the top level")
    unknown = [key for key in top if key not in ("version", "ignore")]
    if unknown:
        raise ConfigError(f"unknown key `{unknown[0]}`", file=file, path=unknown[0],
                          line=top[unknown[0]][0].start_mark.line + 1, hint="allowed keys: version, ignore")
    if "version" in top and _scalar(top["version"][1]) != 1:
        raise ConfigError("`version` must be 1", file=file, path="version", line=top["version"][1].start_mark.line + 1)
    if "ignore" not in top:
        raise ConfigError("required key `ignore` is missing", file=file,
                          hint="list the accepted findings under `ignore:` (each with id, reason and expires)")
    items = top["ignore"][1]
    if not isinstance(items, yaml.SequenceNode):
        raise ConfigError("must be a list of entries", file=file, path="ignore", line=items.start_mark.line + 1,
                          hint="start each entry with `- id: ...`")
    entries = [_entry(item, index, file) for index, item in enumerate(items.value)]
    return IgnoreFile(file=file, entries=tuple(entries))


def _mapping(node: Any, file: str, what: str) -> dict[str, tuple[Any, Any]]:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(f"{what} must be a mapping of keys to values", file=file, line=node.start_mark.line + 1)
    out: dict[str, tuple[Any, Any]] = {}
    for key_node, value_node in node.value:
        key = _scalar(key_node)
        if not isinstance(key, str):
            raise ConfigError(f"key `{key_node.value}` is not a name", file=file, line=key_node.start_mark.line + 1,
                              hint="quote it")
        if key in out:
            raise ConfigError(f"duplicate key `{key}` in {what}", file=file, line=key_node.start_mark.line + 1,
                              hint="YAML would keep only the last one: remove or merge the duplicates")
        out[key] = (key_node, value_node)
    return out


def _scalar(node: Any) -> Any:
    import yaml

    if not isinstance(node, yaml.ScalarNode):
        return node
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node)
    finally:
        loader.dispose()


def _entry(node: Any, index: int, file: str) -> Ignore:
    import yaml

    where = f"ignore[{index}]"
    fields = _mapping(node, file, f"`{where}`")
    line = node.start_mark.line + 1
    for key, (key_node, _) in fields.items():
        if key not in _KEYS:
            raise ConfigError(f"unknown key `{key}`", file=file, path=f"{where}.{key}",
                              line=key_node.start_mark.line + 1, hint=f"allowed keys: {', '.join(_KEYS)}")
    for key in ("id", "reason", "expires"):
        if key not in fields:
            why = {"id": "the rule, CVE or GHSA id the entry accepts",
                   "reason": "why the finding is accepted (people review this)",
                   "expires": "the day (YYYY-MM-DD) after which the entry stops applying"}[key]
            raise ConfigError(f"required key `{key}` is missing", file=file, path=where, line=line,
                              hint=f"`{key}`: {why}")
    values: dict[str, str] = {}
    for key, (_, value_node) in fields.items():
        if not isinstance(value_node, yaml.ScalarNode):
            raise ConfigError("must be a single value, not a list or mapping", file=file, path=f"{where}.{key}",
                              line=value_node.start_mark.line + 1)
        value = value_node.value if key == "expires" else _scalar(value_node)
        text = "" if value is None else str(value).strip()
        if not text:
            raise ConfigError("must not be empty", file=file, path=f"{where}.{key}",
                              line=value_node.start_mark.line + 1)
        values[key] = text
    if not _DATE.match(values["expires"]):
        raise ConfigError(f"`{values['expires']}` is not a date: write YYYY-MM-DD", file=file,
                          path=f"{where}.expires", line=fields["expires"][1].start_mark.line + 1)
    try:
        expires = date.fromisoformat(values["expires"])
    except ValueError:
        raise ConfigError(f"`{values['expires']}` is not a real day", file=file, path=f"{where}.expires",
                          line=fields["expires"][1].start_mark.line + 1) from None
    return Ignore(id=values["id"], path=values.get("path"), reason=values["reason"], expires=expires, line=line,
                  index=index)


def describe_unused(entries: Sequence[Ignore], file: str) -> list[str]:
    """Notes about entries that matched no finding (candidates for removal)."""
    return [f"{file}:{e.line}: `{e.id}` matched no finding (fixed? remove the entry)" for e in entries]
