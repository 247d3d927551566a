"""jsonschema errors as :class:`ConfigProblem` messages: key paths, lines, allowed values and suggestions.

jsonschema is imported only when data is actually validated.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from idp_actions.config.problems import ConfigProblem, KeyPath, _line_of, format_path
from idp_actions.config.schemas import _resolve, _schema, _thaw

if TYPE_CHECKING:
    from jsonschema import ValidationError

_QUOTE_HINT = (
    "quote the value: YAML reads yes/no/on/off as booleans, 1.10 as a number and an empty value as null"
)


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
