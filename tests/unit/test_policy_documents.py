"""YAML read as kubectl, gator and conftest read it (go-yaml v2), with the line of every document."""

from __future__ import annotations

import pytest

from idp_actions.policy.documents import DocumentError, go_scalar, load_json, load_yaml


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("y", True), ("No", False), ("on", True), ("OFF", False), ("~", None), ("", None),
        ("017", 15), ("0o17", 15), ("0x1F", 31), ("0b101", 5), ("1_000", 1000), ("-7", -7),
        ("1.5", 1.5), ("08", 8.0), ("1e3", 1000.0), ("1.2.3", "1.2.3"), ("2024-01-01", "2024-01-01"),
        ("12:30", "12:30"), ("v1", "v1"), ("+", "+"),
    ],
)
def test_plain_scalars_resolve_as_in_go_yaml(text: str, value: object) -> None:
    assert go_scalar(text) == value
    assert type(go_scalar(text)) is type(value)


def test_documents_keep_their_lines_and_lists_are_expanded() -> None:
    text = (
        "# comment\napiVersion: v1\nkind: A\n---\n---\n"
        "kind: List\napiVersion: v1\nitems:\n  - {kind: B}\n  - kind: C\n"
    )
    docs = load_yaml(text)
    assert [(d.data.get("kind"), d.line) for d in docs] == [("A", 2), ("B", 9), ("C", 10)]
    assert [d.data["kind"] for d in load_yaml(text, expand_lists=False)] == ["A", "List"]


def test_keys_become_strings_and_integral_floats_integers() -> None:
    [doc] = load_yaml("on: {yes: 1.0, 2: x}\nquoted: 'on'\n")
    assert doc.data == {"true": {"true": 1, "2": "x"}, "quoted": "on"}


def test_errors_name_the_line() -> None:
    with pytest.raises(DocumentError) as caught:
        load_yaml("a: 1\nb: [unclosed\n")
    assert caught.value.line == 3
    with pytest.raises(DocumentError) as caught:
        load_json('{\n  "a": 1,\n}\n')
    assert caught.value.line == 3
