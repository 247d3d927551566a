"""Check recorded fake responses against GitHub's published OpenAPI description.

The description is ``@octokit/openapi`` (pinned in tools/contracts/package.json),
file ``generated/api.github.com.deref.json``: OpenAPI 3.0.3 with every ``$ref``
already resolved. Its Schema Objects are converted to JSON Schema (draft 4
semantics, which OpenAPI 3.0 extends) before validation:

- ``nullable: true`` becomes ``anyOf: [{type: null}, <schema>]``;
- annotations JSON Schema does not know (``discriminator``, ``example`` …) are dropped;
- objects are *closed* (``additionalProperties: false`` where the description
  leaves it open), except directly under ``allOf`` where that would reject the
  other branches' properties: the fake may not invent fields GitHub does not
  document; real GitHub may, but the fake is ours to keep honest;
- ``oneOf`` is checked as ``anyOf``: the description uses ``oneOf`` for
  alternatives that overlap (the 409 of ``PUT …/contents/{path}`` is a Basic
  Error *or* a rule violation, and a plain error matches both), which no real
  response could satisfy; with closed objects a body must still match one branch;
- formats ``date-time`` (ISO 8601 with ``Z``, as GitHub writes it), ``uri`` and
  ``email`` are checked.

The operation is found by the exchange's path template (the fake's routes use
the description's templates), method and status code. A 4xx/5xx status the
operation does not declare (a 401, an injected 429) is checked against GitHub's
Basic Error schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft4Validator, FormatChecker

from tests.contracts import load_json, npm_contract

SPEC_PACKAGE = "@octokit/openapi"
SPEC_FILE = "generated/api.github.com.deref.json"

_DROP = {"nullable", "discriminator", "example", "examples", "xml", "externalDocs", "deprecated"}
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\Z")


def load_description() -> dict[str, Any]:
    """GitHub's OpenAPI description (parsed once per session)."""
    description: dict[str, Any] = load_json(npm_contract(SPEC_PACKAGE, SPEC_FILE))
    return description


def to_json_schema(schema: Any, *, closed: bool = True, _under_all_of: bool = False) -> Any:
    """Convert an OpenAPI 3.0 Schema Object to JSON Schema (see the module docstring)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROP:
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(sub, closed=closed) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = to_json_schema(value, closed=closed)
        elif key == "allOf":
            out[key] = [to_json_schema(sub, closed=closed, _under_all_of=True) for sub in value]
        elif key in ("oneOf", "anyOf"):
            out["anyOf"] = [to_json_schema(sub, closed=closed) for sub in value]
        else:
            out[key] = value
    is_object = out.get("type", "object") == "object"
    if closed and not _under_all_of and is_object and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if schema.get("nullable") is True:
        return {"anyOf": [{"type": "null"}, out]}
    return out


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    @checker.checks("date-time")
    def date_time(value: object) -> bool:
        return not isinstance(value, str) or bool(_DATE_TIME.match(value))

    @checker.checks("uri")
    def uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and (parts.netloc or parts.scheme == "mailto")) and not re.search(
            r"[\s{}<>\"]", value
        )

    @checker.checks("email")
    def email(value: object) -> bool:
        return not isinstance(value, str) or bool(re.fullmatch(r"[^@\s]+@[^@\s]+", value))

    del date_time, uri, email
    return checker


class Contract:
    """Response validators per (method, path template, status), built on demand."""

    def __init__(self, description: dict[str, Any]) -> None:
        self.paths: dict[str, Any] = description["paths"]
        self._checker = _format_checker()
        self._validators: dict[tuple[str, str, int], tuple[Draft4Validator | None, str]] = {}
        basic = self.paths["/repos/{owner}/{repo}"]["get"]["responses"]["404"]
        self._basic_error = basic["content"]["application/json"]["schema"]
        assert self._basic_error.get("title") == "Basic Error", "the description changed shape"

    def operation(self, method: str, template: str) -> dict[str, Any] | None:
        """The Operation Object for ``method`` and ``template``, if GitHub documents it."""
        item = self.paths.get(template)
        if not isinstance(item, dict):
            return None
        operation = item.get(method.lower())
        return operation if isinstance(operation, dict) else None

    def validator(self, method: str, template: str, status: int) -> tuple[Draft4Validator | None, str]:
        """The validator for a response (None: no body expected) and where its schema came from."""
        key = (method, template, status)
        if key not in self._validators:
            self._validators[key] = self._build(method, template, status)
        return self._validators[key]

    def _build(self, method: str, template: str, status: int) -> tuple[Draft4Validator | None, str]:
        operation = self.operation(method, template)
        if operation is None:
            raise LookupError(f"{method} {template} is not an operation in GitHub's OpenAPI description")
        responses = operation["responses"]
        declared = responses.get(str(status)) or responses.get(f"{status // 100}XX")
        where = f"{operation.get('operationId')} {status}"
        if declared is None:
            if status < 400:
                raise LookupError(f"{method} {template} does not declare status {status}")
            schema: Any = self._basic_error
            where += " (undeclared error status: Basic Error)"
        else:
            content = declared.get("content") or {}
            if not content:
                return None, where
            media = content.get("application/json") or next(iter(content.values()))
            schema = media["schema"]
        return Draft4Validator(to_json_schema(schema), format_checker=self._checker), where

    def errors(self, method: str, template: str | None, status: int, body: Any) -> list[str]:
        """Why a response does not conform (empty when it does)."""
        if template is None:
            if status == 404 and isinstance(body, dict) and body.get("message") == "Not Found":
                return []  # an unknown path: GitHub answers a plain 404 too
            return [f"{method} (no route) answered {status}"]
        try:
            validator, where = self.validator(method, template, status)
        except LookupError as exc:
            return [str(exc)]
        if validator is None:
            return [] if body is None else [f"{where}: expected no body, got {str(body)[:200]}"]
        if body is None:
            return [f"{where}: expected a JSON body, got none"]
        found = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        return [f"{where} at {e.json_path}: {e.message[:300]}" for e in found[:5]]


_CONTRACT: list[Contract] = []


def contract() -> Contract:
    """The session's :class:`Contract` (the description is large: loaded once)."""
    if not _CONTRACT:
        _CONTRACT.append(Contract(load_description()))
    return _CONTRACT[0]


def nonconforming(exchanges: Iterable[Any]) -> list[str]:
    """One line per recorded exchange whose response breaks GitHub's description."""
    problems = []
    check = contract()
    for exchange in exchanges:
        for error in check.errors(exchange.method, exchange.template, exchange.status, exchange.body):
            problems.append(f"{exchange.method} {exchange.path} -> {exchange.status}: {error}")
    return problems
