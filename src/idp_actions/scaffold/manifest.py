"""A template's manifest (``templates/<name>/manifest.yaml``): the single source of its parameters.

The manifest declares each parameter's type, pattern, bounds, default and
description. From it come the checks of a request (:meth:`Parameter.check`),
``idp scaffold list``/``show``, the copier questionnaire the renderer writes
(:mod:`.source`) and the form of the generated Backstage template
(:mod:`.backstage`). A manifest is validated against :data:`MANIFEST_SCHEMA`
when it is read; its errors name the file and the key.

Three parameter names carry meaning beyond the template: ``name`` (the
repository and service name, always a DNS-1123 label), ``owner`` (the GitHub
team slug that owns it) and ``org`` (the GitHub organization). Every manifest
declares them. ``description`` and ``visibility``, when declared, become the
repository's description and visibility.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

from idp_actions.errors import ConfigError, UsageError

ParamType = Literal["string", "integer", "boolean"]

MANIFEST_FILE = "manifest.yaml"
TEMPLATE_DIR = "template"
#: A DNS-1123 label (RFC 1123, as Kubernetes checks names): the rule every service name keeps.
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_MAX = 63
#: Strings without a declared maxLength are still bounded.
DEFAULT_MAX_LENGTH = 1000
REQUIRED_PARAMETERS = ("name", "owner", "org")
CHECKS = ("workflows", "tests", "kubernetes", "docker", "terraform", "catalog", "policy", "scan")
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
# C0/C1 controls, DEL, line/paragraph separators and bidirectional overrides ("Trojan Source").
_UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")

_IDENT = {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"}
_PARAMETER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "type", "title", "description"],
    "properties": {
        "name": _IDENT,
        "type": {"enum": ["string", "integer", "boolean"]},
        "title": {"type": "string", "minLength": 1},
        "description": {"type": "string", "minLength": 1},
        "required": {"type": "boolean"},
        "default": {"type": ["string", "integer", "boolean"]},
        "pattern": {"type": "string", "minLength": 1},
        "minLength": {"type": "integer", "minimum": 0},
        "maxLength": {"type": "integer", "minimum": 1},
        "minimum": {"type": "integer"},
        "maximum": {"type": "integer"},
        "enum": {"type": "array", "minItems": 1, "items": {"type": ["string", "integer"]}},
        "example": {"type": ["string", "integer", "boolean"]},
        "backstage": {
            "description": "Backstage form hints (ui:field, ui:options …), copied into the generated form.",
            "type": "object",
            "propertyNames": {"pattern": "^ui:[A-Za-z]+$"},
        },
    },
}
#: What a manifest may contain (JSON Schema, draft 2020-12).
MANIFEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "version", "title", "description", "type", "parameters"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z][a-z0-9-]*$"},
        "version": {"type": "string", "pattern": r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"},
        "title": {"type": "string", "minLength": 1},
        "description": {"type": "string", "minLength": 1},
        "type": {"description": "Backstage spec.type of what the template makes.", "type": "string"},
        "tags": {"type": "array", "items": {"type": "string", "pattern": r"^[a-z0-9:+#-]+$"}},
        "maintainer": {"description": "Backstage group that owns the template.", "type": "string"},
        "topics": {"type": "array", "items": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]{0,49}$"}},
        "checks": {"type": "array", "uniqueItems": True, "items": {"enum": list(CHECKS)}},
        "parameters": {"type": "array", "minItems": 1, "items": _PARAMETER_SCHEMA},
        "derived": {
            "description": "Values computed from the parameters (Jinja expressions, rendered in the sandbox).",
            "type": "object",
            "propertyNames": _IDENT,
            "additionalProperties": {"type": "string"},
        },
        "gitops": {
            "description": "Where the service's Kubernetes manifests are in the generated repository.",
            "type": "object",
            "additionalProperties": False,
            "required": ["base", "overlays"],
            "properties": {
                "base": {"type": "string"},
                "overlays": {"type": "string"},
                "image": {"description": "Image name (Jinja), without tag or digest.", "type": "string"},
                "port": {"description": "Parameter holding the service's port.", "type": "string"},
            },
        },
        "tests": {
            "description": "Commands that run the generated project's own tests, in order, from its root. "
            "`{python}` is the Python that runs idp, `{tool}` any tool idp knows (`{tofu}`).",
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["run"],
                "properties": {
                    "run": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
                    "env": {"type": "object", "additionalProperties": {"type": "string"}},
                    "timeout": {"type": "integer", "minimum": 1, "maximum": 3600},
                },
            },
        },
        "required-checks": {
            "description": "Status checks the repository's ruleset requires on the default branch.",
            "type": "array",
            "items": {"type": "string", "minLength": 1},
        },
        "starter-workflows": {
            "description": "Workflows of the generated repository (path in template/) that are copies of the "
            "suite's starter workflows (name in workflows/), kept identical by `scripts/sync-starters`.",
            "type": "object",
            "additionalProperties": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
            "propertyNames": {"pattern": "^\\.github/workflows/[A-Za-z0-9_.-]+\\.ya?ml$"},
        },
    },
}


class ManifestError(ConfigError):
    """A template manifest is missing or invalid."""


class ParameterError(UsageError):
    """A request's value for a parameter is not acceptable; the message names the parameter."""

    def __init__(self, parameter: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"parameter `{parameter}`: {message}", hint=hint)
        self.parameter = parameter


@dataclass(frozen=True, kw_only=True)
class Parameter:
    """One declared parameter of a template."""

    name: str
    type: ParamType
    title: str
    description: str
    required: bool = False
    default: str | int | bool | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    enum: tuple[str | int, ...] | None = None
    example: str | int | bool | None = None
    backstage: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def effective_max_length(self) -> int:
        """The longest string accepted (the declared maxLength, else :data:`DEFAULT_MAX_LENGTH`)."""
        return self.max_length if self.max_length is not None else DEFAULT_MAX_LENGTH

    def check(self, value: Any) -> str | int | bool:
        """``value`` if acceptable for this parameter, else :class:`ParameterError` saying why."""
        if self.type == "boolean":
            if not isinstance(value, bool):
                raise ParameterError(self.name, f"must be true or false, got {_show(value)}")
            return value
        if self.type == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(self.name, f"must be a whole number, got {_show(value)}")
            if self.minimum is not None and value < self.minimum:
                raise ParameterError(self.name, f"must be at least {self.minimum}, got {value}")
            if self.maximum is not None and value > self.maximum:
                raise ParameterError(self.name, f"must be at most {self.maximum}, got {value}")
            if self.enum is not None and value not in self.enum:
                raise ParameterError(self.name, f"must be one of {_choices(self.enum)}, got {value}")
            return value
        if not isinstance(value, str):
            raise ParameterError(self.name, f"must be a string, got {_show(value)}")
        bad = _UNSAFE_CHARS.search(value)
        if bad:
            raise ParameterError(
                self.name,
                f"contains the control character U+{ord(bad.group()):04X} at position {bad.start()}",
                hint="use a single line of printable text",
            )
        if len(value) > self.effective_max_length:
            raise ParameterError(self.name, f"is {len(value)} characters long, at most {self.effective_max_length}")
        if self.min_length is not None and len(value) < self.min_length:
            raise ParameterError(self.name, f"must be at least {self.min_length} characters long")
        if self.enum is not None and value not in self.enum:
            raise ParameterError(self.name, f"must be one of {_choices(self.enum)}, got {_show(value)}")
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise ParameterError(
                self.name,
                f"{_show(value)} does not match the pattern {self.pattern}",
                hint=f"{self.description.rstrip('.')}." + (f" For example: {self.example}" if self.example else ""),
            )
        return value


@dataclass(frozen=True, kw_only=True)
class GitOps:
    """Where a service template keeps its Kubernetes manifests, and its image name."""

    base: str
    overlays: str
    image: str
    port: str | None = None


@dataclass(frozen=True, kw_only=True)
class TestCommand:
    """One command of a template's own tests (see ``tests`` in the manifest)."""

    run: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    timeout: int = 300


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """A template's manifest, read and validated."""

    name: str
    version: str
    title: str
    description: str
    type: str
    root: Path
    parameters: tuple[Parameter, ...]
    tags: tuple[str, ...] = ()
    maintainer: str = "platform-team"
    topics: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    derived: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    gitops: GitOps | None = None
    required_checks: tuple[str, ...] = ()
    tests: tuple[TestCommand, ...] = ()
    #: generated workflow path -> the starter workflow (``workflows/<name>.yml``) it copies
    starter_workflows: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def template_dir(self) -> Path:
        """The folder copier renders (``<root>/template``)."""
        return self.root / TEMPLATE_DIR

    @property
    def tag(self) -> str:
        """The version as copier records it in the answers file (``v1.2.3``)."""
        return f"v{self.version}"

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name`` (KeyError when the template has none)."""
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise KeyError(name)

    def has(self, name: str) -> bool:
        """Whether the template declares parameter ``name``."""
        return any(p.name == name for p in self.parameters)


# ---------------------------------------------------------------- reading


def templates_root(environ: Mapping[str, str] | None = None) -> Path:
    """Where the templates are: ``IDP_TEMPLATES``, else ``templates/`` of this checkout."""
    env = os.environ if environ is None else environ
    override = env.get("IDP_TEMPLATES", "").strip()
    root = Path(override).expanduser() if override else Path(__file__).resolve().parents[3] / "templates"
    if not root.is_dir():
        raise UsageError(
            f"the scaffolding templates were not found (looked in {root})",
            hint="run idp from a checkout of idp-actions (the actions do), or set IDP_TEMPLATES "
            "to a folder of templates",
        )
    return root


def available(root: Path) -> list[str]:
    """Names of the templates under ``root`` (folders with a manifest)."""
    return sorted(p.parent.name for p in root.glob(f"*/{MANIFEST_FILE}") if p.parent.name != "backstage")


def find_template(name: str, root: Path) -> Manifest:
    """The manifest of template ``name`` under ``root``; an error lists the templates there are."""
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,62}", name):
        raise UsageError(f"template {_show(name)} is not a template name", hint=_choose(root))
    path = root / name / MANIFEST_FILE
    if not path.is_file():
        raise UsageError(f"there is no template called `{name}`", hint=_choose(root))
    return load_manifest(path)


def load_manifest(path: Path) -> Manifest:
    """Read and validate one manifest file."""
    from jsonschema import Draft202012Validator

    shown = f"{path.parent.name}/{path.name}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ManifestError(f"cannot be read: {exc}", file=shown) from None
    errors = sorted(Draft202012Validator(MANIFEST_SCHEMA).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        key = ".".join(str(p) for p in first.absolute_path) or None
        raise ManifestError(first.message, file=shown, path=key)
    if data["name"] != path.parent.name:
        raise ManifestError(f"name `{data['name']}` differs from its folder `{path.parent.name}`", file=shown)
    parameters = tuple(_parameter(raw, shown, index) for index, raw in enumerate(data["parameters"]))
    names = [p.name for p in parameters]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ManifestError(f"parameters declared twice: {', '.join(duplicates)}", file=shown, path="parameters")
    missing = [n for n in REQUIRED_PARAMETERS if n not in names]
    if missing:
        raise ManifestError(f"every template declares {', '.join(REQUIRED_PARAMETERS)}; missing: "
                            f"{', '.join(missing)}", file=shown, path="parameters")
    clash = sorted(set(data.get("derived") or {}) & set(names))
    if clash:
        raise ManifestError(f"derived values shadow parameters: {', '.join(clash)}", file=shown, path="derived")
    name_param = parameters[names.index("name")]
    if name_param.type != "string" or not name_param.required or name_param.pattern is None:
        raise ManifestError("parameter `name` must be a required string with a pattern", file=shown)
    gitops = data.get("gitops")
    if gitops and gitops.get("port") and gitops["port"] not in names:
        raise ManifestError(f"gitops.port names no parameter: {gitops['port']}", file=shown, path="gitops.port")
    manifest = Manifest(
        name=data["name"],
        version=data["version"],
        title=data["title"],
        description=" ".join(data["description"].split()),
        type=data["type"],
        root=path.parent,
        parameters=parameters,
        tags=tuple(data.get("tags") or ()),
        maintainer=data.get("maintainer") or "platform-team",
        topics=tuple(data.get("topics") or ()),
        checks=tuple(data.get("checks") or ()),
        derived=MappingProxyType(dict(data.get("derived") or {})),
        gitops=GitOps(
            base=gitops["base"],
            overlays=gitops["overlays"],
            image=gitops.get("image") or "{{ name }}",
            port=gitops.get("port"),
        )
        if gitops
        else None,
        required_checks=tuple(data.get("required-checks") or ()),
        starter_workflows=MappingProxyType(dict(data.get("starter-workflows") or {})),
        tests=tuple(
            TestCommand(run=tuple(t["run"]), env=MappingProxyType(dict(t.get("env") or {})),
                        timeout=int(t.get("timeout", 300)))
            for t in data.get("tests") or ()
        ),
    )
    if not manifest.template_dir.is_dir():
        raise ManifestError(f"has no {TEMPLATE_DIR}/ folder beside it", file=shown)
    return manifest


def _parameter(raw: dict[str, Any], shown: str, index: int) -> Parameter:
    where = f"parameters[{index}]"
    if raw.get("pattern"):
        try:
            re.compile(raw["pattern"])
        except re.error as exc:
            raise ManifestError(f"pattern does not compile: {exc}", file=shown, path=f"{where}.pattern") from None
    enum = tuple(raw["enum"]) if "enum" in raw else None
    parameter = Parameter(
        name=raw["name"],
        type=raw["type"],
        title=raw["title"],
        description=" ".join(raw["description"].split()),
        required=bool(raw.get("required", False)),
        default=raw.get("default"),
        pattern=raw.get("pattern"),
        min_length=raw.get("minLength"),
        max_length=raw.get("maxLength"),
        minimum=raw.get("minimum"),
        maximum=raw.get("maximum"),
        enum=enum,
        example=raw.get("example"),
        backstage=MappingProxyType(dict(raw.get("backstage") or {})),
    )
    for label, value in (("default", parameter.default), ("example", parameter.example)):
        if value is None:
            continue
        try:
            parameter.check(value)
        except ParameterError as exc:
            raise ManifestError(f"its {label} is not valid: {exc.message}", file=shown,
                                path=f"{where}.{label}") from None
    if parameter.required and parameter.default is not None:
        raise ManifestError("a required parameter has no default", file=shown, path=f"{where}.default")
    return parameter


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _choices(values: tuple[str | int, ...]) -> str:
    return ", ".join(str(v) for v in values)


def _choose(root: Path) -> str:
    names = available(root)
    return f"choose one of: {', '.join(names)}" if names else f"no templates were found in {root}"
