"""A Constraint's ``spec.parameters`` checked against its template's schema, as the API server would.

The template's ``openAPIV3Schema`` becomes the constraint CRD's structural schema:
values must match it (types, minimums, enums …) and fields it does not declare are
refused (Gatekeeper's "unknown fields"), unless ``x-kubernetes-preserve-unknown-fields``.
"""

from __future__ import annotations

from typing import Any

from idp_actions.policy.documents import mapping
from idp_actions.policy.gatekeeper import Constraint, PolicyError, Template


def check_parameters(constraint: Constraint, template: Template) -> None:
    """Validate ``spec.parameters`` against the template's schema as the API server would."""
    where = f"constraint {constraint.kind}/{constraint.name}"
    params = constraint.parameters
    schema = template.schema or {}
    if params is None:
        return
    problems = _unknown_fields(schema, params, "spec.parameters")
    if problems:
        raise PolicyError(
            f"{where}: unknown fields: {', '.join(problems)}",
            file=constraint.path,
            line=constraint.line,
            hint=f"the parameters {template.kind} accepts are in {template.path} (openAPIV3Schema)",
        )
    from jsonschema import Draft4Validator

    validator = Draft4Validator(_json_schema(schema))
    errors = sorted(validator.iter_errors(params), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        at = "spec.parameters" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in first.absolute_path
        )
        raise PolicyError(
            f"{where}: {at}: {first.message}",
            file=constraint.path,
            line=constraint.line,
            hint=f"the parameters {template.kind} accepts are in {template.path} (openAPIV3Schema)",
        )


def _json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI v3 schema as JSON Schema (draft 4): ``nullable`` becomes a null type."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-kubernetes-"):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {k: _json_schema(v) if isinstance(v, dict) else v for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = _json_schema(value)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [_json_schema(v) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    if schema.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def _unknown_fields(schema: dict[str, Any], value: Any, path: str) -> list[str]:
    """Fields the structural schema would prune (Gatekeeper rejects them)."""
    if schema.get("x-kubernetes-preserve-unknown-fields") is True:
        return []
    if isinstance(value, dict):
        props = mapping(schema.get("properties"))
        extra = schema.get("additionalProperties")
        problems: list[str] = []
        for key, item in value.items():
            if key in props:
                problems += _unknown_fields(props[key], item, f"{path}.{key}")
            elif isinstance(extra, dict):
                problems += _unknown_fields(extra, item, f"{path}.{key}")
            elif extra is True:
                continue
            else:
                problems.append(f"{path}.{key}")
        if not props and extra is None and value and schema.get("type") != "object":
            return [path]
        return problems
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        problems = []
        for index, item in enumerate(value):
            problems += _unknown_fields(schema["items"], item, f"{path}[{index}]")
        return problems
    return []
