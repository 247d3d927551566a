"""`.github/idp.yaml`: loading, validation messages (golden files), defaults, and `idp config`.

Golden files: every `tests/unit/golden/config/<case>.yaml` is copied into a fresh
repository as `.github/idp.yaml` and checked with `idp config validate`; what it
prints and its exit code must equal `<case>.out`. Regenerate after an intended
change with `IDP_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_config.py` and
review the diff.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from idp_actions import cli
from idp_actions.config import (
    ConfigValidationError,
    IdpConfig,
    defaults,
    format_path,
    load_config,
    parse_config,
    schema,
    schema_text,
)
from idp_actions.errors import ConfigError
from idp_actions.findings import Severity

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "config"
CASES = sorted(p.stem for p in GOLDEN.glob("*.yaml"))
PACKAGE_SCHEMA = ROOT / "src" / "idp_actions" / "schemas" / "idp.schema.json"
PUBLISHED_SCHEMA = ROOT / "schemas" / "idp.schema.json"


def write_config(repo: Path, content: str | bytes, name: str = "idp.yaml") -> Path:
    path = repo / ".github" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def run_idp(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ golden files


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 20
    assert "valid-full" in CASES


@pytest.mark.parametrize("case", CASES)
def test_validate_golden(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copyfile(GOLDEN / f"{case}.yaml", write_config(tmp_path, b""))
    code, out, err = run_idp(capsys, "config", "validate", "--repo", str(tmp_path))
    actual = f"exit {code}\n--- stdout\n{out}--- stderr\n{err}"
    expected_file = GOLDEN / f"{case}.out"
    if os.environ.get("IDP_UPDATE_GOLDEN") == "1":
        expected_file.write_text(actual, encoding="utf-8")
    assert expected_file.is_file(), f"no golden output for {case}: run with IDP_UPDATE_GOLDEN=1"
    assert actual == expected_file.read_text(encoding="utf-8")
    # Every bad input is an expected failure: exit 1, a message, never a traceback.
    assert "Traceback" not in out + err
    if case == "valid-full":
        assert code == 0
        assert out == "ok: .github/idp.yaml is valid\n"
    else:
        assert code == 1
        assert err.startswith("idp: error: .github/idp.yaml")
        assert "internal error" not in err


def test_golden_outputs_have_inputs() -> None:
    orphans = [p.name for p in GOLDEN.glob("*.out") if not (GOLDEN / f"{p.stem}.yaml").is_file()]
    assert orphans == []


# ------------------------------------------------- each bad input names the problem


def validate(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes) -> tuple[int, str]:
    write_config(tmp_path, content)
    code, out, err = run_idp(capsys, "config", "validate", "--repo", str(tmp_path))
    assert "Traceback" not in out + err
    return code, err


def test_non_utf8_names_offset_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = validate(tmp_path, capsys, b"version: 1\norg:\n  name: caf\xe9\n")
    assert code == 1
    assert "not valid UTF-8" in err
    assert "byte 0xE9 at offset 27 (line 3, column 12)" in err
    assert "must be UTF-8" in err


@pytest.mark.parametrize("content", [b"", b"\n\n", b"# just a comment\n", b"---\n", b"\xef\xbb\xbf# bom\n"])
def test_empty_or_comment_only(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes) -> None:
    code, err = validate(tmp_path, capsys, content)
    assert code == 1
    assert "is empty" in err
    assert "add `version: 1`" in err
    assert "delete the file" in err


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = validate(tmp_path, capsys, "version: 1\ngitops:\n  repository: acme/gitops: main\n")
    assert code == 1
    assert ".github/idp.yaml:3:" in err
    assert "invalid YAML at column 26" in err
    assert "mapping values are not allowed here" in err
    assert "    3 |   repository: acme/gitops: main" in err


def test_duplicate_keys_are_rejected_with_both_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = "version: 1\nscan:\n  severity-threshold: HIGH\n  ignore-unfixed: true\n  severity-threshold: LOW\n"
    code, err = validate(tmp_path, capsys, content)
    assert code == 1
    assert ".github/idp.yaml:5 at `scan.severity-threshold`" in err
    assert "duplicate key `severity-threshold` in `scan`: first at line 3, again at line 5" in err


def test_duplicate_keys_in_list_items_and_top_level(tmp_path: Path) -> None:
    content = (
        "version: 1\ngitops:\n  environments:\n    - name: dev\n      name: qa\nversion: 1\n"
    )
    with pytest.raises(ConfigValidationError) as info:
        parse_config(content)
    messages = [(p.dotted, p.line, p.message) for p in info.value.problems]
    assert messages == [
        ("gitops.environments[0].name", 5, "duplicate key `name` in `gitops.environments[0]`: first at line 4, "
         "again at line 5"),
        ("version", 6, "duplicate key `version` at the top level: first at line 1, again at line 6"),
    ]


def test_merge_keys_may_be_overridden_without_a_duplicate_error() -> None:
    content = (
        "version: 1\n"
        "terraform:\n"
        "  roots:\n"
        "    - &base {path: infra/a, workspaces: [dev]}\n"
        "    - <<: *base\n"
        "      path: infra/b\n"
    )
    config = parse_config(content)
    assert [(r.path, r.workspaces) for r in config.terraform_roots] == [("infra/a", ("dev",)), ("infra/b", ("dev",))]


def test_top_level_must_be_a_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = validate(tmp_path, capsys, "- version: 1\n")
    assert code == 1
    assert "top level must be a mapping" in err
    assert "it is a list" in err


def test_schema_errors_name_key_path_line_and_allowed_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = (
        "version: 1\n"                       # 1
        "gitops:\n"                          # 2
        "  environments:\n"                  # 3
        "    - name: dev\n"                  # 4
        "    - name: prod\n"                 # 5
        "      mode: automatic\n"            # 6
        "scan:\n"                            # 7
        "  severity-threshold: SEVERE\n"     # 8
    )
    code, err = validate(tmp_path, capsys, content)
    assert code == 1
    assert "2 problems" in err
    mode = err.index(".github/idp.yaml:6 at `gitops.environments[1].mode`: \"automatic\" is not allowed; "
                     "use one of: direct, pull-request")
    severity = err.index(".github/idp.yaml:8 at `scan.severity-threshold`: \"SEVERE\" is not allowed; "
                         "use one of: CRITICAL, HIGH, MEDIUM, LOW")
    assert mode < severity  # sorted by line


def test_unknown_key_lists_allowed_keys_and_suggests_closest(tmp_path: Path) -> None:
    with pytest.raises(ConfigValidationError) as info:
        parse_config("version: 1\nscan:\n  severity_treshold: HIGH\n")
    (problem,) = info.value.problems
    assert problem.dotted == "scan.severity_treshold"
    assert problem.line == 3
    assert problem.message == "unknown key `severity_treshold`; did you mean `severity-threshold`?"
    assert problem.hint == "allowed keys in `scan`: severity-threshold, ignore-unfixed, scanners, exclude"


def test_unknown_top_level_key_without_close_match(tmp_path: Path) -> None:
    with pytest.raises(ConfigValidationError) as info:
        parse_config("version: 1\nzebra: 1\n")
    (problem,) = info.value.problems
    assert problem.message == "unknown key `zebra`"
    assert problem.hint == (
        "allowed keys at the top level: version, org, tools, scan, policy, terraform, gitops, scaffold, comments"
    )


def test_all_schema_errors_reported_at_once_sorted_by_line() -> None:
    content = "\n".join(
        [
            "version: 1",
            "comments: {sticky: maybe}",
            "terraform:",
            "  binary: terragrunt",
            "  roots:",
            "    - path: ok",
            "    - {}",
            "scan: {scanners: [nope]}",
        ]
    )
    with pytest.raises(ConfigValidationError) as info:
        parse_config(content)
    problems = info.value.problems
    assert [(p.line, p.dotted) for p in problems] == [
        (2, "comments.sticky"),
        (4, "terraform.binary"),
        (7, "terraform.roots[1]"),
        (8, "scan.scanners[0]"),
    ]
    assert info.value.line == 2  # the first problem's line, for callers that annotate one place


def test_yaml_one_one_booleans_get_a_quoting_hint() -> None:
    with pytest.raises(ConfigValidationError) as info:
        parse_config("version: 1\norg:\n  name: no\n")
    (problem,) = info.value.problems
    assert problem.message == "must be a string, got a boolean (false)"
    assert problem.hint is not None and "quote the value" in problem.hint


def test_semantic_environment_rules() -> None:
    content = (
        "version: 1\ngitops:\n  environments:\n"
        "    - name: prod\n      requires: [staging]\n"
        "    - name: staging\n"
    )
    with pytest.raises(ConfigValidationError) as info:
        parse_config(content)
    (problem,) = info.value.problems
    assert problem.dotted == "gitops.environments[0].requires[0]"
    assert problem.line == 5
    assert "requires `staging`, which is listed after it" in problem.message


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["version: 1", "policy:", "  parameters:", "    a: &a0 {v: [x, x, x, x, x, x, x, x, x, x]}"]
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"    a{i}: &a{i} {{v: [{refs}]}}")
    started = time.monotonic()
    with pytest.raises(ConfigError) as info:
        parse_config("\n".join(lines))
    assert time.monotonic() - started < 5
    assert "anchors and aliases" in str(info.value)


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("version: 1\npolicy:\n  parameters: &p\n    loop: *p\n")
    assert "refers to itself through an alias" in str(info.value)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    deep = "version: 1\npolicy:\n  parameters:\n    p: " + "[" * 400 + "]" * 400 + "\n"
    with pytest.raises(ConfigError) as info:
        parse_config(deep)
    assert "nested too deeply" in str(info.value)


def test_format_path() -> None:
    assert format_path(("gitops", "environments", 1, "mode")) == "gitops.environments[1].mode"
    assert format_path(("policy", "parameters", "a.b")) == 'policy.parameters["a.b"]'
    assert format_path(()) == ""


# -------------------------------------------------------------- finding the file


def test_missing_file_means_defaults(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = load_config(tmp_path)
    assert config.source is None
    assert config.scan_severity_threshold is Severity.HIGH
    code, out, err = run_idp(capsys, "config", "validate", "--repo", str(tmp_path))
    assert (code, err) == (0, "")
    assert out.startswith("ok: no .github/idp.yaml in ")
    assert "defaults apply" in out


def test_yml_extension_is_found(tmp_path: Path) -> None:
    path = write_config(tmp_path, "version: 1\nscan: {severity-threshold: LOW}\n", name="idp.yml")
    config = load_config(tmp_path)
    assert config.source == path
    assert config.scan_severity_threshold is Severity.LOW


def test_both_extensions_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(tmp_path, "version: 1\n")
    write_config(tmp_path, "version: 1\n", name="idp.yml")
    code, err = validate(tmp_path, capsys, "version: 1\n")
    assert code == 1
    assert "both .github/idp.yaml and .github/idp.yml exist" in err
    assert "keep one" in err


def test_explicit_file_relative_to_cwd(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "other.yaml").write_text("version: 1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_idp(capsys, "config", "validate", "--file", "conf/other.yaml")
    assert (code, out) == (0, "ok: conf/other.yaml is valid\n")


def test_explicit_file_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_idp(
        capsys, "config", "validate", "--repo", str(tmp_path), "--file", str(tmp_path / "nope.yaml")
    )
    assert code == 1
    assert "nope.yaml: file not found" in err


def test_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("version: 1\n", encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / ".github").mkdir(parents=True)
    (repo / ".github" / "idp.yaml").symlink_to(outside)
    with pytest.raises(ConfigError, match="symbolic link to a file outside the repository"):
        load_config(repo)


def test_config_action_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_idp(capsys, "config")
    assert code == 1
    assert "required: ACTION" in err


# ------------------------------------------------------------------- defaults


def test_defaults_are_applied_recursively_into_array_items(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        "version: 1\n"
        "terraform:\n  roots:\n    - path: infra\n"
        "gitops:\n  repository: acme/gitops\n  environments:\n    - name: dev\n    - name: prod\n"
        "      mode: direct\n      requires: [dev]\n",
    )
    config = load_config(tmp_path)
    data = config.as_dict()
    assert data["terraform"] == {
        "binary": "tofu",
        "roots": [{"path": "infra", "workspaces": ["default"], "var-files": [], "backend-config": []}],
        "comment-mode": "combined",
    }
    assert data["gitops"]["environments"] == [
        {"name": "dev", "mode": "pull-request", "argocd-app": "{service}-{environment}", "requires": []},
        {"name": "prod", "mode": "direct", "argocd-app": "{service}-{environment}", "requires": ["dev"]},
    ]
    assert data["gitops"]["branch"] == "main"
    assert data["scan"] == {
        "severity-threshold": "HIGH",
        "ignore-unfixed": False,
        "scanners": ["vuln", "misconfig", "secret", "sast", "workflows"],
        "exclude": [],
    }
    assert data["comments"] == {"sticky": True}
    # the effective configuration is itself valid
    Draft202012Validator(schema()).validate(data)


def test_default_environments_get_item_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    envs = config.gitops_environments
    assert [(e.name, e.mode, e.requires) for e in envs] == [
        ("dev", "direct", ()),
        ("staging", "direct", ("dev",)),
        ("prod", "pull-request", ("staging",)),
    ]
    assert all(e.argocd_app == "{service}-{environment}" for e in envs)


def test_idp_config_is_frozen_and_typed() -> None:
    config = parse_config((GOLDEN / "valid-full.yaml").read_bytes())
    assert isinstance(config, IdpConfig)
    with pytest.raises(AttributeError):
        config.source = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.data["version"] = 2  # type: ignore[index]
    assert config.version == 1
    assert config.org_name == "acme"
    assert config.default_team == "platform"
    assert config.tool_version("tofu") == "1.12.6"
    assert config.tool_version("opa") is None
    assert config.scan_severity_threshold is Severity.MEDIUM
    assert config.scan_ignore_unfixed is True
    assert config.scan_exclude == ("testdata/**", "vendor/**")
    assert config.policy_enforcement == "warn"
    assert config.policy_parameters("required-labels") == {"labels": ("owner", "cost-center")}
    assert config.policy_parameters("absent") == {}
    assert config.terraform_binary == "tofu"
    assert config.terraform_comment_mode == "per-root"
    assert config.terraform_roots[1].workspaces == ("staging", "prod")
    assert config.terraform_roots[0].workspaces == ("default",)
    assert config.gitops_repository == "acme/gitops"
    assert config.gitops_environments[2].argocd_app == "{service}-prod-eu"
    assert config.sticky_comments is True


def test_show_prints_effective_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(tmp_path, "version: 1\nscan:\n  severity-threshold: LOW\n")
    code, out, _ = run_idp(capsys, "config", "show", "--repo", str(tmp_path), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["scan"]["severity-threshold"] == "LOW"
    assert data["policy"]["enforcement"] == "deny"
    code, out, _ = run_idp(capsys, "config", "show", "--repo", str(tmp_path))
    assert code == 0
    assert out.startswith("# effective idp configuration (.github/idp.yaml)\n")
    assert yaml.safe_load(out) == data
    assert list(data) == ["version", "org", "tools", "scan", "policy", "terraform", "gitops", "scaffold", "comments"]


def test_show_with_an_invalid_file_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(tmp_path, "version: 1\nscan: []\n")
    code, out, err = run_idp(capsys, "config", "show", "--repo", str(tmp_path))
    assert code == 1
    assert out == ""
    assert "`scan`: must be a mapping" in err


# ---------------------------------------------------------------- in Actions


def test_validate_in_actions_annotates_each_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], actions_env: dict[str, Path]
) -> None:
    write_config(tmp_path, "version: 1\nscan:\n  severity-threshold: SEVERE\ncolor: red\n")
    code, out, _ = run_idp(capsys, "config", "validate", "--repo", str(tmp_path))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(
        "::error title=invalid idp configuration,file=.github/idp.yaml,line=3,endLine=3::`scan.severity-threshold`: "
    )
    assert lines[1].startswith("::error title=invalid idp configuration,file=.github/idp.yaml,line=4,endLine=4::"
                               "`color`: unknown key `color`%0Ahint: allowed keys at the top level")
    assert len(lines) == 2


def test_validate_in_actions_annotates_syntax_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], actions_env: dict[str, Path]
) -> None:
    write_config(tmp_path, "version: 1\nscan: [\n")
    code, out, _ = run_idp(capsys, "config", "validate", "--repo", str(tmp_path))
    assert code == 1
    assert out.startswith("::error title=invalid idp configuration,file=.github/idp.yaml,line=3,endLine=3::")


# -------------------------------------------------------------------- schema


def test_published_schema_is_identical_to_package_schema() -> None:
    assert PUBLISHED_SCHEMA.read_bytes() == PACKAGE_SCHEMA.read_bytes(), (
        "schemas/idp.schema.json is out of date: run scripts/sync-schema"
    )


def test_sync_script_check_mode(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "sync-schema"), "--check"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr


def test_sync_script_copies(tmp_path: Path) -> None:
    fake = tmp_path / "repo"
    (fake / "scripts").mkdir(parents=True)
    (fake / "src" / "idp_actions" / "schemas").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "sync-schema", fake / "scripts" / "sync-schema")
    shutil.copy(PACKAGE_SCHEMA, fake / "src" / "idp_actions" / "schemas" / "idp.schema.json")
    check = subprocess.run(["bash", str(fake / "scripts" / "sync-schema"), "--check"],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 1
    assert "run scripts/sync-schema" in check.stderr
    subprocess.run(["bash", str(fake / "scripts" / "sync-schema")], capture_output=True, check=True)
    assert (fake / "schemas" / "idp.schema.json").read_bytes() == PACKAGE_SCHEMA.read_bytes()


def test_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_idp(capsys, "config", "schema")
    assert code == 0
    assert out == PACKAGE_SCHEMA.read_text(encoding="utf-8")
    code, out, _ = run_idp(capsys, "config", "schema", "--path")
    assert code == 0
    path, schema_id = out.splitlines()
    assert Path(path).read_bytes() == PACKAGE_SCHEMA.read_bytes()
    assert schema_id == json.loads(schema_text())["$id"]


def walk_properties(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{where}.{name}", sub
        for key, sub in node.items():
            if key != "properties":
                yield from walk_properties(sub, f"{where}/{key}")
        for name, sub in node.get("properties", {}).items():
            yield from walk_properties(sub, f"{where}.{name}")
    elif isinstance(node, list):
        for index, sub in enumerate(node):
            yield from walk_properties(sub, f"{where}[{index}]")


def test_schema_is_valid_and_complete() -> None:
    document = json.loads(PACKAGE_SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"].endswith("/schemas/idp.schema.json")
    assert document["title"]
    assert document["required"] == ["version"]
    missing = sorted({where for where, sub in walk_properties(document) if not sub.get("description")})
    assert missing == [], "every property needs a description"

    def objects(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if node.get("type") == "object":
                yield node
            for sub in node.values():
                yield from objects(sub)
        elif isinstance(node, list):
            for sub in node:
                yield from objects(sub)

    for obj in objects(document):
        # typos are caught: closed objects, or free-form maps whose values are schemas
        assert obj.get("additionalProperties") is False or isinstance(obj.get("additionalProperties"), dict) \
            or "properties" not in obj, obj.get("description")
    # every section has a default, and the defaults validate
    for name, sub in document["properties"].items():
        if name != "version":
            assert "default" in sub, name
    Draft202012Validator(document).validate({"version": 1})


def test_schema_enums_match_the_brief() -> None:
    document = json.loads(PACKAGE_SCHEMA.read_text(encoding="utf-8"))
    props = document["properties"]
    assert props["scan"]["properties"]["severity-threshold"]["enum"] == ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
    assert props["scan"]["properties"]["severity-threshold"]["default"] == "HIGH"
    assert props["policy"]["properties"]["enforcement"]["enum"] == ["deny", "warn", "dryrun"]
    assert set(props["tools"]["properties"]) == {
        "opa", "tofu", "terraform", "conftest", "gator", "trivy", "semgrep", "actionlint", "kustomize", "zizmor"
    }
    env = document["$defs"]["environment"]["properties"]
    assert env["name"]["pattern"] == "^[a-z0-9-]+$"
    assert env["mode"]["enum"] == ["direct", "pull-request"]


def test_environments_without_requires_follow_the_list_order(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "idp.yaml").write_text(
        "version: 1\ngitops:\n  environments:\n    - name: dev\n    - name: qa\n    - name: prod\n"
        "    - name: sandbox\n      requires: []\n",
        encoding="utf-8",
    )
    envs = {env.name: env.requires for env in load_config(tmp_path).gitops_environments}
    assert envs == {"dev": (), "qa": ("dev",), "prod": ("qa",), "sandbox": ()}
    assert {env.name: env.requires for env in defaults().gitops_environments} == {
        "dev": (),
        "staging": ("dev",),
        "prod": ("staging",),
    }
