"""Check the fake Argo CD's exchanges against Argo CD's published swagger.json (OpenAPI 2.0).

The description comes from ``../shared/contracts/argocd/swagger.json`` through
:func:`tests.contracts.shared_contract` (skipped with the reason where the shared
folder is absent, a failure in CI). Its definitions become JSON Schema as the
GitHub checker does it (:mod:`tests.fakes.openapi`): objects are *closed* (the
fake may not invent fields Argo CD does not document), ``date-time`` must be
RFC 3339 with ``Z`` (as Argo CD writes ``metav1.Time``), ``int64``/``int32``
integers must be whole numbers. An error status is checked against the
operation's ``default`` response (``runtimeError``). Request bodies are checked
too, so our client cannot send what Argo CD would not accept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from jsonschema import Draft4Validator, FormatChecker

from tests.contracts import load_json, shared_contract

CONTRACT = "argocd/swagger.json"
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\Z")
_DROP = {"title", "example", "x-nullable"}


def load_description() -> dict[str, Any]:
    """Argo CD's swagger.json (skips the test when the shared folder is absent)."""
    description: dict[str, Any] = load_json(shared_contract(CONTRACT))
    return description


def _convert(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_convert(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _convert(value) for key, value in schema.items() if key not in _DROP}
    if "properties" in out:
        out["properties"] = {name: _convert(sub) for name, sub in schema["properties"].items()}
        out.setdefault("additionalProperties", False)
    return out


def _checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    @checker.checks("date-time")
    def date_time(value: object) -> bool:
        return not isinstance(value, str) or bool(_DATE_TIME.match(value))

    del date_time
    return checker


class ArgoContract:
    """Validators for responses and request bodies, by operation."""

    def __init__(self, description: dict[str, Any]) -> None:
        self.paths: dict[str, Any] = description["paths"]
        self.definitions = {name: _convert(d) for name, d in description["definitions"].items()}
        self._checker = _checker()

    def operation(self, method: str, template: str) -> dict[str, Any]:
        item = self.paths.get(template)
        operation = item.get(method.lower()) if isinstance(item, dict) else None
        if not isinstance(operation, dict):
            raise LookupError(f"{method} {template} is not an operation in Argo CD's swagger.json")
        return operation

    def _validator(self, schema: Any) -> Draft4Validator:
        converted = _convert(schema)
        return Draft4Validator({**converted, "definitions": self.definitions}, format_checker=self._checker)

    def errors(
        self, method: str, template: str | None, status: int, body: Any, query: dict[str, str], request_body: Any
    ) -> list[str]:
        """Why an exchange does not conform (empty when it does)."""
        if template is None:
            return [f"{method} (no route) answered {status}"]
        try:
            operation = self.operation(method, template)
        except LookupError as exc:
            return [str(exc)]
        where = f"{operation.get('operationId')} {status}"
        problems: list[str] = []
        declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        problems += [f"{where}: query parameter `{name}` is not declared" for name in query if name not in declared]
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "body" and request_body is not None:
                found = self._validator(parameter["schema"]).iter_errors(request_body)
                problems += [f"{where} request at {e.json_path}: {e.message[:300]}" for e in found]
        responses = operation["responses"]
        response = responses.get(str(status)) or responses.get("default")
        if response is None:
            return [*problems, f"{where}: status not declared"]
        if "schema" not in response:
            return problems
        if body is None:
            return [*problems, f"{where}: expected a JSON body, got none"]
        found = sorted(self._validator(response["schema"]).iter_errors(body), key=lambda e: list(e.absolute_path))
        return problems + [f"{where} at {e.json_path}: {e.message[:300]}" for e in found[:5]]


_CONTRACT: list[ArgoContract] = []


def contract() -> ArgoContract:
    """The session's contract (swagger.json is parsed once)."""
    if not _CONTRACT:
        _CONTRACT.append(ArgoContract(load_description()))
    return _CONTRACT[0]


def nonconforming(exchanges: Iterable[Any]) -> list[str]:
    """One line per exchange of the fake Argo CD that breaks the description (injected faults excepted)."""
    check = contract()
    problems = []
    for exchange in exchanges:
        if exchange.fault in ("bad-gateway", "slow"):
            continue  # a proxy's HTML page, or no answer at all: not Argo CD speaking
        for error in check.errors(
            exchange.method, exchange.template, exchange.status, exchange.body, exchange.query, exchange.request_body
        ):
            problems.append(f"{exchange.method} {exchange.path} -> {exchange.status}: {error}")
    return problems
