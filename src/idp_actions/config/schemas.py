"""The JSON Schema of ``.github/idp.yaml`` as shipped in the package, and its defaults applied to data."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

SCHEMA_RESOURCE = "schemas/idp.schema.json"


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
