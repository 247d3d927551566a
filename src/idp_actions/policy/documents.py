"""YAML and JSON documents read the way Kubernetes and conftest read them, with their lines.

kubectl, Gatekeeper's gator and conftest all turn YAML into JSON with
``sigs.k8s.io/yaml`` (go-yaml v2 rules), which differ from PyYAML's: ``y``/``n``
are booleans, ``0o17`` and ``017`` are octal, ``1_000`` is a number, a date stays
a string, a boolean key becomes the string ``"true"``. :class:`GoYamlLoader`
resolves plain scalars by those rules so a policy sees the very input
it sees in CI under conftest and at admission. Every document keeps the line it
starts on; a ``kind: List`` is split into its items, each with its own line.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

_BASE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_BOOL = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}
_NULL = frozenset(("", "~", "null", "Null", "NULL"))
_SPECIAL_FLOAT = {
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
}
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_GO_INT = re.compile(r"^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$")
_TAG = "tag:yaml.org,2002:go-plain"


def go_scalar(text: str) -> Any:
    """The value go-yaml v2 gives an unquoted scalar ``text``."""
    if text in _BOOL:
        return _BOOL[text]
    if text in _NULL:
        return None
    if text in _SPECIAL_FLOAT:
        return _SPECIAL_FLOAT[text]
    if not text or text[0] not in "+-.0123456789":
        return text
    plain = text.replace("_", "")
    if _GO_INT.match(plain):
        sign = -1 if plain.startswith("-") else 1
        digits = plain.lstrip("+-")
        if digits[:2] in ("0x", "0X"):
            value = int(digits[2:], 16)
        elif digits[:2] in ("0b", "0B"):
            value = int(digits[2:], 2)
        elif digits[:2] in ("0o", "0O"):
            value = int(digits[2:], 8)
        elif len(digits) > 1 and digits[0] == "0":
            value = int(digits[1:], 8)
        else:
            value = int(digits)
        value *= sign
        if -(2**63) <= value < 2**64:
            return value
    if _FLOAT.match(plain):
        return float(plain)
    return text


class GoYamlLoader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """A safe loader whose plain scalars resolve as in go-yaml v2 (``sigs.k8s.io/yaml``)."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level registry


def _construct_plain(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    return go_scalar(loader.construct_scalar(node))


# Every plain scalar gets one tag; its value is decided in Python by go-yaml's rules.
GoYamlLoader.add_implicit_resolver(_TAG, re.compile(r"^(?:.*)$", re.DOTALL), None)
GoYamlLoader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])
GoYamlLoader.add_constructor(_TAG, _construct_plain)
GoYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


class DocumentError(ValueError):
    """A file that is not valid YAML or JSON; ``line`` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, kw_only=True)
class Document:
    """One document (or one item of a ``List``) and the 1-based line it starts on."""

    data: Any
    line: int
    index: int


def _key(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _go_float(value: float) -> str:
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def jsonable(value: Any) -> Any:
    """``value`` as ``sigs.k8s.io/yaml`` would hand it to JSON: string keys, integral floats as integers."""
    if isinstance(value, dict):
        return {_key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise DocumentError(f"{value} cannot be represented in JSON")
        if value.is_integer() and abs(value) < 1e21:
            return int(value)
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    return value


def load_yaml(text: str, *, expand_lists: bool = True) -> list[Document]:
    """Every non-empty document of a YAML stream with its first line, values as JSON.

    A ``kind: List`` document is expanded into its ``items``, each with its own line
    (unless ``expand_lists`` is False: conftest and workflows read documents as they are).
    Raises :class:`DocumentError` with the line of the first problem.
    """
    loader = GoYamlLoader(text)
    documents: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            data = jsonable(loader.construct_document(node))
            if data is None:
                continue
            for item, line in _expand(data, node) if expand_lists else [(data, node.start_mark.line + 1)]:
                documents.append(Document(data=item, line=line, index=len(documents)))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise DocumentError(f"invalid YAML: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise DocumentError(f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return documents


def _expand(data: Any, node: yaml.Node) -> Iterator[tuple[Any, int]]:
    line = node.start_mark.line + 1
    if (
        isinstance(data, dict)
        and isinstance(data.get("kind"), str)
        and data["kind"].endswith("List")
        and isinstance(data.get("items"), list)
        and isinstance(node, yaml.MappingNode)
    ):
        items_node = next(
            (value for key, value in node.value if isinstance(key, yaml.ScalarNode) and key.value == "items"),
            None,
        )
        if isinstance(items_node, yaml.SequenceNode) and len(items_node.value) == len(data["items"]):
            for item, item_node in zip(data["items"], items_node.value, strict=True):
                yield item, item_node.start_mark.line + 1
            return
    yield data, line


def load_json(text: str) -> Any:
    """A JSON document; :class:`DocumentError` names the line of a syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"invalid JSON: {exc.msg}", exc.lineno) from None


def is_kubernetes_object(data: Any) -> bool:
    """True for a mapping with string ``apiVersion`` and ``kind`` (a Kubernetes object)."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("apiVersion"), str)
        and isinstance(data.get("kind"), str)
        and bool(data["apiVersion"])
        and bool(data["kind"])
    )


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one (for reading optional fields)."""
    return value if isinstance(value, dict) else {}
