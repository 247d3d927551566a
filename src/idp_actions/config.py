"""The caller's ``.github/idp.yaml``: read once, checked against the published schema, defaults applied.

Every way the file can be wrong ends in a :class:`~idp_actions.errors.ConfigError`
that names the problem, where it is (file, line, key path such as
``gitops.environments[1].mode``) and what to do. Schema problems are collected
and reported together, sorted by line. PyYAML and jsonschema are imported only
when a file is actually read, so importing this module stays cheap.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from idp_actions.errors import ConfigError
from idp_actions.findings import Severity

if TYPE_CHECKING:
    import yaml
    from jsonschema import ValidationError

#: Where the file is looked for, relative to the repository root, in this order.
CANDIDATES = (".github/idp.yaml", ".github/idp.yml")
SCHEMA_RESOURCE = "schemas/idp.schema.json"
MAX_BYTES = 1024 * 1024  # a configuration file, not a data dump
MAX_NODES = 50_000  # YAML aliases can expand exponentially ("billion laughs")
MAX_DEPTH = 64

Key = str | int
KeyPath = tuple[Key, ...]
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_QUOTE_HINT = (
    "quote the value: YAML reads yes/no/on/off as booleans, 1.10 as a number and an empty value as null"
)


# ------------------------------------------------------------------ problems


def format_path(path: Sequence[Key]) -> str:
    """``("gitops", "environments", 1, "mode")`` → ``gitops.environments[1].mode``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


@dataclass(frozen=True, kw_only=True)
class ConfigProblem:
    """One thing wrong with the file: where (key path, line) and what (message, hint)."""

    path: KeyPath
    line: int | None
    message: str
    hint: str | None = None

    @property
    def dotted(self) -> str:
        """The key path as people write it (``scan.severity-threshold``)."""
        return format_path(self.path)

    def describe(self, file: str) -> str:
        """``file:line at `path`: message`` plus an indented hint line."""
        where = f"{file}:{self.line}" if self.line is not None else file
        if self.path:
            where += f" at `{self.dotted}`"
        text = f"{where}: {self.message}"
        return f"{text}\n      hint: {self.hint}" if self.hint else text


class ConfigValidationError(ConfigError):
    """One or more problems found in a file that is valid YAML; ``problems`` holds each, sorted by line."""

    def __init__(self, problems: Iterable[ConfigProblem], *, file: str) -> None:
        ordered = tuple(sorted(problems, key=lambda p: (p.line or 0, p.dotted, p.message)))
        if not ordered:
            raise ValueError("ConfigValidationError needs at least one problem")
        self.problems = ordered
        first = ordered[0]
        if len(ordered) == 1:
            super().__init__(first.message, file=file, path=first.dotted or None, line=first.line,
                             hint=first.hint)
        else:
            body = "\n".join(f"  {p.describe(file)}" for p in ordered)
            super().__init__(f"{len(ordered)} problems\n{body}", file=file)
            self.line = first.line
            self.path = first.dotted or None


# -------------------------------------------------------------------- schema


@cache
def schema_text() -> str:
    """The JSON Schema of ``.github/idp.yaml`` as shipped in the package."""
    return resources.files("idp_actions").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")


@cache
def _schema() -> Mapping[str, Any]:
    return _freeze(json.loads(schema_text()))  # type: ignore[no-any-return]


def schema() -> dict[str, Any]:
    """The schema as a fresh ``dict`` (callers may change their copy)."""
    return _thaw(_schema())  # type: ignore[no-any-return]


def _resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """``node`` with a local ``$ref`` merged in (sibling keywords such as description win)."""
    while "$ref" in node:
        ref = str(node["$ref"])
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are supported in the idp schema, got {ref}")
        target: Any = _schema()
        for part in ref[2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _with_defaults(node: Mapping[str, Any] | None, value: Any) -> Any:
    """A copy of ``value`` with the schema's defaults filled in, recursively and into array items."""
    if node is None:
        return _thaw(value)
    node = _resolve(node)
    if isinstance(value, Mapping):
        props: Mapping[str, Any] = node.get("properties", {})
        extra = node.get("additionalProperties")
        out: dict[str, Any] = {}
        for key, sub in props.items():  # schema order, so `idp config show` reads the same everywhere
            if key in value:
                out[key] = _with_defaults(sub, value[key])
            elif "default" in (resolved := _resolve(sub)):
                out[key] = _with_defaults(sub, resolved["default"])
        for key, item in value.items():
            if key not in out:
                out[key] = _with_defaults(extra if isinstance(extra, Mapping) else None, item)
        return out
    if isinstance(value, list | tuple):
        items = node.get("items")
        return [_with_defaults(items if isinstance(items, Mapping) else None, item) for item in value]
    return _thaw(value)


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_thaw(v) for v in value]
    return copy.copy(value)


# ------------------------------------------------------------------- config


@dataclass(frozen=True, kw_only=True)
class TerraformRoot:
    """One entry of ``terraform.roots``."""

    path: str
    workspaces: tuple[str, ...]
    var_files: tuple[str, ...]
    backend_config: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Environment:
    """One entry of ``gitops.environments``, in promotion order."""

    name: str
    mode: str
    argocd_app: str
    requires: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class IdpConfig:
    """The effective configuration: the file's values over the schema's defaults.

    ``source`` is the file read, or None when the repository has none (all
    defaults). ``data`` is read-only (mappings and tuples); :meth:`as_dict`
    gives a plain copy for serialising.
    """

    source: Path | None
    data: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """A plain, JSON-serialisable copy of :attr:`data`."""
        return _thaw(self.data)  # type: ignore[no-any-return]

    def _section(self, name: str) -> Mapping[str, Any]:
        section = self.data.get(name)
        return section if isinstance(section, Mapping) else MappingProxyType({})

    @property
    def version(self) -> int:
        """The format version (always 1)."""
        return int(self.data["version"])

    @property
    def org_name(self) -> str | None:
        """``org.name``, or None to use the owner of the repository."""
        return self._section("org").get("name")

    @property
    def default_team(self) -> str | None:
        """``org.default-team``."""
        return self._section("org").get("default-team")

    def tool_version(self, tool: str) -> str | None:
        """The version override for ``tool`` (``tools.<tool>``), or None for the pinned one."""
        return self._section("tools").get(tool)

    @property
    def scan_severity_threshold(self) -> Severity:
        """``scan.severity-threshold``: the lowest severity that fails a scan."""
        return Severity.parse(str(self._section("scan")["severity-threshold"]))

    @property
    def scan_ignore_unfixed(self) -> bool:
        """``scan.ignore-unfixed``."""
        return bool(self._section("scan")["ignore-unfixed"])

    @property
    def scan_scanners(self) -> tuple[str, ...]:
        """``scan.scanners``."""
        return tuple(self._section("scan")["scanners"])

    @property
    def scan_exclude(self) -> tuple[str, ...]:
        """``scan.exclude`` globs."""
        return tuple(self._section("scan")["exclude"])

    @property
    def policy_enforcement(self) -> str:
        """``policy.enforcement``: deny, warn or dryrun."""
        return str(self._section("policy")["enforcement"])

    @property
    def policy_exclude(self) -> tuple[str, ...]:
        """``policy.exclude`` globs."""
        return tuple(self._section("policy")["exclude"])

    def policy_parameters(self, policy: str) -> Mapping[str, Any]:
        """``policy.parameters.<policy>`` (empty when not set)."""
        value = self._section("policy")["parameters"].get(policy)
        return value if isinstance(value, Mapping) else MappingProxyType({})

    @property
    def terraform_binary(self) -> str:
        """``terraform.binary``: tofu or terraform."""
        return str(self._section("terraform")["binary"])

    @property
    def terraform_comment_mode(self) -> str:
        """``terraform.comment-mode``: combined or per-root."""
        return str(self._section("terraform")["comment-mode"])

    @property
    def terraform_roots(self) -> tuple[TerraformRoot, ...]:
        """``terraform.roots`` with their defaults."""
        return tuple(
            TerraformRoot(
                path=root["path"],
                workspaces=tuple(root["workspaces"]),
                var_files=tuple(root["var-files"]),
                backend_config=tuple(root["backend-config"]),
            )
            for root in self._section("terraform")["roots"]
        )

    @property
    def gitops_repository(self) -> str | None:
        """``gitops.repository`` (``owner/name``), or None when not set."""
        return self._section("gitops").get("repository")

    @property
    def gitops_environments(self) -> tuple[Environment, ...]:
        """``gitops.environments`` in promotion order, with their defaults."""
        return tuple(
            Environment(
                name=env["name"],
                mode=env["mode"],
                argocd_app=env["argocd-app"],
                requires=tuple(env["requires"]),
            )
            for env in self._section("gitops")["environments"]
        )

    @property
    def sticky_comments(self) -> bool:
        """``comments.sticky``."""
        return bool(self._section("comments")["sticky"])


def defaults() -> IdpConfig:
    """The configuration of a repository without ``.github/idp.yaml``."""
    return IdpConfig(source=None, data=_freeze(_with_defaults(_schema(), {"version": 1})))


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
    return IdpConfig(source=source, data=_freeze(_with_defaults(_schema(), data)))


# ------------------------------------------------------------------ reading


def _decode(raw: bytes, file: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(
            "is UTF-16 encoded (it starts with a UTF-16 byte-order mark); the file must be UTF-8",
            file=file,
            hint="save it as UTF-8 (most editors: File > Save with Encoding > UTF-8)",
        )
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        offset = exc.start
        line = raw.count(b"\n", 0, offset) + 1
        column = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
        raise ConfigError(
            f"is not valid UTF-8: byte 0x{raw[offset]:02X} at offset {offset} (line {line}, column {column}) "
            "is not part of a UTF-8 character",
            file=file,
            line=line,
            hint="the file must be UTF-8: re-save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
        ) from None


def _excerpt(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    source = lines[line - 1].replace("\t", " ")
    gutter = f"{line:>5} | "
    return f"\n{gutter}{source}\n{' ' * (len(gutter) - 2)}| {' ' * max(column - 1, 0)}^"


def _parse_yaml(text: str, file: str) -> tuple[Any, dict[KeyPath, int]]:
    import yaml

    try:
        # The pure-Python loader: stable messages, marks on every node. Its reader
        # already refuses control characters while it is being built.
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
        if node is None or (
            isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null" and not node.value
        ):
            raise ConfigError(
                "is empty: it holds only comments or blank lines",
                file=file,
                hint="add `version: 1` and the settings you need, or delete the file to use the defaults",
            )
        if not isinstance(node, yaml.MappingNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else f"the scalar {node.value!r}"
            raise ConfigError(
                f"the top level must be a mapping of keys to values, but it is {kind}",
                file=file,
                line=node.start_mark.line + 1,
                hint="start the file with `version: 1` and put every setting under a key",
            )
        builder = _Builder(loader, file)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text, file) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise ConfigError(
            f"contains a character YAML does not allow: U+{exc.character:04X} ({exc.reason})"
            if isinstance(exc.character, int)
            else f"contains a character YAML does not allow ({exc.reason})",
            file=file,
            line=line,
            hint="remove the control character (often a stray NUL or escape pasted from a terminal)",
        ) from None
    except yaml.YAMLError as exc:  # anything else PyYAML may raise: still a message, not a traceback
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    except RecursionError:
        raise ConfigError(
            f"is nested too deeply (more than {MAX_DEPTH} levels)",
            file=file,
            hint="the idp configuration is a few levels deep; check for runaway indentation or brackets",
        ) from None
    if builder.problems:
        raise ConfigValidationError(builder.problems, file=file)
    return data, builder.lines


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, file: str) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else 0
    message = f"invalid YAML at column {column}: {problem}" if mark else f"invalid YAML: {problem}"
    if exc.context == "expected a single document in the stream":
        return ConfigError(
            f"holds more than one YAML document: another starts at line {line}"
            + (_excerpt(text, line, column) if line else ""),
            file=file,
            line=line,
            hint="idp.yaml is one document: remove the second `---` (and merge what follows into the first)",
        )
    if exc.context and exc.problem:
        context_mark = exc.context_mark
        at = f" at line {context_mark.line + 1}" if context_mark and context_mark.line + 1 != line else ""
        message += f" ({exc.context}{at})"
    if line is not None:
        message += _excerpt(text, line, column)
    if "'\\t'" in problem or "tab" in problem:
        hint = "YAML does not allow tabs for indentation: indent with spaces"
    elif "constructor" in problem:
        hint = "tags like `!Ref` or `!!python/object` are not supported: write plain values"
    else:
        hint = (
            "check indentation and quoting around this line; values that contain `: ` or `#`, "
            "or start with `*`, `&`, `!`, `{`, `[`, `@` or `%`, need quotes"
        )
    return ConfigError(message, file=file, line=line, hint=hint)


class _Builder:
    """Turns composed YAML nodes into data, keeping the line of every key and item.

    Rejects what PyYAML accepts silently: duplicate keys (it keeps the last)
    and keys that YAML reads as something other than a string (``on:``,
    ``yes:``, ``1:``). Counts nodes so aliases cannot blow up, and refuses
    recursive aliases.
    """

    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.lines: dict[KeyPath, int] = {}
        self.problems: list[ConfigProblem] = []
        self.nodes = 0
        self.active: set[int] = set()

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        import yaml

        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ConfigError(
                f"expands to more than {MAX_NODES} values (through anchors and aliases)",
                file=self.file,
                hint="the idp configuration is small; remove the aliases that repeat large structures",
            )
        if len(path) > MAX_DEPTH:
            raise RecursionError
        if id(node) in self.active:
            raise ConfigError(
                f"`{format_path(path) or 'the top level'}` refers to itself through an alias",
                file=self.file,
                line=node.start_mark.line + 1,
                hint="recursive anchors are not supported: repeat the value instead",
            )
        if isinstance(node, yaml.MappingNode):
            self.active.add(id(node))
            try:
                return self._mapping(node, path)
            finally:
                self.active.discard(id(node))
        if isinstance(node, yaml.SequenceNode):
            self.active.add(id(node))
            try:
                items = []
                for index, child in enumerate(node.value):
                    self.lines.setdefault((*path, index), child.start_mark.line + 1)
                    items.append(self.build(child, (*path, index)))
                return items
            finally:
                self.active.discard(id(node))
        value = self.loader.construct_object(node, deep=True)
        if isinstance(value, date):  # `2024-01-01` is a timestamp to YAML; keep the text people wrote
            return str(node.value)
        return value

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        import yaml

        seen: dict[str, int] = {}
        where = f"in `{format_path(path)}`" if path else "at the top level"
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            line = key_node.start_mark.line + 1
            key = self._key(key_node, path, line)
            if key is None:
                continue
            if key in seen:
                self.problems.append(
                    ConfigProblem(
                        path=(*path, key),
                        line=line,
                        message=f"duplicate key `{key}` {where}: first at line {seen[key]}, "
                        f"again at line {line}",
                        hint="YAML would silently keep only the last one: remove or merge the duplicates",
                    )
                )
            else:
                seen[key] = line
        self.loader.flatten_mapping(node)  # resolve `<<: *anchor` merges; explicit keys win
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                continue
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, (*path, key))
        return out

    def _key(self, key_node: yaml.Node, path: KeyPath, line: int) -> str | None:
        import yaml

        if not isinstance(key_node, yaml.ScalarNode):
            self.problems.append(
                ConfigProblem(
                    path=path,
                    line=line,
                    message="a key must be a plain string, not a list or mapping",
                    hint="write `key: value`; a `?` or `[...]` before `:` makes a complex key",
                )
            )
            return None
        key = self.loader.construct_object(key_node, deep=True)
        if isinstance(key, str):
            return key
        kind = {bool: "a boolean", int: "a number", float: "a number", type(None): "null"}.get(
            type(key), type(key).__name__
        )
        self.problems.append(
            ConfigProblem(
                path=(*path, str(key_node.value)),
                line=line,
                message=f"key `{key_node.value}` is read by YAML as {kind}, not as a name",
                hint=f'quote it: `"{key_node.value}": ...`',
            )
        )
        return None


# --------------------------------------------------------------- validation


def _line_of(path: KeyPath, lines: Mapping[KeyPath, int]) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def _show(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_JSON_TYPES = {
    "string": "a string",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "array": "a list",
    "object": "a mapping (key: value pairs)",
    "null": "null",
}


def _schema_problems(data: Any, lines: Mapping[KeyPath, int]) -> list[ConfigProblem]:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(_thaw(_schema()))
    found: dict[tuple[KeyPath, str], ConfigProblem] = {}
    for error in validator.iter_errors(data):
        for problem in _explain(error, lines):
            found.setdefault((problem.path, problem.message), problem)
    return list(found.values())


def _closest(word: str, options: Iterable[str]) -> str | None:
    options = list(options)
    by_case = {o.lower(): o for o in options}
    if word.lower() in by_case:
        return by_case[word.lower()]
    normalised = word.replace("_", "-").lower()
    if normalised in by_case:
        return by_case[normalised]
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return match[0] if match else None


def _explain(error: ValidationError, lines: Mapping[KeyPath, int]) -> list[ConfigProblem]:
    path: KeyPath = tuple(error.absolute_path)
    where = f"in `{format_path(path)}`" if path else "at the top level"
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    kind = error.validator
    instance: Any = error.instance
    value: Any = error.validator_value
    hint: str | None

    def problem(message: str, hint: str | None = None, at: KeyPath = path) -> ConfigProblem:
        return ConfigProblem(path=at, line=_line_of(at, lines), message=message, hint=hint)

    if "propertyNames" in error.schema_path:
        rule = schema.get("patternErrorMessage", f"a name matching {schema.get('pattern')}")
        return [problem(f"`{instance}` is not a valid key here: expected {rule}", at=(*path, str(instance)))]
    if kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        out = []
        for key in instance:
            if key in allowed:
                continue
            guess = _closest(key, allowed)
            message = f"unknown key `{key}`" + (f"; did you mean `{guess}`?" if guess else "")
            out.append(problem(message, f"allowed keys {where}: {', '.join(allowed)}", (*path, key)))
        return out
    if kind == "required":
        out = []
        for key in value:
            if isinstance(instance, dict) and key not in instance:
                sub = _resolve(schema.get("properties", {}).get(key, {}))
                if not path and key == "version":
                    hint = "add `version: 1` as the first line"
                else:
                    hint = f"`{key}`: {sub['description']}" if "description" in sub else None
                out.append(problem(f"required key `{key}` is missing", hint))
        return out
    if kind == "enum":
        allowed = [str(v) for v in value]
        guess = _closest(str(instance), allowed) if isinstance(instance, str) else None
        message = f"{_show(instance)} is not allowed; use one of: {', '.join(allowed)}"
        return [problem(message + (f" (did you mean `{guess}`?)" if guess else ""))]
    if kind == "const":
        hint = None
        if path == ("version",):
            hint = (
                "write `version: 1` without quotes"
                if str(instance) == str(value)
                else f"this release of idp-actions reads format version {value}"
            )
        return [problem(f"must be {_show(value)}, got {_show(instance)}", hint)]
    if kind == "type":
        wanted = [str(t) for t in value] if isinstance(value, list) else [str(value)]
        expected = " or ".join(_JSON_TYPES.get(t, t) for t in wanted)
        got = _type_name(instance)
        message = f"must be {expected}, got {got}" + ("" if instance is None else f" ({_show(instance)})")
        hint = None
        if "string" in wanted and (instance is None or isinstance(instance, bool | int | float)):
            hint = _QUOTE_HINT
        elif "array" in wanted and isinstance(instance, str):
            hint = "write a list: each item on its own line starting with `- `, or `[a, b]`"
        elif wanted == ["boolean"] and isinstance(instance, str):
            hint = "write true or false without quotes"
        elif "object" in wanted and instance is None:
            hint = "a key with nothing after it is null: indent its settings under it, or remove the key"
        return [problem(message, hint)]
    if kind == "pattern":
        rule = schema.get("patternErrorMessage") or f"a value matching the pattern {value}"
        return [problem(f"{_show(instance)} is not valid here: expected {rule}")]
    if kind == "minItems":
        return [problem("must list at least one item" if value == 1 else f"must list at least {value} items")]
    if kind == "uniqueItems":
        twice = next((item for i, item in enumerate(instance) if item in instance[:i]), None)
        return [problem(f"lists {_show(twice)} more than once", "remove the duplicate")]
    if kind == "minLength":
        return [problem("must not be empty" if value == 1 else error.message)]
    if kind == "maxLength":
        return [problem(f"is longer than {value} characters")]
    return [problem(error.message)]


def _semantic_problems(data: Mapping[str, Any], lines: Mapping[KeyPath, int]) -> list[ConfigProblem]:
    """Rules a JSON Schema cannot say: unique names, and references to earlier environments."""
    problems: list[ConfigProblem] = []

    def add(path: KeyPath, message: str, hint: str | None = None) -> None:
        problems.append(ConfigProblem(path=path, line=_line_of(path, lines), message=message, hint=hint))

    environments = data.get("gitops", {}).get("environments", [])
    earlier: dict[str, int] = {}
    for index, env in enumerate(environments):
        name = env["name"]
        for r_index, required in enumerate(env.get("requires", [])):
            at: KeyPath = ("gitops", "environments", index, "requires", r_index)
            if required == name:
                add(at, f"environment `{name}` requires itself", "remove it from its own `requires`")
            elif required not in earlier:
                later = any(e.get("name") == required for e in environments[index + 1 :])
                add(
                    at,
                    f"environment `{name}` requires `{required}`, which is "
                    + ("listed after it" if later else "not defined"),
                    "environments are promoted in the order listed: require only environments above this one"
                    + ("" if later else f"; defined above it: {', '.join(earlier) or 'none'}"),
                )
        if name in earlier:
            add(
                ("gitops", "environments", index, "name"),
                f"environment `{name}` is defined twice (first as environments[{earlier[name]}])",
                "give each environment a unique name",
            )
        else:
            earlier[name] = index
    roots: dict[str, int] = {}
    for index, root in enumerate(data.get("terraform", {}).get("roots", [])):
        key = str(root["path"]).strip("/").removeprefix("./")
        if key in roots:
            add(
                ("terraform", "roots", index, "path"),
                f"root `{root['path']}` is listed twice (first as roots[{roots[key]}])",
                "list each root once, with all its workspaces under `workspaces`",
            )
        else:
            roots[key] = index
    return problems
