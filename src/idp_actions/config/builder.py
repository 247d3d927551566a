"""Composed YAML nodes to data, with the line of every key and item, refusing what PyYAML lets through."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from idp_actions.config.problems import ConfigProblem, KeyPath, format_path
from idp_actions.errors import ConfigError

if TYPE_CHECKING:
    import yaml

MAX_NODES = 50_000  # YAML aliases can expand exponentially ("billion laughs")
MAX_DEPTH = 64


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
