"""The finding model: severities, fingerprints, SARIF for GitHub code scanning, Markdown summaries."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from idp_actions.errors import IdpError
from idp_actions.findings import (
    FINGERPRINT_KEY,
    MAX_RESULTS_PER_RUN,
    Finding,
    Severity,
    ToolInfo,
    at_or_above,
    check_sarif_size,
    counts_by_severity,
    fingerprint,
    md_escape,
    sarif_bytes,
    sarif_size,
    summary_markdown,
    to_sarif,
)

# The official SARIF 2.1.0 JSON schema is not available offline here (no installed package
# ships it), so this is the subset of it that covers every object to_sarif emits, written
# from the OASIS SARIF 2.1.0 specification: required properties, value types, enums, and
# closed objects so a misspelt property name fails. It is stricter than the real schema in
# one way only: objects are closed to properties the spec does not define for them.
_MESSAGE = {
    "type": "object",
    "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}, "id": {"type": "string"}},
    "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
    "additionalProperties": False,
}
_MULTIFORMAT = {
    "type": "object",
    "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}},
    "required": ["text"],
    "additionalProperties": False,
}
_PROPERTY_BAG = {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"},
                                                           "uniqueItems": True}}}
SARIF_SUBSET: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "runs"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "items": {"$ref": "#/$defs/run"}},
    },
    "$defs": {
        "run": {
            "type": "object",
            "required": ["tool"],
            "additionalProperties": False,
            "properties": {
                "tool": {
                    "type": "object",
                    "required": ["driver"],
                    "additionalProperties": False,
                    "properties": {"driver": {"$ref": "#/$defs/toolComponent"}},
                },
                "automationDetails": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"id": {"type": "string"}, "guid": {"type": "string"}},
                },
                "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
                "invocations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["executionSuccessful"],
                        "additionalProperties": False,
                        "properties": {
                            "executionSuccessful": {"type": "boolean"},
                            "toolExecutionNotifications": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["message"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "message": _MESSAGE,
                                        "level": {"enum": ["none", "note", "warning", "error"]},
                                    },
                                },
                            },
                        },
                    },
                },
                "properties": _PROPERTY_BAG,
            },
        },
        "toolComponent": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "semanticVersion": {"type": "string"},
                "informationUri": {"type": "string", "format": "uri"},
                "rules": {"type": "array", "items": {"$ref": "#/$defs/reportingDescriptor"}},
            },
        },
        "reportingDescriptor": {
            "type": "object",
            "required": ["id"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "shortDescription": _MULTIFORMAT,
                "fullDescription": _MULTIFORMAT,
                "help": _MULTIFORMAT,
                "helpUri": {"type": "string", "format": "uri"},
                "defaultConfiguration": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"level": {"enum": ["none", "note", "warning", "error"]},
                                   "enabled": {"type": "boolean"}},
                },
                "properties": _PROPERTY_BAG,
            },
        },
        "result": {
            "type": "object",
            "required": ["message"],
            "additionalProperties": False,
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": -1},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": _MESSAGE,
                "locations": {"type": "array", "items": {"$ref": "#/$defs/location"}},
                "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
                "fingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
                "suppressions": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {
                        "type": "object",
                        "required": ["kind"],
                        "additionalProperties": False,
                        "properties": {
                            "kind": {"enum": ["inSource", "external"]},
                            "status": {"enum": ["accepted", "underReview", "rejected"]},
                            "justification": {"type": "string"},
                        },
                    },
                },
                "properties": _PROPERTY_BAG,
            },
        },
        "location": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "physicalLocation": {
                    "type": "object",
                    "additionalProperties": False,
                    "anyOf": [{"required": ["artifactLocation"]}, {"required": ["address"]}],
                    "properties": {
                        "artifactLocation": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {"uri": {"type": "string", "format": "uri-reference"},
                                           "uriBaseId": {"type": "string"}},
                        },
                        "region": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "startLine": {"type": "integer", "minimum": 1},
                                "endLine": {"type": "integer", "minimum": 1},
                                "startColumn": {"type": "integer", "minimum": 1},
                                "endColumn": {"type": "integer", "minimum": 1},
                                "snippet": {"type": "object", "required": ["text"],
                                            "properties": {"text": {"type": "string"}}},
                            },
                        },
                    },
                },
            },
        },
    },
}


def finding(**overrides: Any) -> Finding:
    values: dict[str, Any] = {
        "tool": "trivy",
        "rule_id": "CVE-2024-0001",
        "severity": Severity.HIGH,
        "title": "openssl: buffer overflow",
        "message": "Package openssl 3.0.1 is vulnerable",
        "path": "requirements.txt",
        "start_line": 3,
        "end_line": 3,
    }
    values.update(overrides)
    return Finding(**values)


def validate_sarif(sarif: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(SARIF_SUBSET)
    errors = sorted(Draft202012Validator(SARIF_SUBSET).iter_errors(sarif), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    # rules the JSON schema cannot express
    for run in sarif["runs"]:
        rules = run["tool"]["driver"]["rules"]
        ids = [rule["id"] for rule in rules]
        assert len(ids) == len(set(ids)), "rule ids are unique within a run"
        for result in run["results"]:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
            for location in result.get("locations", []):
                region = location["physicalLocation"].get("region")
                if region:
                    assert region["endLine"] >= region["startLine"]
                uri = location["physicalLocation"]["artifactLocation"]["uri"]
                assert not uri.startswith(("./", "/")) and "\\" not in uri and " " not in uri
        for rule in rules:
            score = rule["properties"].get("security-severity")
            if score is not None:
                assert 0.0 <= float(score) <= 10.0


# ------------------------------------------------------------------ severity


def test_severity_order() -> None:
    order = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO, Severity.UNKNOWN]
    assert sorted(order, reverse=True) == order
    assert sorted(reversed(order), reverse=True) == order
    assert Severity.CRITICAL > Severity.HIGH > Severity.MEDIUM > Severity.LOW > Severity.INFO > Severity.UNKNOWN
    assert Severity.HIGH >= Severity.HIGH
    assert max([Severity.LOW, Severity.CRITICAL, Severity.INFO]) is Severity.CRITICAL
    with pytest.raises(TypeError):
        _ = Severity.HIGH < 3  # type: ignore[operator]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CRITICAL", Severity.CRITICAL),
        ("high", Severity.HIGH),
        (" Medium ", Severity.MEDIUM),
        ("moderate", Severity.MEDIUM),
        ("LOW", Severity.LOW),
        ("error", Severity.HIGH),
        ("ERROR", Severity.HIGH),
        ("warning", Severity.MEDIUM),
        ("note", Severity.LOW),
        ("none", Severity.INFO),
        ("informational", Severity.INFO),
        ("INFO", Severity.INFO),
        ("unknown", Severity.UNKNOWN),
        ("", Severity.UNKNOWN),
        ("whatever", Severity.UNKNOWN),
        (None, Severity.UNKNOWN),
        ("9.8", Severity.CRITICAL),
        (7.5, Severity.HIGH),
        (4, Severity.MEDIUM),
        ("0.1", Severity.LOW),
        (0.0, Severity.INFO),
        (Severity.LOW, Severity.LOW),
    ],
)
def test_severity_parse(raw: Any, expected: Severity) -> None:
    assert Severity.parse(raw) is expected


def test_severity_sarif_mapping() -> None:
    assert [s.sarif_level for s in sorted(Severity, reverse=True)] == [
        "error", "error", "warning", "note", "note", "warning"
    ]
    # GitHub's bands: critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9
    assert Severity.parse(Severity.CRITICAL.security_severity) is Severity.CRITICAL
    assert Severity.parse(Severity.HIGH.security_severity) is Severity.HIGH
    assert Severity.parse(Severity.MEDIUM.security_severity) is Severity.MEDIUM
    assert Severity.parse(Severity.LOW.security_severity) is Severity.LOW
    assert Severity.INFO.security_severity is None
    assert Severity.UNKNOWN.security_severity is None


# --------------------------------------------------------------- fingerprint


def test_finding_is_frozen_and_fingerprinted() -> None:
    f = finding()
    assert finding(path=".\\src\\a.py").path == "src/a.py"
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.severity = Severity.LOW  # type: ignore[misc]
    assert re.fullmatch(r"[0-9a-f]{32}", f.fingerprint)
    assert finding(fingerprint="given").fingerprint == "given"
    assert f.to_dict()["severity"] == "HIGH"
    assert json.loads(json.dumps(f.to_dict()))["rule_id"] == "CVE-2024-0001"


def test_fingerprint_ignores_line_numbers_and_whitespace() -> None:
    base = finding(start_line=3, end_line=3)
    assert finding(start_line=40, end_line=42).fingerprint == base.fingerprint
    assert finding(message="Package  openssl 3.0.1\n is vulnerable").fingerprint == base.fingerprint
    moved = finding(message="unsafe call on line 12", snippet="")
    assert finding(message="unsafe call on line 57").fingerprint == moved.fingerprint
    assert finding(path="./requirements.txt").fingerprint == base.fingerprint


def test_fingerprint_distinguishes_what_matters() -> None:
    base = finding()
    assert finding(rule_id="CVE-2024-0002").fingerprint != base.fingerprint
    assert finding(path="other/requirements.txt").fingerprint != base.fingerprint
    assert finding(tool="grype").fingerprint != base.fingerprint
    assert finding(message="something else").fingerprint != base.fingerprint
    assert finding(package="openssl").fingerprint != base.fingerprint


def test_snippet_wins_over_message_for_the_fingerprint() -> None:
    a = finding(snippet="eval(user_input)", message="eval at line 3")
    b = finding(snippet="eval(user_input)", message="a reworded message")
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint == fingerprint(tool="trivy", rule_id="CVE-2024-0001", path="requirements.txt",
                                        text="eval(user_input)")


# --------------------------------------------------------------- filtering


def test_at_or_above_and_counts() -> None:
    findings = [
        finding(severity=Severity.CRITICAL, rule_id="a"),
        finding(severity=Severity.LOW, rule_id="b"),
        finding(severity=Severity.HIGH, rule_id="c"),
        finding(severity=Severity.HIGH, rule_id="d", suppressed="accepted risk, ticket SEC-1"),
        finding(severity=Severity.UNKNOWN, rule_id="e"),
    ]
    assert [f.rule_id for f in at_or_above(findings, Severity.HIGH)] == ["a", "c"]
    assert [f.rule_id for f in at_or_above(findings, "low")] == ["a", "c", "b"]
    assert at_or_above(findings, "CRITICAL") == [findings[0]]
    counts = counts_by_severity(findings)
    assert list(counts) == sorted(Severity, reverse=True)
    assert counts == {
        Severity.CRITICAL: 1, Severity.HIGH: 1, Severity.MEDIUM: 0,
        Severity.LOW: 1, Severity.INFO: 0, Severity.UNKNOWN: 1,
    }


# --------------------------------------------------------------------- SARIF


def sample() -> list[Finding]:
    return [
        finding(),
        finding(rule_id="CVE-2024-0002", severity=Severity.CRITICAL, path="src\\app\\poetry.lock",
                package="urllib3", installed_version="1.26.0", fixed_version="1.26.18",
                help_uri="https://avd.aquasec.com/nvd/cve-2024-0002"),
        finding(tool="semgrep", rule_id="python.eval", severity=Severity.parse("error"), title="eval",
                message="eval() on user input", path="./src/my app/main.py", start_line=10, end_line=8,
                snippet="eval(x)"),
        finding(tool="semgrep", rule_id="python.assert", severity=Severity.parse("note"), title="assert",
                message="assert used", path="src/main.py", start_line=20,
                suppressed="tests only"),
        finding(tool="trivy", rule_id="AVD-DS-0002", severity=Severity.INFO, title="root user",
                message="image runs as root", path="", start_line=None, end_line=None),
    ]


TOOLS = {
    "trivy": ToolInfo("Trivy", "0.74.0", "https://trivy.dev"),
    "semgrep": ("Semgrep OSS", "1.185.0", "https://semgrep.dev"),
    "zizmor": ToolInfo("zizmor", "1.32.0", None),
}


def test_sarif_validates_and_has_one_run_per_tool() -> None:
    sarif = to_sarif(sample(), TOOLS, category="security-scan")
    validate_sarif(sarif)
    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"].endswith("sarif-2.1.0.json")
    names = [run["tool"]["driver"]["name"] for run in sarif["runs"]]
    assert names == ["Trivy", "Semgrep OSS", "zizmor"]  # every listed tool, even without findings
    ids = [run["automationDetails"]["id"] for run in sarif["runs"]]
    assert ids == ["security-scan/trivy/", "security-scan/semgrep/", "security-scan/zizmor/"]
    assert len(set(ids)) == len(ids)
    trivy, semgrep, zizmor = sarif["runs"]
    assert trivy["tool"]["driver"]["version"] == "0.74.0"
    assert trivy["tool"]["driver"]["informationUri"] == "https://trivy.dev"
    assert "informationUri" not in zizmor["tool"]["driver"]
    assert zizmor["results"] == [] and zizmor["tool"]["driver"]["rules"] == []
    assert len(trivy["results"]) == 3 and len(semgrep["results"]) == 2
    json.dumps(sarif)  # serialisable


def test_sarif_without_tool_mapping_names_runs_by_tool() -> None:
    sarif = to_sarif([finding(tool="idp-lint", rule_id="missing-timeout")], category="idp-lint")
    validate_sarif(sarif)
    (run,) = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "idp-lint"
    assert run["automationDetails"]["id"] == "idp-lint/idp-lint/"


def test_sarif_rules_results_and_locations() -> None:
    sarif = to_sarif(sample(), TOOLS, category="scan")
    trivy, semgrep, _ = sarif["runs"]
    rules = {rule["id"]: rule for rule in trivy["tool"]["driver"]["rules"]}
    assert rules["CVE-2024-0002"]["properties"]["security-severity"] == "9.5"
    assert "security" in rules["CVE-2024-0002"]["properties"]["tags"]
    assert rules["CVE-2024-0002"]["helpUri"] == "https://avd.aquasec.com/nvd/cve-2024-0002"
    assert rules["CVE-2024-0001"]["properties"]["security-severity"] == "8.0"
    assert rules["CVE-2024-0001"]["defaultConfiguration"] == {"level": "error"}
    assert "security-severity" not in rules["AVD-DS-0002"]["properties"]
    assert rules["AVD-DS-0002"]["properties"]["problem.severity"] == "recommendation"

    first = trivy["results"][0]  # most severe first
    assert first["ruleId"] == "CVE-2024-0002"
    assert first["level"] == "error"
    assert first["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "src/app/poetry.lock", "uriBaseId": "%SRCROOT%"
    }
    assert first["properties"] == {
        "severity": "CRITICAL", "package": "urllib3", "installedVersion": "1.26.0", "fixedVersion": "1.26.18"
    }
    assert set(first["partialFingerprints"]) == {FINGERPRINT_KEY}
    no_path = next(r for r in trivy["results"] if r["ruleId"] == "AVD-DS-0002")
    assert "locations" not in no_path
    assert no_path["level"] == "note"

    eval_result = next(r for r in semgrep["results"] if r["ruleId"] == "python.eval")
    physical = eval_result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "src/my%20app/main.py"
    assert physical["region"] == {"startLine": 10, "endLine": 10, "snippet": {"text": "eval(x)"}}


def test_suppressed_results_carry_an_external_suppression() -> None:
    sarif = to_sarif(sample(), TOOLS, category="scan")
    semgrep = sarif["runs"][1]
    suppressed = next(r for r in semgrep["results"] if r["ruleId"] == "python.assert")
    assert suppressed["suppressions"] == [{"kind": "external", "justification": "tests only"}]
    assert all("suppressions" not in r for r in sarif["runs"][0]["results"])


def test_sarif_is_deterministic() -> None:
    a = sarif_bytes(to_sarif(sample(), TOOLS, category="scan"))
    b = sarif_bytes(to_sarif(list(reversed(sample())), TOOLS, category="scan"))
    assert a == b


def test_result_limit_keeps_the_most_severe_and_records_the_omission() -> None:
    findings = [finding(rule_id=f"LOW-{i}", severity=Severity.LOW) for i in range(8)]
    findings += [finding(rule_id="CRIT", severity=Severity.CRITICAL, message=f"m{i}") for i in range(3)]
    findings += [finding(rule_id="MED", severity=Severity.MEDIUM, message=f"m{i}") for i in range(2)]
    sarif = to_sarif(findings, category="scan", max_results=5)
    validate_sarif(sarif)
    (run,) = sarif["runs"]
    assert [r["ruleId"] for r in run["results"]] == ["CRIT", "CRIT", "CRIT", "MED", "MED"]
    assert run["properties"] == {"idp/omittedResults": 8, "idp/omittedBySeverity": {"LOW": 8}}
    note = run["invocations"][0]["toolExecutionNotifications"][0]
    assert note["level"] == "warning" and "8 of 13 results were left out" in note["message"]["text"]
    # rules only for results that were kept
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} == {"CRIT", "MED"}


def test_github_result_limit_is_25000_per_run() -> None:
    assert MAX_RESULTS_PER_RUN == 25_000
    findings = [finding(rule_id="R", severity=Severity.LOW, message=f"m{i}") for i in range(25_003)]
    findings += [finding(rule_id="C", severity=Severity.CRITICAL, message="worst")]
    findings += [finding(tool="semgrep", rule_id="S", message="other tool")]
    sarif = to_sarif(findings, category="scan")
    trivy, semgrep = sarif["runs"]
    assert len(trivy["results"]) == 25_000
    assert trivy["results"][0]["ruleId"] == "C"
    assert trivy["properties"]["idp/omittedResults"] == 4
    assert "properties" not in semgrep and len(semgrep["results"]) == 1


def test_too_many_runs_is_refused() -> None:
    findings = [finding(tool=f"tool{i}") for i in range(21)]
    with pytest.raises(IdpError, match="at most 20 runs"):
        to_sarif(findings, category="scan")


def test_sarif_size_helper() -> None:
    sarif = to_sarif(sample(), TOOLS, category="scan")
    size = sarif_size(sarif)
    assert size.raw_bytes == len(sarif_bytes(sarif))
    assert 0 < size.gzipped_bytes < size.raw_bytes
    assert size.within_limit
    assert check_sarif_size(sarif) == size
    assert "gzipped" in str(size)
    with pytest.raises(IdpError, match="too large for GitHub code scanning") as info:
        check_sarif_size(sarif, limit=100)
    assert info.value.hint


# ------------------------------------------------------------------ Markdown


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_summary_counts_by_severity_and_tool() -> None:
    text = summary_markdown(sample(), "Security scan")
    lines = text.splitlines()
    assert lines[0] == "### Security scan"
    header = lines.index("| Severity | semgrep | trivy | Total |")
    table = lines[header:]
    assert table[2] == "| 🔴 Critical | 0 | 1 | **1** |"
    assert table[3] == "| 🟠 High | 1 | 1 | **2** |"
    assert table[4] == "| ⚪ Info | 0 | 1 | **1** |"
    assert table[5] == "| **Total** | **1** | **3** | **4** |"
    assert "1 suppressed finding(s) are not counted." in text
    assert "| 🔴 Critical | trivy | [CVE\\-2024\\-0002]" not in text  # '-' is not escaped
    assert "| 🔴 Critical | trivy | [CVE-2024-0002](https://avd.aquasec.com/nvd/cve-2024-0002) | " \
           "src/app/poetry.lock:3 |" in text
    assert "| 🟠 High | semgrep | python.eval | src/my app/main.py:10 | eval() on user input |" in text


def test_summary_escapes_hostile_text() -> None:
    hostile = finding(
        tool="semgrep",
        rule_id="x|y",
        title="pipe | and <script>alert(1)</script>",
        message="line one\nline two | <img src=x onerror=alert(1)> @octocat #1 [link](javascript:x) `code`",
        path="a|b.py",
        help_uri="javascript:alert(1)",
    )
    text = summary_markdown([hostile], "Title with | pipe <b>")
    rows = [line for line in text.splitlines() if line.startswith("|")]
    widths = {unescaped_pipes(row) for row in rows[:3]}
    assert len(widths) == 1
    findings_table = rows[rows.index("| Severity | Tool | Rule | Location | Finding |"):]
    assert {unescaped_pipes(row) for row in findings_table} == {6}
    assert not re.search(r"(?<!\\)<", text), "no raw < that could open an HTML tag"
    assert not re.search(r"(?<!\\)\]\(javascript", text)  # only https links become links
    assert "@octocat" not in text  # no mention
    assert "\\[link\\]" in text
    assert "line one line two" in text  # one line per row


def test_md_escape() -> None:
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("<b>") == "\\<b\\>"
    assert md_escape("x" * 300, limit=10) == "x" * 9 + "…"
    assert md_escape("  many \n\t spaces ") == "many spaces"


def test_summary_without_findings() -> None:
    assert summary_markdown([], "Scan") == "### Scan\n\n✅ No findings.\n"
    suppressed = [finding(suppressed="ok")]
    assert "No findings (1 suppressed)" in summary_markdown(suppressed, "Scan")


def test_summary_top_findings_are_capped() -> None:
    many = [finding(rule_id=f"R{i}", severity=Severity.LOW, message=f"m{i}") for i in range(30)]
    many.append(finding(rule_id="TOP", severity=Severity.CRITICAL))
    text = summary_markdown(many, "Scan", top=5)
    assert "#### Top 5 of 31" in text
    rows = text.split("#### Top 5 of 31", 1)[1].splitlines()
    data_rows = [r for r in rows if r.startswith("| ") and "Severity" not in r and ":--" not in r]
    assert len(data_rows) == 5
    assert "TOP" in data_rows[0]
