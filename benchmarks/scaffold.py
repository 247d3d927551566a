"""Scaffolding benchmarks (registered in :func:`benchmarks.benchmarks`).

``scaffold``
    A: ``idp scaffold new python-service --dry-run``: the request validated, the
    template rendered with copier in the sandbox, then self-checked with the real
    tools (idp lint rules, zizmor, actionlint, shellcheck, the service's own tests,
    kustomize + gator over every overlay, conftest, tofu fmt, the catalog entity,
    ``idp policy check``; ``idp scan`` too when ``IDP_BENCH_TRIVY_CACHE`` names a
    Trivy cache with a vulnerability DB, since it would download one otherwise).
    B: the render alone. Target: A's median ≤ 10 s.

``scaffold-render``
    A: our render of python-service (copier in Jinja2's sandbox, the template's
    tree checked, every written path verified inside). B: cookiecutter rendering an
    equivalent tree: the same template converted once to cookiecutter's layout,
    whose output is checked to be identical before anything is timed.

Run the sides by hand: ``python -m benchmarks.scaffold render`` and
``python -m benchmarks.scaffold cookiecutter``. cookiecutter is a peer, not a
dependency: ``pip install cookiecutter`` to run ``scaffold-render``.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import Benchmark, _idp

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "python-service"
ANSWERS = {"name": "bench-service", "owner": "team-bench", "org": "acme", "description": "Benchmarks scaffolding"}


def _answers() -> dict[str, Any]:
    from idp_actions.scaffold.manifest import load_manifest

    manifest = load_manifest(TEMPLATE / "manifest.yaml")
    answers: dict[str, Any] = {p.name: p.default for p in manifest.parameters if p.default is not None}
    answers.update(ANSWERS)
    return answers


def render_once(dest: Path) -> None:
    """Our render of python-service into ``dest``."""
    from idp_actions.scaffold.manifest import load_manifest
    from idp_actions.scaffold.render import render

    render(load_manifest(TEMPLATE / "manifest.yaml"), _answers(), dest)


# ------------------------------------------------------------------- cookiecutter


def cookiecutter_template(dest: Path) -> Path:
    """python-service in cookiecutter's layout, rendering the same tree (its answers file aside).

    Variables are set at the top of every templated file from ``cookiecutter.*``
    (so the files render unchanged), derived values too; files without ``.jinja``
    are copied without rendering, as copier does.
    """
    from idp_actions.scaffold.manifest import load_manifest

    manifest = load_manifest(TEMPLATE / "manifest.yaml")
    names = [p.name for p in manifest.parameters]
    context = _answers()
    root = dest / "{{ cookiecutter.name }}"
    header = "".join(f"{{%- set {n} = cookiecutter.{n} -%}}" for n in names)
    header += "".join(f"{{%- set {n} = {expr[2:-2].strip()} -%}}" for n, expr in manifest.derived.items())
    verbatim: list[str] = []
    for path in sorted(manifest.template_dir.rglob("*")):
        if not path.is_file() or "_copier_conf" in path.name:
            continue
        relative = path.relative_to(manifest.template_dir).as_posix()
        for name in [*manifest.derived, *names]:
            relative = relative.replace(f"{{{{ {name} }}}}", f"{{{{ cookiecutter.{name} }}}}")
        target = root / relative.removesuffix(".jinja")
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative.endswith(".jinja"):
            target.write_text(header + path.read_text(encoding="utf-8"), encoding="utf-8")
        else:
            shutil.copyfile(path, target)
            verbatim.append(target.relative_to(root).as_posix())
    # path names use derived values too, so cookiecutter.json computes them from the answers
    words = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    derived = {n: words.sub(r"cookiecutter.\1", expr) for n, expr in manifest.derived.items()}
    config = {**context, **derived, "_copy_without_render": verbatim,
              "_extensions": ["jinja2_ansible_filters.AnsibleCoreFiltersExtension"]}  # to_json, as copier has
    (dest / "cookiecutter.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return dest


def cookiecutter_once(template: Path, out: Path) -> Path:
    """cookiecutter's render of the converted template into ``out``; returns the project folder."""
    try:
        from cookiecutter.main import cookiecutter
    except ImportError:
        raise SystemExit("benchmarks: cookiecutter is not installed (pip install cookiecutter)") from None

    return Path(cookiecutter(str(template), no_input=True, output_dir=str(out), accept_hooks=False))


def _same_trees(ours: Path, theirs: Path) -> list[str]:
    """Files that differ between the two renders (the answers file is copier's own)."""
    problems = []
    files = {p.relative_to(ours).as_posix() for p in ours.rglob("*") if p.is_file()} - {".copier-answers.yml"}
    other = {p.relative_to(theirs).as_posix() for p in theirs.rglob("*") if p.is_file()}
    problems += [f"only in ours: {f}" for f in sorted(files - other)]
    problems += [f"only in cookiecutter's: {f}" for f in sorted(other - files)]
    problems += [f"differs: {f}" for f in sorted(files & other)
                 if not filecmp.cmp(ours / f, theirs / f, shallow=False)]
    return problems


# --------------------------------------------------------------------- benchmarks


def _scaffold() -> Benchmark:
    """`idp scaffold new python-service --dry-run` (render + self-check) against the render alone (<= 10 s)."""
    skip = [] if os.environ.get("IDP_BENCH_TRIVY_CACHE") else ["--skip-check", "scan"]
    scan = (["--trivy-cache-dir", os.environ["IDP_BENCH_TRIVY_CACHE"], "--skip-db-update"]
            if os.environ.get("IDP_BENCH_TRIVY_CACHE") else [])
    params = [arg for key, value in ANSWERS.items() for arg in ("-p", f"{key}={value}")]
    return Benchmark(
        name="scaffold",
        description="`idp scaffold new python-service --dry-run` (render + self-check) against the render alone"
        + ("" if scan else "; the scan check is off (set IDP_BENCH_TRIVY_CACHE to include it)"),
        label_a="idp scaffold new --dry-run",
        command_a=(_idp(), "scaffold", "new", "python-service", *params, "--dry-run", *skip, *scan),
        label_b="render only",
        command_b=(sys.executable, "-m", "benchmarks.scaffold", "render"),
        target_ms=10_000,
    )


def _scaffold_render() -> Benchmark:
    """Our render of python-service (copier, sandboxed) against cookiecutter rendering the identical tree."""
    return Benchmark(
        name="scaffold-render",
        description="render python-service: ours (copier, sandboxed, paths verified) against cookiecutter "
        "rendering the identical tree (needs `pip install cookiecutter`)",
        label_a="idp render (copier)",
        command_a=(sys.executable, "-m", "benchmarks.scaffold", "render"),
        label_b="cookiecutter",
        command_b=(sys.executable, "-m", "benchmarks.scaffold", "cookiecutter"),
    )


def converted_template() -> Path:
    """The cookiecutter version of python-service, made and proven equivalent once per template content.

    The harness's untimed warm-up run pays for it.
    """
    digest = hashlib.sha256()
    for path in sorted(TEMPLATE.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(TEMPLATE).as_posix().encode() + b"\0" + path.read_bytes())
    cached = Path(tempfile.gettempdir()) / f"idp-bench-cookiecutter-{digest.hexdigest()[:16]}"
    if (cached / "cookiecutter.json").is_file():
        return cached
    work = Path(tempfile.mkdtemp(prefix="idp-bench-scaffold-"))
    try:
        template = cookiecutter_template(work / "cookiecutter")
        render_once(work / "ours")
        problems = _same_trees(work / "ours", cookiecutter_once(template, work / "theirs"))
        if problems:
            raise SystemExit("benchmarks: the cookiecutter tree is not equivalent:\n  " + "\n  ".join(problems))
        shutil.move(str(template), str(cached))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return cached


BENCHMARKS: dict[str, Callable[[], Benchmark]] = {"scaffold": _scaffold, "scaffold-render": _scaffold_render}


def main(argv: list[str]) -> int:
    """The timed sides: ``render`` and ``cookiecutter TEMPLATE``."""
    with tempfile.TemporaryDirectory(prefix="idp-bench-scaffold-run-") as tmp:
        if argv[:1] == ["render"]:
            render_once(Path(tmp) / "out")
            return 0
        if argv[:1] == ["cookiecutter"]:
            cookiecutter_once(converted_template(), Path(tmp))
            return 0
    print("usage: python -m benchmarks.scaffold render | cookiecutter", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
