"""Gatekeeper ConstraintTemplates and Constraints: read, checked as Gatekeeper checks them, prepared for OPA.

A template's Rego (``spec.targets[].code[engine=Rego].source`` with its ``version``,
or the legacy ``rego``/``libs`` fields, which Gatekeeper parses as Rego v0) is
loaded the way Gatekeeper loads it: under a package of its own
(``data.idp_gk.t_<kind>``), its libraries moved under a per-template prefix
(``data.lib.x`` → ``data.idp_gk.l_<kind>.lib.x``) so two templates may embed
different versions of the same library, and only ``data.lib`` and
``data.inventory`` may be read (a constraint's parameters are checked in
:mod:`.parameters`). Every rewrite keeps lines, so an OPA error at line N of a module is
at line N of the Rego in the template; :attr:`RegoSource.first_line` maps it to
the YAML file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from idp_actions.errors import ConfigError
from idp_actions.policy import rego
from idp_actions.policy.documents import mapping

TARGET = "admission.k8s.gatekeeper.sh"
TEMPLATE_API_GROUP = "templates.gatekeeper.sh"
CONSTRAINT_API_GROUP = "constraints.gatekeeper.sh"
ENFORCEMENT_ACTIONS = ("deny", "warn", "dryrun")
ENGINE_PACKAGE = "idp_gk"


class PolicyError(ConfigError):
    """A policy, template, constraint or policy set is invalid (exit code 2)."""

    exit_code = 2


@dataclass(frozen=True, kw_only=True)
class RegoSource:
    """One Rego module of a template and where its first line sits in the YAML file."""

    text: str
    file: str
    first_line: int
    library: bool
    version: int


@dataclass(frozen=True, kw_only=True)
class Template:
    """A ConstraintTemplate: its kind, policy name, Rego and parameter schema."""

    name: str
    kind: str
    policy: str
    path: str
    line: int
    version: str | None
    title: str | None
    rego: RegoSource
    libs: tuple[RegoSource, ...]
    schema: dict[str, Any] | None
    manifest: dict[str, Any]

    @property
    def slug(self) -> str:
        """The kind as a Rego identifier segment."""
        return re.sub(r"[^a-z0-9_]", "_", self.kind.lower())

    @property
    def package(self) -> str:
        """Where the template's own module is loaded (without ``data.``)."""
        return f"{ENGINE_PACKAGE}.t_{self.slug}"

    @property
    def lib_prefix(self) -> str:
        """Where the template's libraries' ``lib`` root is loaded (without ``data.``)."""
        return f"{ENGINE_PACKAGE}.l_{self.slug}.lib"

    def modules(self) -> list[tuple[RegoSource, str]]:
        """Every module of the template, rewritten for loading beside the others (lines kept)."""
        out = [(self.rego, self._rewrite(rego.set_package(self.rego.text, self.package)))]
        for lib in self.libs:
            module = rego.inspect(lib.text)
            assert module.package is not None  # checked when the template was read
            moved = rego.set_package(lib.text, f"{self.lib_prefix}{module.package[len('lib'):]}")
            out.append((lib, self._rewrite(moved)))
        return out

    def _rewrite(self, text: str) -> str:
        return rego.rewrite_data_prefix(text, "lib", self.lib_prefix)


@dataclass(frozen=True, kw_only=True)
class Constraint:
    """A Constraint: which template (kind), which objects (match), with which parameters and action."""

    kind: str
    name: str
    match: dict[str, Any]
    parameters: Any
    enforcement: str
    path: str
    line: int
    manifest: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        """Kind and name: what identifies a constraint in a cluster."""
        return (self.kind, self.name)


def is_template(data: Any) -> bool:
    """A ConstraintTemplate manifest."""
    return (
        isinstance(data, dict)
        and data.get("kind") == "ConstraintTemplate"
        and str(data.get("apiVersion", "")).startswith(f"{TEMPLATE_API_GROUP}/")
    )


def is_constraint(data: Any) -> bool:
    """A Constraint manifest (any kind in the constraints API group)."""
    return isinstance(data, dict) and str(data.get("apiVersion", "")).startswith(f"{CONSTRAINT_API_GROUP}/")


# ------------------------------------------------------------------ templates


def node_at(node: yaml.Node | None, path: list[str | int]) -> yaml.Node | None:
    """The YAML node at ``path`` (keys and list indexes) under ``node``, or None."""
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, yaml.SequenceNode) or part >= len(node.value):
                return None
            node = node.value[part]
        else:
            if not isinstance(node, yaml.MappingNode):
                return None
            node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part), None)
    return node


def _first_line(node: yaml.Node | None, fallback: int) -> int:
    if not isinstance(node, yaml.ScalarNode):
        return fallback
    if node.style in ("|", ">"):
        return node.start_mark.line + 2
    return node.start_mark.line + 1


def _policy_name(manifest: dict[str, Any], path: str) -> str:
    parts = path.replace("\\", "/").split("/")
    if parts[-1] in ("template.yaml", "template.yml") and len(parts) >= 2:
        return parts[-2]
    return str(manifest.get("metadata", {}).get("name", ""))


def read_template(manifest: dict[str, Any], *, path: str, line: int, node: yaml.Node | None = None) -> Template:
    """A :class:`Template` from its manifest (``node``: its YAML node, for the lines of the Rego)."""

    def fail(message: str, at: int = line) -> PolicyError:
        return PolicyError(message, file=path, line=at, hint="see policies/kubernetes/README.md for the layout")

    metadata = mapping(manifest.get("metadata"))
    name = metadata.get("name")
    spec = mapping(manifest.get("spec"))
    crd = mapping(mapping(spec.get("crd")).get("spec"))
    kind = mapping(crd.get("names")).get("kind")
    if not isinstance(name, str) or not name:
        raise fail("ConstraintTemplate has no metadata.name")
    if not isinstance(kind, str) or not re.fullmatch(r"[A-Z][A-Za-z0-9]*", kind):
        raise fail(f"ConstraintTemplate {name}: spec.crd.spec.names.kind must be a CamelCase kind, got {kind!r}")
    if name != kind.lower():
        raise fail(f"ConstraintTemplate {name}: metadata.name must be the kind in lower case ({kind.lower()})")
    targets = spec.get("targets")
    if not isinstance(targets, list) or len(targets) != 1 or not isinstance(targets[0], dict):
        raise fail(f"ConstraintTemplate {name}: spec.targets must hold exactly one target")
    target = targets[0]
    if target.get("target") != TARGET:
        raise fail(f"ConstraintTemplate {name}: the target must be {TARGET}, got {target.get('target')!r}")

    sources = _rego_sources(target, node, path=path, line=line, name=name)
    main, libs = sources[0], sources[1:]
    _check_modules(name, main, libs)
    annotations = mapping(metadata.get("annotations"))
    schema = mapping(crd.get("validation")).get("openAPIV3Schema")
    return Template(
        name=name,
        kind=kind,
        policy=_policy_name(manifest, path),
        path=path,
        line=line,
        version=annotations.get("metadata.gatekeeper.sh/version"),
        title=annotations.get("metadata.gatekeeper.sh/title"),
        rego=main,
        libs=tuple(libs),
        schema=schema if isinstance(schema, dict) else None,
        manifest=manifest,
    )


def _rego_sources(
    target: dict[str, Any], node: yaml.Node | None, *, path: str, line: int, name: str
) -> list[RegoSource]:
    target_node = node_at(node, ["spec", "targets", 0])
    code = target.get("code")
    code = code if isinstance(code, list) else []
    for index, entry in enumerate(code):
        if not isinstance(entry, dict) or entry.get("engine") != "Rego":
            continue
        source = mapping(entry.get("source"))
        version = str(source.get("version", "v0"))
        if version not in ("v0", "v1"):
            raise PolicyError(f"ConstraintTemplate {name}: unknown Rego version {version!r}", file=path, line=line)
        source_node = node_at(target_node, ["code", index, "source"])
        return _collect(source, source_node, path=path, line=line, name=name, version=int(version[1]))
    if isinstance(target.get("rego"), str):
        return _collect(target, target_node, path=path, line=line, name=name, version=0)
    engines = sorted({str(e.get("engine")) for e in code if isinstance(e, dict)})
    raise PolicyError(
        f"ConstraintTemplate {name} has no Rego to evaluate"
        + (f" (engines: {', '.join(engines)})" if engines else ""),
        file=path,
        line=line,
        hint="idp policy check evaluates Rego templates; CEL (K8sNativeValidation) is enforced only in the cluster",
    )


def _collect(
    holder: dict[str, Any], node: yaml.Node | None, *, path: str, line: int, name: str, version: int
) -> list[RegoSource]:
    text = holder.get("rego")
    if not isinstance(text, str) or not text.strip():
        raise PolicyError(f"ConstraintTemplate {name}: the Rego source is empty", file=path, line=line)
    sources = [
        RegoSource(text=text, file=path, first_line=_first_line(node_at(node, ["rego"]), line),
                   library=False, version=version)
    ]
    libs = holder.get("libs") or []
    if not isinstance(libs, list) or not all(isinstance(lib, str) for lib in libs):
        raise PolicyError(f"ConstraintTemplate {name}: libs must be a list of Rego sources", file=path, line=line)
    for index, lib in enumerate(libs):
        first = _first_line(node_at(node, ["libs", index]), line)
        sources.append(RegoSource(text=lib, file=path, first_line=first, library=True, version=version))
    return sources


def _check_modules(name: str, main: RegoSource, libs: list[RegoSource]) -> None:
    """Gatekeeper's own checks: a ``violation`` rule, libraries under ``lib``, reads of lib and inventory only."""
    for source in [main, *libs]:
        try:
            module = rego.inspect(source.text)
        except rego.RegoSyntaxError as exc:
            raise PolicyError(f"ConstraintTemplate {name}: {exc}", file=source.file,
                              line=source.first_line + exc.line - 1) from None
        where = source.first_line + (module.package_line or 1) - 1
        if module.package is None:
            raise PolicyError(f"ConstraintTemplate {name}: a Rego module has no package clause",
                              file=source.file, line=source.first_line)
        if source.library and not (module.package == "lib" or module.package.startswith("lib.")):
            raise PolicyError(
                f"ConstraintTemplate {name}: library package {module.package} must be under `lib`",
                file=source.file,
                line=where,
                hint="Gatekeeper accepts library packages only under data.lib",
            )
        if not source.library and "violation" not in module.rules:
            raise PolicyError(
                f"ConstraintTemplate {name}: the template's Rego defines no `violation` rule",
                file=source.file,
                line=where,
                hint="Gatekeeper reads violations from `violation contains {\"msg\": …} if …`",
            )
        for root, at in module.data_roots:
            if root not in ("lib", "inventory"):
                shown = "data[...]" if root == "[" else f"data.{root}"
                raise PolicyError(
                    f"ConstraintTemplate {name}: the Rego reads {shown}; Gatekeeper allows only "
                    "data.lib and data.inventory",
                    file=source.file,
                    line=source.first_line + at - 1,
                )


# ---------------------------------------------------------------- constraints


def read_constraint(manifest: dict[str, Any], *, path: str, line: int) -> Constraint:
    """A :class:`Constraint` from its manifest, with its spec checked."""
    kind = manifest.get("kind")
    name = mapping(manifest.get("metadata")).get("name")
    if not isinstance(name, str) or not name:
        raise PolicyError(f"{kind} constraint has no metadata.name", file=path, line=line)
    where = f"constraint {kind}/{name}"
    spec = manifest.get("spec", {})
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise PolicyError(f"{where}: spec must be a mapping", file=path, line=line)
    enforcement = spec.get("enforcementAction", "deny")
    if enforcement not in ENFORCEMENT_ACTIONS:
        raise PolicyError(
            f"{where}: enforcementAction {enforcement!r} is not one of {', '.join(ENFORCEMENT_ACTIONS)}",
            file=path,
            line=line,
        )
    match = spec.get("match") or {}
    if not isinstance(match, dict):
        raise PolicyError(f"{where}: spec.match must be a mapping", file=path, line=line)
    from idp_actions.policy.match import check_match

    problem = check_match(match)
    if problem:
        raise PolicyError(f"{where}: spec.match{problem}", file=path, line=line)
    return Constraint(
        kind=str(kind),
        name=name,
        match=match,
        parameters=spec.get("parameters"),
        enforcement=str(enforcement),
        path=path,
        line=line,
        manifest=manifest,
    )
