"""`.github/idp-scan-ignore.yaml`: entries, matching, expiry, and errors that name the key."""

from __future__ import annotations

from datetime import date

import pytest

from idp_actions.errors import ConfigError
from idp_actions.findings import Finding, Severity
from idp_actions.scan import ignores

TODAY = date(2030, 6, 1)
VALID = """\
version: 1
ignore:
  - id: CVE-2099-0002
    path: "services/**/package-lock.json"
    reason: lodash.template is never called with user input (ACME-123)
    expires: 2030-06-30
  - id: idp.python.weak-hash
    reason: ETags, not security
    expires: 2030-06-01
"""


def _finding(rule: str, path: str) -> Finding:
    return Finding(tool="t", rule_id=rule, severity=Severity.HIGH, title=rule, message=rule, path=path)


def test_entries_suppress_matching_findings_with_their_reason() -> None:
    parsed = ignores.parse(VALID)
    parsed.check_expiry(TODAY)  # 2030-06-01 is still valid on that day
    findings = [
        _finding("CVE-2099-0002", "services/web/package-lock.json"),
        _finding("cve-2099-0002", "package-lock.json"),  # outside the glob
        _finding("idp.python.weak-hash", "any/where.py"),
    ]

    out, unused = parsed.apply(findings)

    assert out[0].suppressed == (
        "accepted until 2030-06-30: lodash.template is never called with user input (ACME-123) "
        "(.github/idp-scan-ignore.yaml:3)"
    )
    assert out[1].suppressed is None
    assert out[2].suppressed is not None and "ETags" in out[2].suppressed
    assert unused == []


def test_an_expired_entry_fails_naming_it() -> None:
    parsed = ignores.parse(VALID)
    with pytest.raises(ConfigError) as caught:
        parsed.check_expiry(date(2030, 6, 2))
    message = str(caught.value)
    assert message.startswith(".github/idp-scan-ignore.yaml:7: 1 accepted finding(s) have expired")
    assert "`idp.python.weak-hash` expired on 2030-06-01 (reason given: ETags, not security)" in message
    assert "set a new `expires` date" in message


def test_unused_entries_are_noted() -> None:
    _, unused = ignores.parse(VALID).apply([])
    assert ignores.describe_unused(unused, "f.yaml") == [
        "f.yaml:3: `CVE-2099-0002` matched no finding (fixed? remove the entry)",
        "f.yaml:7: `idp.python.weak-hash` matched no finding (fixed? remove the entry)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ignore:\n  - id: X\n    reason: r\n", "at `ignore[0]`: required key `expires` is missing"),
        ("ignore:\n  - id: X\n    reason: r\n    expires: next year\n",
         ":4 at `ignore[0].expires`: `next year` is not a date: write YYYY-MM-DD"),
        ("ignore:\n  - id: X\n    reason: r\n    expires: 2030-02-30\n", "`2030-02-30` is not a real day"),
        ("ignore:\n  - id: X\n    reason: ''\n    expires: 2030-01-01\n", "`ignore[0].reason`: must not be empty"),
        ("ignore:\n  - id: X\n    why: r\n    expires: 2030-01-01\n", "unknown key `why`"),
        ("ignore:\n  - id: [X]\n    reason: r\n    expires: 2030-01-01\n", "must be a single value"),
        ("ignores: []\n", "unknown key `ignores`"),
        ("version: 2\nignore: []\n", "`version` must be 1"),
        ("ignore: X\n", "at `ignore`: must be a list of entries"),
        ("ignore:\n  - id: X\n  id: Y\n", "invalid YAML"),
        ("version: 1\n", "required key `ignore` is missing"),
        ("ignore:\n  - id: a\n    id: b\n", "duplicate key `id`"),
    ],
)
def test_bad_ignore_files_get_errors_that_name_the_key(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ignores.parse(text)
    assert expected in str(caught.value)
    assert str(caught.value).startswith(".github/idp-scan-ignore.yaml")


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("**/package-lock.json", "package-lock.json", True),
        ("**/package-lock.json", "a/b/package-lock.json", True),
        ("src/*.py", "src/app.py", True),
        ("src/*.py", "src/sub/app.py", False),
        ("src/**", "src/sub/app.py", True),
        ("./Dockerfile", "Dockerfile", True),
        ("Docker?ile", "Dockerfile", True),
        ("a.b", "aXb", False),
    ],
)
def test_path_globs(pattern: str, path: str, matches: bool) -> None:
    assert bool(ignores.glob_regex(pattern).fullmatch(path)) is matches
