"""conftest semantics on real OPA: every package's deny/violation/warn rules over every input, in one ``opa eval``.

conftest evaluates, per input file, the rules ``deny``, ``violation`` and ``warn``
(and ``deny_<x>`` …) of the policy packages; a rule yields strings or objects
with a ``msg``. Here all packages of one area (``--all-namespaces``) are loaded
unchanged, and a generated driver iterates the inputs with ``with input as …``:
one OPA process for every Terraform plan, another for every Dockerfile, and so on.
Parameters reach policies as ``data.idp.parameters.<policy>`` (see
policies/terraform/lib/terraform.rego); without them policies use their defaults,
exactly as under plain conftest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from idp_actions.policy.inputs import FileInput
from idp_actions.policy.library import RegoFile
from idp_actions.policy.opa import Bundle, Source, evaluate
from idp_actions.policy.violation import Resource, Violation


def enforcement_of(rule: str) -> str:
    """``deny``/``violation`` rules deny, ``warn`` rules warn (conftest's reading of rule names)."""
    return "warn" if rule == "warn" or rule.startswith("warn_") else "deny"


def owners(modules: Sequence[RegoFile]) -> dict[tuple[str, str], str]:
    """Every (package, rule) conftest evaluates, and the policy it belongs to."""
    found: dict[tuple[str, str], str] = {}
    for module in modules:
        for rule in module.rules:
            found.setdefault((module.package, rule), module.policy)
    return found


def driver(area: str, modules: Sequence[RegoFile]) -> str:
    """The Rego that collects every conftest rule of every package over every input of ``area``.

    ``collected`` gathers every package's rules for the current ``input``; ``results``
    evaluates it once per input document under a single ``with input as doc``, so
    library rules shared by many policies are computed once per document, not once
    per rule.
    """
    blocks = [
        f"""collected contains [{json.dumps(package)}, {json.dumps(rule)}, v] if {{
\tsome v in data.{package}.{rule}
}}
"""
        for package, rule in sorted(owners(modules))
    ]
    blocks.append(
        """results contains [i, pkg, name, v] if {
\tsome i, doc in data.idp_engine.inputs
\tfound := collected with input as doc
\tsome [pkg, name, v] in found
}
"""
    )
    return f"package idp_driver.{area}\n\nimport rego.v1\n\n" + "\n".join(blocks)


def build(area: str, modules: Sequence[RegoFile], units: Sequence[Any], parameters: dict[str, Any]) -> Bundle:
    """The bundle of one evaluation: the area's modules (unchanged), the driver and the input documents as data."""
    bundle = Bundle()
    for index, module in enumerate(modules):
        bundle.add(
            f"policies/{index}/{module.path.name}",
            module.path.read_text(encoding="utf-8"),
            source=Source(file=module.shown),
        )
    bundle.add(f"driver/{area}.rego", driver(area, modules), source=Source(file="<driver>"))
    bundle.data = {
        "idp": {"parameters": parameters},
        "idp_engine": {"inputs": list(units)},
    }
    return bundle


def check(
    area: str,
    modules: Sequence[RegoFile],
    inputs: Sequence[FileInput],
    *,
    parameters: dict[str, Any],
    ceilings: dict[str, str],
    opa: str | None = None,
) -> list[Violation]:
    """Every deny/warn of the area's policies over ``inputs``."""
    if not inputs or not any(m.is_policy for m in modules):
        return []
    from idp_actions.policy.sets import cap

    units = [unit for item in inputs for unit in item.units()]
    file_of = [item for item in inputs for _ in item.units()]
    raw = _evaluate_all(area, modules, units, parameters, opa)
    policy_of = owners(modules)
    plans: dict[int, _PlanIndex] = {}
    violations = []
    for index, package, rule, value in raw:
        policy = policy_of[(package, rule)]
        item = file_of[int(index)]
        message, details = _message(value)
        action = cap(enforcement_of(rule), ceilings.get(policy, "deny"))
        resource, line = locate(item, message, details, plans)
        violations.append(
            Violation(
                policy=policy,
                constraint=f"{package}.{rule}",
                enforcement=action,
                message=message,
                area=area,
                path=item.path,
                line=line,
                resource=resource,
                details=details,
            )
        )
    return violations


#: Documents larger than this (serialised) get an ``opa eval`` of their own with the
#: document as the real ``input``: under ``with input as …`` OPA does not reuse what
#: it computed for the document, which costs large plans minutes instead of seconds.
LARGE_DOCUMENT = 256 * 1024


def _evaluate_all(
    area: str, modules: Sequence[RegoFile], units: Sequence[Any], parameters: dict[str, Any], opa: str | None
) -> list[list[Any]]:
    """``[index, package, rule, value]`` for every result of every document.

    Small documents share one batched evaluation through the driver; each large one
    gets its own.
    """
    large = {i for i, unit in enumerate(units) if len(json.dumps(unit)) > LARGE_DOCUMENT}
    small = [i for i in range(len(units)) if i not in large]
    raw: list[list[Any]] = []
    if small:
        batch = build(area, modules, [units[i] for i in small], parameters)
        for index, package, rule, value in evaluate(batch, f"data.idp_driver.{area}.results", opa=opa) or []:
            raw.append([small[int(index)], package, rule, value])
    for i in sorted(large):
        alone = build(area, modules, [], parameters)
        found = evaluate(alone, f"data.idp_driver.{area}.collected", opa=opa, input_document=units[i]) or []
        raw.extend([i, package, rule, value] for package, rule, value in found)
    return raw


def _message(value: Any) -> tuple[str, Any]:
    if isinstance(value, str):
        return value, None
    if isinstance(value, dict) and isinstance(value.get("msg"), str):
        rest = {k: v for k, v in value.items() if k != "msg"}
        return value["msg"], rest or None
    return json.dumps(value, sort_keys=True), None


# ------------------------------------------------------------------ locating


def locate(
    item: FileInput, message: str, details: Any, plans: dict[int, _PlanIndex] | None = None
) -> tuple[Resource, int | None]:
    """The resource and line a conftest message is about, as far as the input tells.

    ``plans`` caches each plan's index across the findings of one check (by ``id``).
    """
    if item.area == "terraform":
        plans = {} if plans is None else plans
        index = plans.get(id(item)) or plans.setdefault(id(item), _plan_index(item))
        address = _address(index, message, details)
        return Resource(address=address), index.lines.get(address) if address else None
    if item.area == "docker":
        return Resource(), _dockerfile_line(item, message)
    return Resource(), _line_of_token(item.text, message)


@dataclass(frozen=True)
class _PlanIndex:
    """A plan's resource addresses (longest first) and the line each is first planned on."""

    addresses: tuple[str, ...]
    lines: dict[str, int]


_ADDRESS_LINE = re.compile(r'"address"\s*:\s*("(?:[^"\\]|\\.)*")')


def _plan_index(item: FileInput) -> _PlanIndex:
    """Built once per plan: a large plan has hundreds of findings, each looked up here."""
    plan = item.data
    changes = plan.get("resource_changes") or [] if isinstance(plan, dict) else []
    addresses = {rc.get("address") for rc in changes if isinstance(rc, dict)}
    lines: dict[str, int] = {}
    line, position = 1, 0
    for found in _ADDRESS_LINE.finditer(item.text):
        line += item.text.count("\n", position, found.start())
        position = found.start()
        try:
            lines.setdefault(json.loads(found.group(1)), line)
        except ValueError:
            continue
    return _PlanIndex(
        addresses=tuple(sorted((a for a in addresses if isinstance(a, str) and a), key=len, reverse=True)),
        lines=lines,
    )


def _address(index: _PlanIndex, message: str, details: Any) -> str:
    if isinstance(details, dict):
        for key in ("address", "resource"):
            value = details.get(key) or (details.get("metadata") or {}).get(key)
            if isinstance(value, str) and value:
                return value
    for address in index.addresses:  # longest first: the first whole match is the best
        if address in message and re.search(rf"(?<![\w.\[\]\"]){re.escape(address)}(?![\w\[])", message):
            return address
    return ""


def _dockerfile_line(item: FileInput, message: str) -> int | None:
    """The line of the instruction a message is about.

    An instruction quoted whole (``FROM nginx``, as written or as ``CMD value …``)
    wins over a bare argument; arguments count only as whole tokens, so ``build``
    (``AS build``) does not match ``builds`` and ``nginx`` not ``nginx:latest``.
    Failing those, an argument that is more than a plain word (a path, an image)
    may occur inside a longer reference. Among equals the longest match wins,
    then the earliest instruction.
    """
    commands = item.data[0] if item.data and isinstance(item.data[0], list) else []
    source = item.text.splitlines()
    best: tuple[int, int, int] | None = None
    for command, line in zip(commands, item.lines, strict=False):
        if not isinstance(command, dict) or command.get("Cmd") == "comment":
            continue
        values = [v for v in command.get("Value") or [] if isinstance(v, str)]
        phrases = {f"{str(command.get('Cmd') or '').upper()} {' '.join(values)}".strip()}
        if 0 < line <= len(source):
            phrases.add(source[line - 1].strip().rstrip("\\").rstrip())
        candidates = [(2, p) for p in phrases if " " in p] + [(1, v) for v in values if len(v) >= 3]
        # a reference (path, image, flag) may still be quoted inside a longer one; a plain word may not
        candidates += [(0, v) for v in values if len(v) >= 3 and not re.fullmatch(r"\w+", v)]
        for rank, text in candidates:
            if (best is None or (rank, len(text)) > best[:2]) and (
                text in message if rank == 0 else _whole(text, message)
            ):
                best = (rank, len(text), line)
    return best[2] if best else None


def _whole(text: str, message: str) -> bool:
    """``text`` occurs in ``message`` as a token of its own, not inside a longer word or reference."""
    pattern = rf"(?<![^\s(\[`'\"=]){re.escape(text)}(?=[,;:.!?)\]`'\"]*(?:$|\s))"
    return re.search(pattern, message) is not None


_TOKEN = re.compile(r"[\"'`]([^\"'`\n]{3,})[\"'`]|(\S+@\S+)|(\S+/\S+)")


def _line_of_token(text: str, message: str) -> int | None:
    for found in _TOKEN.finditer(message):
        token = next(g for g in found.groups() if g).rstrip(".,;:)")
        index = text.find(token)
        if index >= 0:
            return text.count("\n", 0, index) + 1
    return None
