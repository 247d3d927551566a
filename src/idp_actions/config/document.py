"""The file's bytes as a YAML document: UTF-8 decoding, parsing with marks, syntax errors people can act on.

PyYAML is imported only when a file is actually parsed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from idp_actions.config.builder import MAX_DEPTH, _Builder
from idp_actions.config.problems import ConfigValidationError, KeyPath
from idp_actions.errors import ConfigError

if TYPE_CHECKING:
    import yaml


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
