"""The line a conftest-style Dockerfile finding is reported on: whole words and whole instructions, not substrings."""

from __future__ import annotations

import pytest

from idp_actions.policy.conftest_style import locate
from idp_actions.policy.dockerfile import parse
from idp_actions.policy.inputs import FileInput

TEXT = """\
FROM node:latest AS build
WORKDIR /app
COPY . .
RUN npm ci && npm run build

FROM nginx
COPY --from=build /app/dist /usr/share/nginx/html
USER nginx
"""


def _line(message: str) -> int | None:
    parsed = parse(TEXT)
    item = FileInput(area="docker", path="Dockerfile", data=parsed.conftest_input, text=TEXT, lines=tuple(parsed.lines))
    return locate(item, message, None)[1]


@pytest.mark.parametrize(
    ("message", "line"),
    [
        # "builds" must not match the stage name "build" of line 1
        ("FROM nginx: nginx follows `latest`, so builds change under you; name a version tag", 6),
        ("FROM nginx: pin nginx by digest (nginx@sha256:…) so every build gets the same content", 6),
        ("FROM node:latest AS build: node:latest follows `latest`, so builds change under you", 1),
        ("the builds run as nginx; image `nginx` is untagged", 6),
        ("copies /app/dist from another stage", 7),
        ("nothing here rebuilds anything", None),
    ],
)
def test_dockerfile_line(message: str, line: int | None) -> None:
    assert _line(message) == line
