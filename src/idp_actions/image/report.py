"""What a person reads after a build: a few lines in the terminal, a table in the step summary."""

from __future__ import annotations

from idp_actions.image.build import Result
from idp_actions.image.transfer import human_size


def _base(result: Result) -> str:
    base = result.image.base
    return f"{base.reference} ({base.digest})" if base else "scratch"


def _layers(result: Result) -> str:
    image = result.image
    reused = len(image.layers) - image.new_layers
    return f"{len(image.layers)} ({image.new_layers} new, {reused} from the base)"


def _pushed(result: Result) -> str:
    pushed = result.pushed
    if pushed is None:
        return "no"
    return (f"yes: {pushed.uploaded} blob(s) uploaded, {pushed.existing} already there, "
            f"{pushed.mounted} mounted from the base's repository")


def tag_references(result: Result) -> list[str]:
    """``REPOSITORY:TAG`` for every tag pushed (or that would be)."""
    tags = result.pushed.tags if result.pushed else ()
    return [f"{result.repository}:{tag}" for tag in tags]


def text(result: Result, tags: list[str]) -> str:
    """The terminal report: the pinned reference first, then the facts."""
    verb = "built and pushed" if result.pushed else "built"
    rows = [
        ("image", result.pinned),
        ("base", _base(result)),
        ("platform", result.image.platform),
        ("layers", _layers(result)),
        ("size", human_size(result.image.size)),
        ("tags", ", ".join(tags) or "(none: by digest only)"),
        ("pushed", _pushed(result)),
    ]
    if result.archive is not None:
        rows.append(("archive", str(result.archive)))
    lines = [f"idp image build: {verb} {result.pinned}"]
    lines += [f"  {name:<9}{value}" for name, value in rows]
    lines += [f"  note: {note}" for note in result.image.notes]
    return "\n".join(lines) + "\n"


def markdown(result: Result, tags: list[str]) -> str:
    """The step summary: a table with the digest to promote."""
    rows = [
        ("Image", f"`{result.pinned}`"),
        ("Digest", f"`{result.digest}`"),
        ("Base", f"`{_base(result)}`"),
        ("Platform", result.image.platform),
        ("Layers", _layers(result)),
        ("Size", human_size(result.image.size)),
        ("Tags", "<br>".join(f"`{t}`" for t in tags) or "none (by digest only)"),
        ("Pushed", _pushed(result)),
    ]
    if result.archive is not None:
        rows.append(("OCI archive", f"`{result.archive}`"))
    out = ["### Container image", "", "| | |", "|---|---|"]
    out += [f"| {name} | {_cell(value)} |" for name, value in rows]
    if result.image.notes:
        out += ["", *[f"> {note}" for note in result.image.notes]]
    return "\n".join(out) + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "\\|")
