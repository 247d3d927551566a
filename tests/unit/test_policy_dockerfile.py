"""Dockerfiles in conftest's input shape, with the line of every command (the differential test is in integration)."""

from __future__ import annotations

import pytest

from idp_actions.policy.dockerfile import DockerfileError, parse

TEXT = """\
# syntax=docker/dockerfile:1
ARG BASE=alpine:3.20
# the build stage
FROM ${BASE} AS build
RUN apk add --no-cache \\
      curl \\
      git
FROM scratch
COPY --from=build /bin/busybox /bin/
ENV A=1 B="two words"
"""


def test_shape_and_lines() -> None:
    parsed = parse(TEXT)
    assert [c["Cmd"] for c in parsed.commands] == ["arg", "comment", "from", "run", "from", "copy", "env"]
    assert parsed.lines == [2, 3, 4, 5, 8, 9, 10]
    assert [c["Stage"] for c in parsed.commands] == [0, 0, 0, 0, 1, 1, 1]
    assert parsed.commands[3]["Value"] == ["apk add --no-cache       curl       git"]
    assert parsed.commands[5]["Flags"] == ["--from=build"]
    assert parsed.commands[6]["Value"] == ["A", "1", "=", "B", '"two words"', "="]
    assert parsed.conftest_input == [parsed.commands]


@pytest.mark.parametrize(
    ("text", "problem", "line"),
    [
        ("FROM a\nFOO bar\n", "unknown instruction: FOO", 2),
        ("FROM a\nCOPY --from b /c /d\n", "missing a value on flag: from", 2),
        ("FROM a\nRUN <<EOF\nx\n", "unterminated heredoc", 2),
        ("# nothing\n", "file with no instructions", 1),
    ],
)
def test_refused_files_say_why_and_where(text: str, problem: str, line: int) -> None:
    with pytest.raises(DockerfileError) as caught:
        parse(text)
    assert problem in str(caught.value)
    assert caught.value.line == line
