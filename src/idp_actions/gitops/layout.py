"""Read and write an image digest in a kustomize overlay or a Helm values file, keeping the file as people wrote it.

The file is read with ruamel.yaml's round-trip loader, which knows where every key
and value is. The edit is then made on the text itself, at those positions: only the
digest's line changes (plus a removed ``newTag`` line in a kustomize overlay), so
comments, quoting, indentation and blank lines stay exactly as they were. When the
file is written in a way a line edit cannot follow (flow mappings, multi-line
values), the edit falls back to a ruamel.yaml round-trip dump with the file's own
indentation, which still keeps comments. Either way the result is parsed again and
must equal the original data with only the intended change: nothing else can slip in.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from idp_actions.errors import IdpError
from idp_actions.gitops.digest import Digest, parse_digest
from idp_actions.gitops.settings import Layout

_COMMENT = re.compile(r"\s+#")


class LayoutError(IdpError):
    """An overlay or values file cannot be read or edited as promotion needs."""


@dataclass(frozen=True, kw_only=True)
class Target:
    """What to edit: the layout and which image (kustomize) or key (Helm)."""

    layout: Layout
    image: str
    values_key: str = "image.digest"
    file: str = "kustomization.yaml"  # how messages name the file


@dataclass(frozen=True, kw_only=True)
class Edited:
    """The outcome of :func:`set_digest`: the new text and the digest it replaced."""

    text: str
    previous: Digest | None
    changed: bool


# ------------------------------------------------------------------ public


def read_digest(text: str, target: Target) -> Digest | None:
    """The digest the file pins for the target image, or None when it pins none yet."""
    data = _load(text, target)
    if target.layout == "kustomize":
        entry = _image_entry(data, target)
        return _as_digest(entry.get("digest"))
    parent, key = _values_parent(data, target)
    return _as_digest(parent.get(key))


def set_digest(text: str, digest: Digest, target: Target) -> Edited:
    """``text`` with the target's digest set to ``digest`` (and a kustomize ``newTag`` removed)."""
    data = _load(text, target)
    if target.layout == "kustomize":
        entry = _image_entry(data, target)
        previous = _as_digest(entry.get("digest"))
        if entry.get("digest") == str(digest) and "newTag" not in entry:
            return Edited(text=text, previous=previous, changed=False)
        new_text = _edit(
            text, target, lambda d: _apply_kustomize(d, target, digest), _line_edit_kustomize(entry, digest)
        )
    else:
        parent, key = _values_parent(data, target)
        previous = _as_digest(parent.get(key))
        if parent.get(key) == str(digest):
            return Edited(text=text, previous=previous, changed=False)
        new_text = _edit(
            text, target, lambda d: _apply_helm(d, target, digest), _line_edit_mapping(parent, key, digest)
        )
    return Edited(text=new_text, previous=previous, changed=new_text != text)


# ----------------------------------------------------------------- reading


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _load(text: str, target: Target) -> Any:
    from ruamel.yaml.error import YAMLError

    try:
        documents = list(_yaml().load_all(text))
    except YAMLError as exc:
        raise LayoutError(f"{target.file} is not valid YAML: {exc}".strip()) from None
    documents = [d for d in documents if d is not None]
    if len(documents) != 1:
        raise LayoutError(
            f"{target.file} must hold exactly one YAML document, found {len(documents)}",
            hint="an overlay or values file is a single mapping",
        )
    data = documents[0]
    if not isinstance(data, dict):
        raise LayoutError(f"{target.file} must be a mapping at the top level")
    return data


def _as_digest(value: Any) -> Digest | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_digest(value)
    except IdpError:
        return None


def _matches(name: Any, image: str) -> bool:
    return isinstance(name, str) and (name == image or name.endswith("/" + image))


def _image_entry(data: Any, target: Target) -> Any:
    images = data.get("images")
    if not isinstance(images, list):
        raise LayoutError(
            f"{target.file} has no `images:` list, so idp cannot pin `{target.image}` there",
            hint=f"add `images: [{{name: {target.image}}}]` to the overlay (the name the base manifests use)",
        )
    found = [e for e in images if isinstance(e, dict) and _matches(e.get("name"), target.image)]
    if not found:
        names = ", ".join(str(e.get("name")) for e in images if isinstance(e, dict)) or "none"
        raise LayoutError(
            f"{target.file} has no `images:` entry named `{target.image}` (entries: {names})",
            hint="set `gitops.image` in .github/idp.yaml to the image name the base manifests use",
        )
    if len(found) > 1:
        raise LayoutError(
            f"{target.file} has {len(found)} `images:` entries matching `{target.image}`",
            hint="set `gitops.image` to the full image name so exactly one entry matches",
        )
    return found[0]


def _values_parent(data: Any, target: Target) -> tuple[Any, str]:
    *parents, key = target.values_key.split(".")
    node = data
    walked: list[str] = []
    for part in parents:
        walked.append(part)
        node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise LayoutError(
                f"{target.file} has no mapping at `{'.'.join(walked)}` for the digest key `{target.values_key}`",
                hint="set `gitops.values-key` to where the chart reads the image digest",
            )
    value = node.get(key)
    if value is not None and not isinstance(value, str):
        raise LayoutError(f"{target.file}: `{target.values_key}` is not a string ({type(value).__name__})")
    return node, key


# --------------------------------------------------------------- the edit


def _apply_kustomize(data: Any, target: Target, digest: Digest) -> None:
    entry = _image_entry(data, target)
    entry["digest"] = str(digest)
    if "newTag" in entry:
        del entry["newTag"]


def _apply_helm(data: Any, target: Target, digest: Digest) -> None:
    parent, key = _values_parent(data, target)
    parent[key] = str(digest)


LineEdit = Callable[[list[str]], list[str] | None]


def _edit(text: str, target: Target, apply: Callable[[Any], None], line_edit: LineEdit) -> str:
    """Edit by lines where possible, else by round trip; either result must mean what ``apply`` means."""
    from ruamel.yaml.error import YAMLError

    expected = _load(text, target)
    apply(expected)
    want = _plain(expected)
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.replace("\r\n", "\n").split("\n")
    edited = line_edit(lines)
    if edited is not None:
        candidate = newline.join(edited)
        try:
            if _plain(_load(candidate, target)) == want:
                return candidate
        except (LayoutError, YAMLError):
            pass
    candidate = _round_trip(text, apply, target).replace("\n", newline)
    if _plain(_load(candidate, target)) != want:  # pragma: no cover - ruamel keeps data; checked anyway
        raise LayoutError(f"editing {target.file} would change more than the digest; edit it by hand")
    return candidate


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def _line_edit_kustomize(entry: Any, digest: Digest) -> LineEdit:
    def edit(lines: list[str]) -> list[str] | None:
        if _is_flow(entry):
            return None
        out = _set_in_block(lines, entry, "digest", str(digest), after="name")
        if out is None:
            return None
        if "newTag" in entry:
            line, _ = entry.lc.key("newTag")
            vline, _ = entry.lc.value("newTag")
            if vline != line:
                return None
            inserted = "digest" not in entry and entry.lc.key("name")[0] < line
            del out[line + (1 if inserted else 0)]
        return out

    return edit


def _line_edit_mapping(parent: Any, key: str, digest: Digest) -> LineEdit:
    def edit(lines: list[str]) -> list[str] | None:
        if _is_flow(parent):
            return None
        return _set_in_block(lines, parent, key, str(digest), after=None)

    return edit


def _is_flow(node: Any) -> bool:
    fa = getattr(node, "fa", None)
    return bool(fa is not None and fa.flow_style())


def _set_in_block(lines: list[str], mapping: Any, key: str, value: str, *, after: str | None) -> list[str] | None:
    """``lines`` with ``key: value`` set in the block ``mapping`` (replaced in place, or inserted)."""
    out = list(lines)
    if key in mapping:
        kline, kcol = mapping.lc.key(key)
        current = out[kline]
        found = re.match(rf"{re.escape(key)}\s*:", current[kcol:])
        if not found:
            return None
        start = kcol + found.end()
        rest = current[start:]
        if mapping[key] is None:
            if rest.strip() and not rest.lstrip().startswith("#"):
                return None
            comment = rest.strip()
            out[kline] = f"{current[:start]} {value}" + (f"  {comment}" if comment else "")
            return out
        vline, vcol = mapping.lc.value(key)
        if vline != kline:
            return None
        end = _scalar_end(current, vcol)
        if end is None:
            return None
        out[kline] = current[:vcol] + value + current[end:]
        return out
    if not mapping:
        return None
    if after is not None and after in mapping:
        aline, acol = mapping.lc.key(after)
        if mapping.lc.value(after)[0] != aline:
            return None
        out.insert(aline + 1, " " * acol + f"{key}: {value}")
        return out
    first = next(iter(mapping))
    fline, fcol = mapping.lc.key(first)
    if out[fline][:fcol].strip():  # the first key shares its line with a `- `: no room before it
        return None
    out.insert(fline, " " * fcol + f"{key}: {value}")
    return out


def _scalar_end(line: str, col: int) -> int | None:
    """Where the one-line scalar starting at ``col`` ends (before any comment), or None."""
    if col >= len(line):
        return None
    quote = line[col]
    if quote == '"':
        i = col + 1
        while i < len(line):
            if line[i] == "\\":
                i += 2
                continue
            if line[i] == '"':
                return i + 1
            i += 1
        return None
    if quote == "'":
        i = col + 1
        while i < len(line):
            if line[i] == "'":
                if i + 1 < len(line) and line[i + 1] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        return None
    if quote in "|>&*!{[":
        return None
    comment = _COMMENT.search(line, col)
    end = comment.start() if comment else len(line)
    return len(line[:end].rstrip())


def _round_trip(text: str, apply: Callable[[Any], None], target: Target) -> str:
    yaml = _yaml()
    mapping, sequence, offset = _guess_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    first = next((line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
    yaml.explicit_start = first.startswith("---")
    data = _load(text, target)
    apply(data)
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the file's first nested block uses them."""
    mapping = sequence = offset = None
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
    for parent, child in itertools.pairwise(lines):
        if not parent.rstrip().endswith(":"):
            continue
        base = len(parent) - len(parent.lstrip())
        depth = len(child) - len(child.lstrip())
        body = child.lstrip()
        if body.startswith("- ") and sequence is None:
            offset = max(depth - base, 0)
            after_dash = len(body) - len(body[1:].lstrip())
            sequence = offset + after_dash
        elif not body.startswith("-") and depth > base and mapping is None:
            mapping = depth - base
    mapping = mapping or 2
    sequence = sequence or (offset or 0) + 2
    return mapping, max(sequence, (offset or 0) + 2), offset or 0
