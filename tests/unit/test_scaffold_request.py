"""Scaffolding requests: JSON in, a complete and checked request out, every problem named at once."""

from __future__ import annotations

import json

import pytest

from idp_actions import cli
from idp_actions.errors import UsageError
from idp_actions.scaffold.manifest import find_template
from idp_actions.scaffold.request import (
    MAX_REQUEST_BYTES,
    Context,
    RequestError,
    load_json,
    parse_assignments,
    parse_request,
)
from tests.conftest import ROOT

TEMPLATES = ROOT / "templates"
CONTEXT = Context(org="acme", owner="team-platform", gitops_repository="acme/gitops")


def request(**parameters: object) -> dict[str, object]:
    return {"template": "python-service", "parameters": {"name": "payments-api", **parameters}}


def test_a_request_is_completed_from_the_platform_and_the_defaults() -> None:
    parsed = parse_request(request(), templates=TEMPLATES, context=CONTEXT)
    assert parsed.repository == "acme/payments-api"
    assert parsed.owner == "team-platform"
    assert parsed.answers["gitops_repository"] == "acme/gitops"
    assert parsed.answers["port"] == 8080
    assert parsed.visibility == "internal"
    assert parsed.description == "A Python HTTP service"


def test_given_values_win_over_the_platform() -> None:
    parsed = parse_request(request(owner="team-payments", org="other"), templates=TEMPLATES, context=CONTEXT)
    assert (parsed.owner, parsed.org) == ("team-payments", "other")


def test_an_empty_value_takes_the_platform_default() -> None:
    parsed = parse_request(request(gitops_repository=""), templates=TEMPLATES, context=CONTEXT)
    assert parsed.answers["gitops_repository"] == "acme/gitops"


def test_every_problem_is_reported_at_once() -> None:
    data = {"template": "python-service", "extra": 1,
            "parameters": {"name": "Payments_API", "port": 80, "colour": "blue", "lifecycle": "beta"}}
    with pytest.raises(RequestError) as caught:
        parse_request(data, templates=TEMPLATES, context=Context())
    problems = "\n".join(caught.value.problems)
    assert "unknown key(s) 'extra'" in problems
    assert "no parameter(s) 'colour'" in problems
    assert "parameter `name`: 'Payments_API' does not match" in problems
    assert "parameter `port`: must be at least 1024" in problems
    assert "parameter `lifecycle`: must be one of" in problems
    assert "parameter `owner` is required" in problems
    assert "parameter `org` is required" in problems
    assert "idp scaffold show python-service" in str(caught.value)


def test_the_name_is_always_a_dns_1123_label(tmp_path: object) -> None:
    # the terraform-module pattern alone would allow 63 characters; the label rule holds regardless
    too_long = "terraform-aws-" + "a" * 60
    data = {"template": "terraform-module", "parameters": {"name": too_long}}
    with pytest.raises(RequestError, match="at most 63"):
        parse_request(data, templates=TEMPLATES, context=CONTEXT)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{", "it is not JSON"),
        ('{"template": "a", "template": "b"}', "appears twice"),
        (b"\xff\xfe", "not UTF-8"),
        ("[1, 2]", "must be a JSON object"),
        ('{"parameters": {}}', "`template`"),
        ('{"template": "python-service", "parameters": []}', "`parameters` must be a JSON object"),
        ('{"template": "python-service", "parameters": {}, "id": "a b"}', "`id` must be"),
    ],
)
def test_malformed_requests(raw: str | bytes, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        parse_request(load_json(raw), templates=TEMPLATES, context=CONTEXT)


def test_requests_are_bounded_in_size() -> None:
    big = json.dumps({"template": "python-service", "parameters": {"description": "x" * MAX_REQUEST_BYTES}})
    with pytest.raises(RequestError, match="more than"):
        load_json(big)


def test_command_line_assignments_are_typed_by_the_manifest() -> None:
    manifest = find_template("python-service", TEMPLATES)
    assert parse_assignments(manifest, ["port=9090", "name=a=b"]) == {"port": 9090, "name": "a=b"}
    with pytest.raises(RequestError, match="whole number"):
        parse_assignments(manifest, ["port=eighty"])
    with pytest.raises(RequestError, match="no parameter 'colour'"):
        parse_assignments(manifest, ["colour=blue"])
    with pytest.raises(UsageError, match="expected KEY=VALUE"):
        parse_assignments(manifest, ["port"])


def test_cli_reports_a_bad_request_with_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["scaffold", "new", "--dry-run", "--request", '{"template": "python-service", "parameters": '
                     '{"name": "../etc", "owner": "t", "org": "acme"}}'])
    err = capsys.readouterr().err
    assert code == 1
    assert "the scaffolding request is invalid: parameter `name`: '../etc' does not match" in err


def test_cli_lists_and_shows_templates(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scaffold", "list"]) == 0
    listing = capsys.readouterr().out
    assert "python-service" in listing and "terraform-module" in listing
    assert cli.main(["scaffold", "show", "python-service"]) == 0
    shown = capsys.readouterr().out
    assert "port  (integer; default 8080; range 1024..65535)" in shown


def test_output_needs_dry_run(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    assert cli.main(["scaffold", "new", "python-service", "-p", "name=x", "--output", "out"]) == 1
    assert "--output writes a dry run's result: add --dry-run" in capsys.readouterr().err
