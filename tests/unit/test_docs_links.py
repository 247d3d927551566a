"""Every relative link in the Markdown people read resolves, and docs/README.md indexes every page.

Links are checked the way GitHub renders them: a relative target must name a file or
folder inside this repository, and a ``#fragment`` on a Markdown file must be the slug
of one of its headings (GitHub's rules: lowercase, punctuation dropped, each space a
hyphen, ``-1``, ``-2`` … for repeated headings) or an explicit ``<a id>``/``<a name>``.
Links inside fenced code blocks and inline code are not links and are left alone.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import ROOT

#: Fixed files, plus every page under docs/ and every action's README.
FIXED = ("README.md", "CHANGELOG.md", "templates/README.md", "policy-sets/README.md", "tests/README.md")

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+).+?\1")
# [text](target "title") and ![alt](target); the target may be wrapped in <>.
_INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+[\"'(][^)]*)?\)")
_REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_EXPLICIT_ANCHOR = re.compile(r"<a\s+(?:[^>]*\s)?(?:id|name)=[\"']([^\"']+)[\"']", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def documents() -> list[Path]:
    """The Markdown files whose links are checked."""
    found = [ROOT / name for name in FIXED if (ROOT / name).is_file()]
    found += sorted((ROOT / "docs").rglob("*.md"))
    found += sorted((ROOT / "actions").glob("*/README.md"))
    return found


def outside_fences(text: str) -> list[tuple[int, str]]:
    """``(line number, line)`` of the lines outside fenced code blocks, as written."""
    out: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)[0] * len(match.group(1))
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        out.append((number, line))
    return out


def prose_lines(text: str) -> list[tuple[int, str]]:
    """``(line number, line)`` outside fenced code blocks, with inline code spans blanked."""
    return [(number, _INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line))
            for number, line in outside_fences(text)]


def links(text: str) -> list[tuple[int, str]]:
    """``(line number, target)`` of every inline link, image and reference definition."""
    found: list[tuple[int, str]] = []
    for number, line in prose_lines(text):
        for match in _INLINE_LINK.finditer(line):
            found.append((number, match.group(1).strip("<>")))
        definition = _REFERENCE_DEF.match(line)
        if definition:
            found.append((number, definition.group(1).strip("<>")))
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images keep their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "").replace("*", "")
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """Every anchor GitHub gives ``path``: heading slugs (numbered when repeated) and explicit ids."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    text = path.read_text(encoding="utf-8")
    for _number, line in prose_lines(text):
        found.update(_EXPLICIT_ANCHOR.findall(line))
    for _number, line in outside_fences(text):
        heading = _HEADING.match(line)
        if not heading:
            continue
        base = slug(heading.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def problem(source: Path, target: str) -> str | None:
    """Why ``target`` (a link in ``source``) does not resolve, or None when it does."""
    if _SCHEME.match(target) or target.startswith("//"):
        return None  # an absolute URL: not this test's business
    path_part, _, fragment = target.partition("#")
    path_part = unquote(path_part.split("?", 1)[0])
    if path_part.startswith("/"):
        resolved = (ROOT / path_part.lstrip("/")).resolve()
    elif path_part:
        resolved = (source.parent / path_part).resolve()
    else:
        resolved = source.resolve()
    try:
        resolved.relative_to(ROOT.resolve())
    except ValueError:
        return f"{target}: points outside the repository"
    if not resolved.exists():
        return f"{target}: {resolved.relative_to(ROOT.resolve()).as_posix()} does not exist"
    if fragment and resolved.is_file() and resolved.suffix == ".md":
        wanted = unquote(fragment).lower()
        if wanted not in anchors(resolved):
            return f"{target}: no heading with the anchor #{wanted} in {resolved.relative_to(ROOT.resolve())}"
    return None


@pytest.mark.parametrize("document", documents(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(document: Path) -> None:
    broken = [
        f"{document.relative_to(ROOT).as_posix()}:{number}: {reason}"
        for number, target in links(document.read_text(encoding="utf-8"))
        if (reason := problem(document, target)) is not None
    ]
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_docs_readme_lists_every_page_under_docs() -> None:
    index = ROOT / "docs" / "README.md"
    listed = {
        (index.parent / unquote(target.partition("#")[0])).resolve()
        for _number, target in links(index.read_text(encoding="utf-8"))
        if not _SCHEME.match(target) and target.partition("#")[0]
    }
    pages = [p for p in sorted((ROOT / "docs").rglob("*")) if p.is_file() and p != index]
    missing = [p.relative_to(ROOT).as_posix() for p in pages if p.resolve() not in listed]
    assert not missing, "docs/README.md does not link to: " + ", ".join(missing)


def test_docs_readme_lists_every_action_readme() -> None:
    text = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    targets = {target.partition("#")[0] for _number, target in links(text)}
    missing = [
        p.relative_to(ROOT).as_posix()
        for p in sorted((ROOT / "actions").glob("*/README.md"))
        if f"../{p.relative_to(ROOT).as_posix()}" not in targets
    ]
    assert not missing, "docs/README.md does not link to: " + ", ".join(missing)


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Two commands", "two-commands"),
        ("Setup: what it installs and how long it takes", "setup-what-it-installs-and-how-long-it-takes"),
        ("`idp config validate|show`", "idp-config-validateshow"),
        ("Fork PRs — pull_request vs pull_request_target", "fork-prs--pull_request-vs-pull_request_target"),
        ("[A link](https://example.com) in a heading", "a-link-in-a-heading"),
        ("1. Bring the suite in", "1-bring-the-suite-in"),
    ],
)
def test_slugs_follow_githubs_rules(heading: str, expected: str) -> None:
    assert slug(heading) == expected


def test_repeated_headings_are_numbered_and_code_is_not_a_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Notes\n\n## Notes\n\n```md\n# Not a heading\n[x](missing.md)\n```\n`[y](gone.md)`\n",
                    encoding="utf-8")
    assert anchors(page) == {"notes", "notes-1"}
    assert links(page.read_text(encoding="utf-8")) == []
