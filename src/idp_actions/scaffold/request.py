"""A scaffolding request: parsed, checked against the template's manifest, completed with defaults.

A request arrives as one JSON object (the ``request`` input of scaffold.yml,
which Backstage fills) or from the command line::

    {"template": "python-service",
     "parameters": {"name": "payments-api", "owner": "team-payments", "description": "…"},
     "id": "backstage-task-123"}

Every problem is collected and reported at once, each naming the parameter.
Values are checked by type, pattern and bounds (:meth:`.manifest.Parameter.check`);
control characters, NUL bytes and bidirectional overrides are refused in every
string; the service name must also be a DNS-1123 label. ``org``, ``owner`` and
``gitops_repository`` left out take the platform's configuration
(:class:`Context`); ``owner`` may also be a Backstage group reference
(``group:default/team-payments``, what Backstage's OwnerPicker gives).
Whether the team exists and the repository does not is checked against
GitHub by :func:`check_github`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from idp_actions.errors import UsageError
from idp_actions.scaffold.manifest import (
    DNS1123_LABEL,
    DNS1123_MAX,
    Manifest,
    ParameterError,
    find_template,
)

if TYPE_CHECKING:
    from idp_actions.scaffold.hub import Hub

MAX_REQUEST_BYTES = 64 * 1024
REQUEST_KEYS = ("template", "parameters", "id", "version")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")
#: Backstage's OwnerPicker answers with an entity reference; the team slug is its name.
_GROUP_REF = re.compile(r"group:(?:[a-z0-9][a-z0-9._-]*/)?([a-z0-9][a-z0-9_-]*)")


class RequestError(UsageError):
    """The request is not acceptable; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[str], *, hint: str | None = None) -> None:
        self.problems = tuple(problems)
        if len(problems) == 1:
            message = f"the scaffolding request is invalid: {problems[0]}"
        else:
            message = "the scaffolding request is invalid:\n" + "\n".join(f"  - {p}" for p in problems)
        super().__init__(message, hint=hint)


@dataclass(frozen=True, kw_only=True)
class Context:
    """Defaults the platform supplies: its organization, default team and GitOps repository."""

    org: str | None = None
    owner: str | None = None
    gitops_repository: str | None = None

    def default(self, name: str) -> str | None:
        """The platform's value for parameter ``name``, if it has one."""
        value = {"org": self.org, "owner": self.owner, "gitops_repository": self.gitops_repository}.get(name)
        return value or None


@dataclass(frozen=True, kw_only=True)
class ScaffoldRequest:
    """A checked request: the template's manifest and every parameter's value."""

    manifest: Manifest
    answers: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    id: str | None = None

    @property
    def name(self) -> str:
        """The service's (and repository's) name."""
        return str(self.answers["name"])

    @property
    def org(self) -> str:
        """The GitHub organization."""
        return str(self.answers["org"])

    @property
    def owner(self) -> str:
        """The owning team's slug."""
        return str(self.answers["owner"])

    @property
    def repository(self) -> str:
        """``org/name``."""
        return f"{self.org}/{self.name}"

    @property
    def description(self) -> str:
        """The repository description ('' when the template has none)."""
        return str(self.answers.get("description") or "")

    @property
    def visibility(self) -> str:
        """``private`` or ``internal`` (``private`` unless the template asks)."""
        return str(self.answers.get("visibility") or "private")


def load_json(raw: str | bytes) -> Any:
    """Parse a request's JSON within :data:`MAX_REQUEST_BYTES`, refusing duplicate keys."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > MAX_REQUEST_BYTES:
        raise RequestError([f"it is {len(data)} bytes, more than {MAX_REQUEST_BYTES}"])

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise RequestError([f"key {', '.join(map(repr, twice))} appears twice"])
        return dict(pairs)

    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=no_duplicates)
    except UnicodeDecodeError as exc:
        raise RequestError([f"it is not UTF-8 (byte {exc.start})"]) from None
    except json.JSONDecodeError as exc:
        raise RequestError(
            [f"it is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"],
            hint='send one JSON object: {"template": "…", "parameters": {"name": "…", …}}',
        ) from None


def parse_request(data: Any, *, templates: Path, context: Context | None = None) -> ScaffoldRequest:
    """Check ``data`` (a parsed JSON object) and return the complete request."""
    context = context or Context()
    if not isinstance(data, dict):
        raise RequestError([f"it must be a JSON object, got {type(data).__name__}"])
    unknown = sorted(set(data) - set(REQUEST_KEYS))
    problems: list[str] = []
    if unknown:
        problems.append(f"unknown key(s) {', '.join(map(repr, unknown))}; it may hold {', '.join(REQUEST_KEYS)}")
    template = data.get("template")
    if not isinstance(template, str) or not template:
        raise RequestError([*problems, "`template` (the template's name) is missing"])
    manifest = find_template(template, templates)
    request_id = data.get("id")
    if request_id is not None and (not isinstance(request_id, str) or not _ID.fullmatch(request_id)):
        problems.append("`id` must be letters, digits and ._:/- (at most 128)")
    parameters = data.get("parameters", {})
    if not isinstance(parameters, dict):
        raise RequestError([*problems, "`parameters` must be a JSON object"])
    answers, more = check_parameters(manifest, parameters, context)
    problems += more
    if problems:
        raise RequestError(problems, hint=f"`idp scaffold show {manifest.name}` lists its parameters")
    return ScaffoldRequest(manifest=manifest, answers=MappingProxyType(answers), id=request_id)


def check_parameters(
    manifest: Manifest, given: Mapping[str, Any], context: Context
) -> tuple[dict[str, Any], list[str]]:
    """Every parameter's checked value (given, else the platform's, else the default) and the problems."""
    problems: list[str] = []
    declared = {p.name for p in manifest.parameters}
    unknown = sorted(set(given) - declared)
    if unknown:
        problems.append(f"template {manifest.name} has no parameter(s) {', '.join(map(repr, unknown))}")
    answers: dict[str, Any] = {}
    for parameter in manifest.parameters:
        value = given.get(parameter.name)
        if value is None or (value == "" and context.default(parameter.name)):
            value = context.default(parameter.name)
        if value is None:
            value = parameter.default
        group = _GROUP_REF.fullmatch(value) if parameter.name == "owner" and isinstance(value, str) else None
        if group:
            value = group.group(1)
        if value is None:
            if parameter.required:
                problems.append(f"parameter `{parameter.name}` is required ({parameter.description})")
            continue
        try:
            answers[parameter.name] = parameter.check(value)
        except ParameterError as exc:
            problems.append(str(exc))
    name = answers.get("name")
    if isinstance(name, str) and (len(name) > DNS1123_MAX or not DNS1123_LABEL.fullmatch(name)):
        problems.append(f"parameter `name`: {name!r} is not a DNS-1123 label (lowercase letters, digits and "
                        f"dashes, at most {DNS1123_MAX} characters)")
    return answers, problems


def parse_assignments(manifest: Manifest, pairs: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` command-line pairs as typed parameter values (by the manifest's types)."""
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"-p {pair!r}: expected KEY=VALUE", hint="for example: -p name=payments-api")
        if not manifest.has(key):
            raise RequestError([f"template {manifest.name} has no parameter {key!r}"],
                               hint=f"`idp scaffold show {manifest.name}` lists its parameters")
        kind = manifest.parameter(key).type
        if kind == "integer":
            try:
                values[key] = int(raw)
            except ValueError:
                raise RequestError([f"parameter `{key}`: must be a whole number, got {raw!r}"]) from None
        elif kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise RequestError([f"parameter `{key}`: must be true or false, got {raw!r}"])
            values[key] = raw.lower() == "true"
        else:
            values[key] = raw
    return values


def check_github(request: ScaffoldRequest, hub: Hub, *, gitops_repository: str | None = None) -> None:
    """What only GitHub knows: the organization and team exist, the repository does not yet."""
    problems: list[str] = []
    if not hub.org_exists(request.org):
        raise RequestError([f"organization {request.org!r} does not exist (or the token cannot see it)"],
                           hint="check `org` and that the GitHub App is installed in that organization")
    if not hub.team_exists(request.org, request.owner):
        problems.append(f"team {request.owner!r} does not exist in {request.org} (`owner` is the team's slug, "
                        "as in github.com/orgs/ORG/teams/SLUG)")
    if hub.repo_exists(request.repository):
        problems.append(f"repository {request.repository} already exists: choose another `name`")
    if gitops_repository and not hub.repo_exists(gitops_repository):
        problems.append(f"the GitOps repository {gitops_repository} does not exist or the token cannot see it")
    if problems:
        raise RequestError(problems)
