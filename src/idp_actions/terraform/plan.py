"""A plan as ``tofu show -json`` prints it: summarised for people, hashed for the apply check.

Pure functions over the parsed JSON (a ``dict``); nothing here runs a tool.

**Summary** (:func:`summarise`): every resource change grouped by action
(``create``, ``update``, ``replace``, ``delete``, ``read``, ``forget``), moves,
imports, output changes and the drift found while refreshing (``resource_drift``).
Sensitive values are never shown: an attribute or output marked sensitive in
``before_sensitive`` / ``after_sensitive`` — wholly or anywhere inside it — is
rendered as ``(sensitive value)``. Providers do not always mark what derives from a
secret (``terraform_data.output`` echoes a sensitive ``input`` unmarked, and tofu's
own text then prints it), so every value that *contains* a known secret — any
value marked sensitive anywhere in the plan, or a sensitive variable's value, of at
least :data:`MIN_SECRET_CHARS` characters — is hidden too (:func:`secrets`,
:func:`redact`).

**Hash** (:func:`plan_hash`): SHA-256 over a normalised form of what an apply would
do — every resource change that is not a plain no-op (actions, before and after
values, unknowns, replace paths, moves, imports) and every output change, in a
canonical JSON encoding. What does not change the outcome is left out: timestamps,
the tool's version, the configuration, prior state and refresh-only drift. Sensitive
values enter the hash only through an HMAC keyed with a secret (``key``); without a
key they are replaced by a fixed token, because a plain hash of a low-entropy secret
published in a pull-request comment could be brute-forced. A reviewer never sees
sensitive values either, so the hash covers everything the review could cover.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SENSITIVE = "(sensitive value)"
UNKNOWN = "(known after apply)"
#: Actions in the order people read them (worst last would hide destroys below the fold).
ACTIONS = ("create", "update", "replace", "delete", "read", "forget")
HASH_FORMAT = "idp-plan/v1"
VARIABLES_FORMAT = "idp-variables/v1"
MAX_VALUE_CHARS = 60
#: Shorter sensitive strings are not searched for elsewhere ("1", "yes" would hide too much).
MIN_SECRET_CHARS = 4
_SENSITIVE_TOKEN = "\x00sensitive"


def action_of(actions: Sequence[str]) -> str:
    """One word for a change's ``actions`` list (``["delete", "create"]`` → ``replace``)."""
    found = tuple(actions)
    if found in (("delete", "create"), ("create", "delete")):
        return "replace"
    if len(found) == 1:
        return found[0]
    return "+".join(found) or "no-op"


@dataclass(frozen=True, kw_only=True)
class AttributeChange:
    """One top-level attribute of an updated or replaced resource, values already rendered."""

    name: str
    before: str
    after: str
    forces_replacement: bool = False


@dataclass(frozen=True, kw_only=True)
class ResourceChange:
    """One resource instance that the plan changes (or that drifted)."""

    address: str
    action: str
    previous_address: str | None = None
    import_id: str | None = None
    reason: str | None = None
    deposed: str | None = None
    attributes: tuple[AttributeChange, ...] = ()


@dataclass(frozen=True, kw_only=True)
class OutputChange:
    """One root module output that changes; ``before``/``after`` are rendered (masked if sensitive)."""

    name: str
    action: str
    before: str
    after: str
    sensitive: bool


@dataclass(frozen=True, kw_only=True)
class PlanSummary:
    """What a plan does, ready to render. Built by :func:`summarise`."""

    tool_version: str | None
    changes: tuple[ResourceChange, ...]
    outputs: tuple[OutputChange, ...]
    drift: tuple[ResourceChange, ...]
    errored: bool = False
    complete: bool = True
    counts: Mapping[str, int] = field(default_factory=dict)

    def count(self, action: str) -> int:
        """How many resource changes have ``action`` (``moved``, ``imported`` count those too)."""
        return int(self.counts.get(action, 0))

    def by_action(self, action: str) -> list[ResourceChange]:
        """The changes whose action is ``action``, in address order."""
        return [change for change in self.changes if change.action == action]

    @property
    def moved(self) -> list[ResourceChange]:
        """Changes that move a resource to a new address."""
        return [change for change in self.changes if change.previous_address]

    @property
    def imported(self) -> list[ResourceChange]:
        """Changes that import an existing object."""
        return [change for change in self.changes if change.import_id is not None]

    @property
    def has_changes(self) -> bool:
        """True when applying would change anything: resources, moves, imports or outputs."""
        return bool(self.changes or self.outputs)

    def headline(self) -> str:
        """``2 to add, 1 to change, 0 to destroy, 1 to replace`` plus moves, imports, forgets, reads."""
        parts = [
            f"{self.count('create')} to add",
            f"{self.count('update')} to change",
            f"{self.count('delete')} to destroy",
            f"{self.count('replace')} to replace",
        ]
        for key, words in (("imported", "to import"), ("moved", "moved"), ("forget", "to forget"),
                           ("read", "to read")):
            if self.count(key):
                parts.append(f"{self.count(key)} {words}")
        return ", ".join(parts)


def _resource_json(change: ResourceChange) -> dict[str, Any]:
    return {
        "address": change.address,
        "action": change.action,
        "previous_address": change.previous_address,
        "import_id": change.import_id,
        "reason": change.reason,
        "deposed": change.deposed,
        "attributes": [
            {"name": a.name, "before": a.before, "after": a.after, "forces_replacement": a.forces_replacement}
            for a in change.attributes
        ],
    }


def summary_to_json(summary: PlanSummary) -> dict[str, Any]:
    """``summary`` as plain JSON (for the run's artifact and a combined comment built later).

    Written out by hand: ``dataclasses.asdict`` deep-copies and is ten times slower on a large plan.
    """
    return {
        "tool_version": summary.tool_version,
        "changes": [_resource_json(c) for c in summary.changes],
        "outputs": [
            {"name": o.name, "action": o.action, "before": o.before, "after": o.after, "sensitive": o.sensitive}
            for o in summary.outputs
        ],
        "drift": [_resource_json(c) for c in summary.drift],
        "errored": summary.errored,
        "complete": summary.complete,
        "counts": dict(summary.counts),
    }


def summary_from_json(data: Mapping[str, Any]) -> PlanSummary:
    """The inverse of :func:`summary_to_json`; :class:`ValueError` on a malformed document."""
    try:
        def resource(item: Mapping[str, Any]) -> ResourceChange:
            attributes = tuple(AttributeChange(**a) for a in item.get("attributes") or ())
            return ResourceChange(**{**item, "attributes": attributes})

        return PlanSummary(
            tool_version=data.get("tool_version"),
            changes=tuple(resource(c) for c in data.get("changes") or ()),
            outputs=tuple(OutputChange(**o) for o in data.get("outputs") or ()),
            drift=tuple(resource(c) for c in data.get("drift") or ()),
            errored=bool(data.get("errored", False)),
            complete=bool(data.get("complete", True)),
            counts=dict(data.get("counts") or {}),
        )
    except TypeError as exc:
        raise ValueError(f"not a plan summary: {exc}") from None


# ---------------------------------------------------------------- values


def _any_true(mark: Any) -> bool:
    """True when a sensitivity or unknown mark is ``true`` anywhere inside."""
    if mark is True:
        return True
    if isinstance(mark, Mapping):
        return any(_any_true(v) for v in mark.values())
    if isinstance(mark, list):
        return any(_any_true(v) for v in mark)
    return False


def _child(mark: Any, key: str) -> Any:
    if mark is True:
        return True
    if isinstance(mark, Mapping):
        return mark.get(key)
    return None


def _leaves(value: Any, mark: Any, found: set[str]) -> None:
    """Add the strings of ``value`` that ``mark`` makes sensitive to ``found``."""
    if mark is True:
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                if len(item) >= MIN_SECRET_CHARS:
                    found.add(item)
            elif isinstance(item, Mapping):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return
    if not mark:
        return
    if isinstance(mark, Mapping) and isinstance(value, Mapping):
        for key, sub in mark.items():
            _leaves(value.get(key), sub, found)
    elif isinstance(mark, list) and isinstance(value, list):
        for index, sub in enumerate(mark):
            if index < len(value):
                _leaves(value[index], sub, found)
    elif _any_true(mark):
        _leaves(value, True, found)


def secrets(plan: Mapping[str, Any]) -> frozenset[str]:
    """Every sensitive string in ``plan``: values marked sensitive and sensitive variables' values."""
    found: set[str] = set()
    for key in ("resource_changes", "resource_drift"):
        for entry in plan.get(key) or []:
            change = entry.get("change") or {}
            _leaves(change.get("before"), change.get("before_sensitive"), found)
            _leaves(change.get("after"), change.get("after_sensitive"), found)
    for change in (plan.get("output_changes") or {}).values():
        if isinstance(change, Mapping):
            _leaves(change.get("before"), change.get("before_sensitive"), found)
            _leaves(change.get("after"), change.get("after_sensitive"), found)
    declared = ((plan.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    for name, entry in (plan.get("variables") or {}).items():
        if (declared.get(name) or {}).get("sensitive") and isinstance(entry, Mapping):
            _leaves(entry.get("value"), True, found)
    return frozenset(found)


def holds_secret(value: Any, known: frozenset[str]) -> bool:
    """True when a string anywhere in ``value`` contains one of the ``known`` secrets."""
    if not known:
        return False
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any(secret in item for secret in known):
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def redact(text: str, known: frozenset[str]) -> str:
    """``text`` (the tool's own rendering of a plan) with every known secret replaced by ``(sensitive value)``."""
    for secret in sorted(known, key=len, reverse=True):
        for form in {secret, json.dumps(secret, ensure_ascii=False)[1:-1]}:
            text = text.replace(form, SENSITIVE)
    return text


def show_value(value: Any, *, limit: int = MAX_VALUE_CHARS) -> str:
    """A value on one line, as JSON (strings quoted, nothing escaped that needs no escaping), cut to ``limit``."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), sort_keys=True)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _attributes(change: Mapping[str, Any], known: frozenset[str]) -> tuple[AttributeChange, ...]:
    before = change.get("before")
    after = change.get("after")
    before = before if isinstance(before, Mapping) else {}
    after = after if isinstance(after, Mapping) else {}
    unknown = change.get("after_unknown")
    before_sensitive = change.get("before_sensitive")
    after_sensitive = change.get("after_sensitive")
    forced = {
        str(path[0])
        for path in change.get("replace_paths") or []
        if isinstance(path, list) and path
    }
    found = []
    for name in sorted(set(before) | set(after) | set(unknown if isinstance(unknown, Mapping) else ())):
        is_unknown = _any_true(_child(unknown, name))
        old, new = before.get(name), after.get(name)
        if not is_unknown and old == new:
            continue
        if not is_unknown and old is None and new in ({}, []):
            continue  # an empty block the provider fills in: not a change anyone made
        sensitive = (
            _any_true(_child(before_sensitive, name))
            or _any_true(_child(after_sensitive, name))
            or holds_secret(old, known)
            or holds_secret(new, known)
        )
        if sensitive:
            shown_before = SENSITIVE if name in before else "null"
            shown_after = UNKNOWN if is_unknown and new is None else SENSITIVE
        else:
            shown_before = show_value(old) if name in before else "null"
            shown_after = UNKNOWN if is_unknown else show_value(new)
        found.append(
            AttributeChange(
                name=name, before=shown_before, after=shown_after, forces_replacement=name in forced
            )
        )
    return tuple(found)


def _resource(entry: Mapping[str, Any], *, details: bool, known: frozenset[str]) -> ResourceChange:
    change = entry.get("change") or {}
    action = action_of(change.get("actions") or [])
    importing = change.get("importing")
    import_id = None
    if isinstance(importing, Mapping):
        import_id = str(importing.get("id") or importing.get("identity") or "")
        if holds_secret(import_id, known):
            import_id = SENSITIVE
    attributes: tuple[AttributeChange, ...] = ()
    if details and action in ("update", "replace"):
        attributes = _attributes(change, known)
    return ResourceChange(
        address=str(entry.get("address", "?")),
        action=action,
        previous_address=entry.get("previous_address") or None,
        import_id=import_id,
        reason=entry.get("action_reason") or None,
        deposed=entry.get("deposed") or None,
        attributes=attributes,
    )


def _output(name: str, change: Mapping[str, Any], known: frozenset[str]) -> OutputChange:
    action = action_of(change.get("actions") or [])
    sensitive = (
        _any_true(change.get("before_sensitive"))
        or _any_true(change.get("after_sensitive"))
        or holds_secret(change.get("before"), known)
        or holds_secret(change.get("after"), known)
    )
    unknown = _any_true(change.get("after_unknown"))
    if sensitive:
        before = "null" if change.get("before") is None else SENSITIVE
        after = UNKNOWN if unknown else ("null" if change.get("after") is None else SENSITIVE)
    else:
        before = show_value(change.get("before"))
        after = UNKNOWN if unknown else show_value(change.get("after"))
    if action == "delete":
        after = "null"
    return OutputChange(name=name, action=action, before=before, after=after, sensitive=sensitive)


def summarise(
    plan: Mapping[str, Any], *, details: bool = True, known: frozenset[str] | None = None
) -> PlanSummary:
    """The summary of a parsed plan JSON; ``details=False`` skips per-attribute changes (faster).

    ``known`` is :func:`secrets` of the plan when the caller has it already.
    """
    changes = []
    counts: Counter[str] = Counter()
    if known is None:
        known = secrets(plan) if details else frozenset()
    for entry in plan.get("resource_changes") or []:
        resource = _resource(entry, details=details, known=known)
        if resource.action == "no-op" and not resource.previous_address and resource.import_id is None:
            continue
        changes.append(resource)
        counts[resource.action] += 1
        if resource.previous_address:
            counts["moved"] += 1
        if resource.import_id is not None:
            counts["imported"] += 1
    drift = [
        _resource(entry, details=details, known=known)
        for entry in plan.get("resource_drift") or []
    ]
    outputs = [
        _output(str(name), change, known)
        for name, change in sorted((plan.get("output_changes") or {}).items())
        if isinstance(change, Mapping) and action_of(change.get("actions") or []) != "no-op"
    ]
    changes.sort(key=lambda c: (c.address, c.deposed or ""))
    drift.sort(key=lambda c: c.address)
    return PlanSummary(
        tool_version=plan.get("terraform_version"),
        changes=tuple(changes),
        outputs=tuple(outputs),
        drift=tuple(drift),
        errored=bool(plan.get("errored", False)),
        complete=bool(plan.get("complete", True)),
        counts=dict(counts),
    )


# ------------------------------------------------------------------ hashes


class _Masker:
    """Replaces sensitive values by a token, or by an HMAC when a key is given."""

    def __init__(self, key: bytes | None, known: frozenset[str] = frozenset()) -> None:
        self.key = key
        self.known = known

    def token(self, value: Any) -> Any:
        if self.key is None:
            return _SENSITIVE_TOKEN
        digest = hmac.new(self.key, canonical(value), hashlib.sha256).hexdigest()
        return f"{_SENSITIVE_TOKEN}:hmac-sha256:{digest}"

    def mask(self, value: Any, mark: Any) -> Any:
        if mark is True:
            return self.token(value)
        if not mark:  # False, None, {} or []: nothing inside is marked sensitive (the common case)
            return self.scrub(value) if self.known else value
        if isinstance(mark, Mapping) and isinstance(value, Mapping):
            return {k: self.mask(v, mark.get(k)) for k, v in value.items()}
        if isinstance(mark, list) and isinstance(value, list):
            return [self.mask(v, mark[i] if i < len(mark) else None) for i, v in enumerate(value)]
        return self.token(value) if _any_true(mark) else self.scrub(value)

    def scrub(self, value: Any) -> Any:
        """``value`` with every string that contains a known secret replaced by a token."""
        if isinstance(value, str):
            return self.token(value) if any(secret in value for secret in self.known) else value
        if isinstance(value, Mapping):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        return value


def canonical(value: Any) -> bytes:
    """The canonical JSON encoding hashes are taken over: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _digest(value: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical(value)).hexdigest()


def normalise(
    plan: Mapping[str, Any], *, key: bytes | None = None, known: frozenset[str] | None = None
) -> dict[str, Any]:
    """The part of ``plan`` the hash covers (see the module docstring)."""
    masker = _Masker(key, secrets(plan) if known is None else known)
    changes = []
    for entry in plan.get("resource_changes") or []:
        change = entry.get("change") or {}
        actions = list(change.get("actions") or [])
        importing = change.get("importing")
        previous = entry.get("previous_address")
        if actions == ["no-op"] and not importing and not previous:
            continue
        changes.append(
            {
                "address": entry.get("address"),
                "previous_address": previous,
                "deposed": entry.get("deposed"),
                "provider_name": entry.get("provider_name"),
                "actions": actions,
                "action_reason": entry.get("action_reason"),
                "importing": masker.scrub(importing),
                "before": masker.mask(change.get("before"), change.get("before_sensitive")),
                "after": masker.mask(change.get("after"), change.get("after_sensitive")),
                "after_unknown": change.get("after_unknown"),
                "replace_paths": change.get("replace_paths"),
            }
        )
    changes.sort(key=lambda c: (str(c["address"]), str(c["deposed"] or "")))
    outputs = {}
    for name, change in (plan.get("output_changes") or {}).items():
        actions = list(change.get("actions") or [])
        if actions == ["no-op"]:
            continue
        outputs[name] = {
            "actions": actions,
            "before": masker.mask(change.get("before"), change.get("before_sensitive")),
            "after": masker.mask(change.get("after"), change.get("after_sensitive")),
            "after_unknown": change.get("after_unknown"),
        }
    return {
        "format": HASH_FORMAT,
        "errored": bool(plan.get("errored", False)),
        "resource_changes": changes,
        "output_changes": outputs,
    }


def plan_hash(plan: Mapping[str, Any], *, key: bytes | None = None, known: frozenset[str] | None = None) -> str:
    """``sha256:<hex>`` of :func:`normalise` — equal for two plans that would apply the same changes."""
    return _digest(normalise(plan, key=key, known=known))


def variables_hash(
    plan: Mapping[str, Any], *, key: bytes | None = None, known: frozenset[str] | None = None
) -> str:
    """``sha256:<hex>`` of the root module's variable values (sensitive ones masked as in the plan hash)."""
    masker = _Masker(key, secrets(plan) if known is None else known)
    declared = ((plan.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    values = {}
    for name, entry in sorted((plan.get("variables") or {}).items()):
        value = entry.get("value") if isinstance(entry, Mapping) else None
        sensitive = bool((declared.get(name) or {}).get("sensitive"))
        values[name] = masker.token(value) if sensitive else masker.scrub(value)
    return _digest({"format": VARIABLES_FORMAT, "variables": values})


def fingerprint(parts: Iterable[Any]) -> str:
    """``sha256:<hex>`` of any JSON-able values (the backend fingerprint is one)."""
    return _digest(list(parts))


def load(text: str | bytes) -> dict[str, Any]:
    """Parse ``tofu show -json`` output; a :class:`ValueError` says when it is not a plan."""
    data = json.loads(text)
    if not isinstance(data, dict) or "format_version" not in data:
        raise ValueError("not a plan in JSON form (no `format_version`): expected `tofu show -json <planfile>`")
    return data
