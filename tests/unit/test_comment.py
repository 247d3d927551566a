"""The pure half of the sticky comment: markers and fitting bodies to GitHub's limit."""

from __future__ import annotations

import re

import pytest

from idp_actions.comment import (
    COMMENT_LIMIT,
    DEFAULT_HINT,
    encode_key,
    fit_body,
    full_text_hint,
    github_length,
    marker,
    run_url,
    truncation_notice,
    with_marker,
)
from idp_actions.errors import UsageError

MARK = marker("terraform-plan", "infra/prod:default")
NOTICE_RE = re.compile(r"\n> \[!WARNING\]\n> \*\*Truncated:\*\* .*\n\Z")
MARKER_SHAPE = re.compile(r"<!-- idp-actions:sticky purpose=[a-z0-9]+(?:-[a-z0-9]+)* key=[^\s<>]+ -->")


# ------------------------------------------------------------------ markers


def test_marker_is_a_readable_hidden_comment() -> None:
    assert MARK == "<!-- idp-actions:sticky purpose=terraform-plan key=infra/prod:default -->"


@pytest.mark.parametrize(
    "key",
    [
        "a-->b",
        "-->",
        "--!>",
        "x>y",
        "<!-- nested -->",
        "----",
        "ends-with-",
        "-",
        "spaces and\ttabs\nnewline",
        "prod\u202eevil",  # right-to-left override
        "日本/環境",
        "100%",
        "a%2Db",
    ],
)
def test_hostile_keys_cannot_leave_the_html_comment(key: str) -> None:
    mark = marker("terraform-plan", key)
    assert MARKER_SHAPE.fullmatch(mark), mark
    inner = mark[len("<!--") : -len("-->")]
    assert "--" not in inner
    assert ">" not in inner and "<" not in inner
    assert mark.count("-->") == 1 and mark.endswith(" -->")
    assert mark.isascii()


def test_distinct_keys_give_distinct_markers() -> None:
    keys = ["a b", "a%20b", "a+b", "a--b", "a-%2Db", "a-b", "A-b", "a/b", "a%2Fb", "a", "a "]
    markers = {marker("p", k) for k in keys}
    assert len(markers) == len(keys)


def test_no_marker_is_a_prefix_of_another() -> None:
    # Comments are matched by "starts with the marker": key `a` must not match key `ab`.
    assert not marker("p", "ab").startswith(marker("p", "a"))
    assert not marker("plan-x", "a").startswith(marker("plan", "a"))


def test_encode_key_keeps_ordinary_keys_readable() -> None:
    assert encode_key("infra/prod-eu:default") == "infra/prod-eu:default"
    assert encode_key("a--b") == "a-%2Db"
    assert encode_key("a---b") == "a-%2D-b"


@pytest.mark.parametrize("purpose", ["", "Terraform", "terraform plan", "a--b", "-a", "a-", "x>y", "a" * 65])
def test_bad_purposes_are_refused_with_a_clear_message(purpose: str) -> None:
    with pytest.raises(UsageError, match="purpose must be a lower-case slug"):
        marker(purpose, "k")


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_empty_or_huge_keys_are_refused(key: str) -> None:
    with pytest.raises(UsageError, match="key must be 1 to 200 characters"):
        marker("p", key)


# ------------------------------------------------------------------ lengths


@pytest.mark.parametrize(
    ("text", "length"),
    [("a", 1), ("é", 1), ("日", 1), ("€", 1), ("🔴", 2), ("👩‍💻", 5), ("", 0)],
)
def test_github_length_never_undercounts_characters(text: str, length: int) -> None:
    assert github_length(text) == length
    assert github_length(text) >= len(text)


# -------------------------------------------------------------- fit_body


def test_a_body_that_fits_is_kept_whole_behind_the_marker() -> None:
    body = "## Plan\n\n```diff\n+ resource\n```\n"
    fitted = fit_body(body, MARK)
    assert fitted == f"{MARK}\n{body}"
    assert fitted.splitlines()[0] == MARK


def test_with_marker_does_not_add_it_twice() -> None:
    once = with_marker("body", MARK)
    assert with_marker(once, MARK) == once


def test_exactly_at_the_limit_is_not_cut() -> None:
    body = "x" * (COMMENT_LIMIT - len(MARK) - 1)
    fitted = fit_body(body, MARK)
    assert len(fitted) == COMMENT_LIMIT
    assert fitted == f"{MARK}\n{body}"


def test_one_character_over_the_limit_is_cut_with_a_notice() -> None:
    body = "x" * (COMMENT_LIMIT - len(MARK))
    fitted = fit_body(body, MARK)
    assert github_length(fitted) <= COMMENT_LIMIT
    assert fitted.startswith(MARK + "\n")
    assert NOTICE_RE.search(fitted)


def test_a_long_body_is_cut_at_a_line_boundary_and_says_where_the_rest_is() -> None:
    lines = [f"| resource.r{i} | update | {'x' * 40} |" for i in range(5000)]
    body = "\n".join(lines) + "\n"
    hint = "the step summary of [this workflow run](https://github.com/o/r/actions/runs/1)"
    fitted = fit_body(body, MARK, full_text_hint=hint)
    assert github_length(fitted) <= COMMENT_LIMIT
    assert fitted.startswith(MARK + "\n")
    kept, _, notice = fitted.partition("\n> [!WARNING]")
    assert kept.endswith("\n")
    for line in kept[len(MARK) + 1 :].rstrip("\n").split("\n"):
        assert line in lines  # only whole table rows survive
    assert "65,536 characters" in notice
    assert hint in notice
    assert len(fitted) > COMMENT_LIMIT - 300  # the budget is used, not wasted


def test_the_limit_counts_characters_not_bytes() -> None:
    body = "日本語" * 20_000  # 60,000 characters, 180,000 UTF-8 bytes
    fitted = fit_body(body, MARK)
    assert fitted == f"{MARK}\n{body}"


def test_astral_characters_count_double_and_are_never_split() -> None:
    # 🔴 is one character but two UTF-16 units: count conservatively, never cut one in half.
    fits = "🔴" * ((COMMENT_LIMIT - len(MARK) - 1) // 2)
    assert fit_body(fits, MARK) == f"{MARK}\n{fits}"
    over = "🔴" * COMMENT_LIMIT
    fitted = fit_body(over, MARK)
    assert github_length(fitted) <= COMMENT_LIMIT
    fitted.encode("utf-8")  # no lone surrogate
    assert NOTICE_RE.search(fitted)
    for odd in (1, 3, 5, 7):  # the cut lands inside a pair for half of these
        text = "a" * odd + "🔴" * 40_000
        result = fit_body(text, MARK)
        result.encode("utf-8")
        assert github_length(result) <= COMMENT_LIMIT


def test_multibyte_text_near_the_limit() -> None:
    body = ("é" * 99 + "\n") * 700  # 70,000 characters, two bytes each
    fitted = fit_body(body, MARK)
    assert github_length(fitted) <= COMMENT_LIMIT
    assert "é" * 99 + "\n" in fitted
    assert NOTICE_RE.search(fitted)


def test_an_open_code_fence_is_closed_before_the_notice() -> None:
    body = "```diff\n" + "+ added line\n" * 10_000 + "```\n"
    fitted = fit_body(body, MARK)
    assert github_length(fitted) <= COMMENT_LIMIT
    before_notice = fitted.partition("\n> [!WARNING]")[0]
    fences = [line for line in before_notice.splitlines() if line.startswith("```")]
    assert len(fences) == 2, "the fence must be closed so the notice renders as a quote"


def test_open_details_blocks_are_closed() -> None:
    body = "<details><summary>Plan</summary>\n\n" + "line\n" * 20_000 + "</details>\n"
    fitted = fit_body(body, MARK)
    assert github_length(fitted) <= COMMENT_LIMIT
    assert fitted.count("</details>") == 1
    assert fitted.index("</details>") < fitted.index("[!WARNING]")


def test_a_single_huge_line_is_cut_hard() -> None:
    fitted = fit_body("y" * 200_000, MARK)
    assert github_length(fitted) <= COMMENT_LIMIT
    assert fitted.count("y") > COMMENT_LIMIT - 500


def test_the_marker_survives_any_truncation() -> None:
    for size in (COMMENT_LIMIT - 10, COMMENT_LIMIT, COMMENT_LIMIT + 1, 3 * COMMENT_LIMIT):
        fitted = fit_body("z\n" * size, MARK)
        assert fitted.split("\n", 1)[0] == MARK
        assert github_length(fitted) <= COMMENT_LIMIT


def test_a_smaller_limit_is_honoured_and_a_too_small_one_refused() -> None:
    fitted = fit_body("line\n" * 1000, MARK, limit=1000)
    assert github_length(fitted) <= 1000
    assert "1,000 characters" in fitted
    with pytest.raises(ValueError, match="cannot hold"):
        fit_body("body", MARK, limit=50)


def test_the_default_notice_is_visible_markdown() -> None:
    notice = truncation_notice()
    assert notice.startswith("\n> [!WARNING]\n")
    assert DEFAULT_HINT in notice


# ------------------------------------------------------------- run links


def test_run_url_from_the_actions_environment() -> None:
    env = {
        "GITHUB_SERVER_URL": "https://github.example.com/",
        "GITHUB_REPOSITORY": "octo/app",
        "GITHUB_RUN_ID": "123",
    }
    assert run_url(env) == "https://github.example.com/octo/app/actions/runs/123"
    assert run_url({**env, "GITHUB_RUN_ATTEMPT": "2"}) == (
        "https://github.example.com/octo/app/actions/runs/123/attempts/2"
    )
    assert run_url({**env, "GITHUB_RUN_ATTEMPT": "1"}) == run_url(env)
    assert full_text_hint(env) == (
        "the step summary of [this workflow run](https://github.example.com/octo/app/actions/runs/123)"
    )


@pytest.mark.parametrize("missing", ["GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"])
def test_no_run_url_outside_actions(missing: str) -> None:
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "1"}
    del env[missing]
    assert run_url(env) is None
    assert full_text_hint(env) == DEFAULT_HINT
