"""Rules a JSON Schema cannot say: unique names, and references to earlier environments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idp_actions.config.problems import ConfigProblem, KeyPath, _line_of


def _semantic_problems(data: Mapping[str, Any], lines: Mapping[KeyPath, int]) -> list[ConfigProblem]:
    """Rules a JSON Schema cannot say: unique names, and references to earlier environments."""
    problems: list[ConfigProblem] = []

    def add(path: KeyPath, message: str, hint: str | None = None) -> None:
        problems.append(ConfigProblem(path=path, line=_line_of(path, lines), message=message, hint=hint))

    environments = data.get("gitops", {}).get("environments", [])
    earlier: dict[str, int] = {}
    for index, env in enumerate(environments):
        name = env["name"]
        for r_index, required in enumerate(env.get("requires", [])):
            at: KeyPath = ("gitops", "environments", index, "requires", r_index)
            if required == name:
                add(at, f"environment `{name}` requires itself", "remove it from its own `requires`")
            elif required not in earlier:
                later = any(e.get("name") == required for e in environments[index + 1 :])
                add(
                    at,
                    f"environment `{name}` requires `{required}`, which is "
                    + ("listed after it" if later else "not defined"),
                    "environments are promoted in the order listed: require only environments above this one"
                    + ("" if later else f"; defined above it: {', '.join(earlier) or 'none'}"),
                )
        if name in earlier:
            add(
                ("gitops", "environments", index, "name"),
                f"environment `{name}` is defined twice (first as environments[{earlier[name]}])",
                "give each environment a unique name",
            )
        else:
            earlier[name] = index
    roots: dict[str, int] = {}
    for index, root in enumerate(data.get("terraform", {}).get("roots", [])):
        key = str(root["path"]).strip("/").removeprefix("./")
        if key in roots:
            add(
                ("terraform", "roots", index, "path"),
                f"root `{root['path']}` is listed twice (first as roots[{roots[key]}])",
                "list each root once, with all its workspaces under `workspaces`",
            )
        else:
            roots[key] = index
    return problems


def _implied(data: dict[str, Any]) -> dict[str, Any]:
    """Fill in what a schema default cannot express: promotion order follows the list.

    An environment without ``requires`` requires the one listed just before it
    (the first requires none), so ``dev, staging, prod`` is enforced in that
    order unless ``requires`` says otherwise. ``data`` is a mutable copy.
    """
    environments = data.get("gitops", {}).get("environments", [])
    for index, env in enumerate(environments):
        env.setdefault("requires", [environments[index - 1]["name"]] if index else [])
    return data
