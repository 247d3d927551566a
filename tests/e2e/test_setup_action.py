"""actions/setup and the umbrella action.yml, run for real by act."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from idp_actions import __version__
from tests.conftest import require_tool
from tests.e2e.conftest import Act
from tests.e2e.harness import FIXTURES, ROOT

pytestmark = pytest.mark.e2e

CALLERS = FIXTURES / "callers"
IDP_CONFIG = "# idp-actions configuration\nversion: 1\n"


def test_setup_puts_this_checkouts_idp_on_path(act: Act) -> None:
    # A package in the caller's workspace named like ours must not be what runs.
    repo = act.repo(
        workflows=[CALLERS / "setup-caller.yml"],
        files={"idp_actions/__init__.py": "raise SystemExit('the workspace shadowed idp_actions')\n"},
    )

    result = act.run(repo, "setup-caller.yml")

    job = result.job("setup")
    assert job.succeeded, f"{job.errors}\n{result.tail()}"
    assert job.outputs["idp-version"] == __version__
    assert job.outputs["python-path"].startswith(str(result.tool_cache / "idp-actions" / "venv"))
    used = job.step_outputs[("use",)]
    assert used["version"] == f"idp {__version__}"
    assert used["which"].endswith("/idp-actions/bin/idp")
    # the seeded venv was complete, so nothing was installed
    assert "reusing" in job.text()


def test_setup_that_cannot_install_fails_clearly_and_leaves_nothing(act: Act) -> None:
    # An empty tool cache of its own and PIP_NO_INDEX: the real install path, which cannot download here.
    repo = act.repo(workflows=[CALLERS / "setup-caller.yml"])

    result = act.run(repo, "setup-caller.yml", fresh_tool_cache=True, timeout=180)

    job = result.job("setup")
    assert not job.succeeded, result.tail()
    assert job.step("Set up idp").result == "failure"
    assert any("pip could not install requirements/runtime.lock" in error for error in job.errors), job.errors
    venvs = result.tool_cache / "idp-actions" / "venv"
    assert not venvs.exists() or not any(venvs.iterdir()), sorted(venvs.iterdir())


def test_umbrella_passes_each_line_as_one_argument_unevaluated(act: Act) -> None:
    repo = act.repo(
        workflows=[CALLERS / "umbrella-caller.yml"],
        files={".github/idp.yaml": IDP_CONFIG, "zizmor.yml": ROOT / "zizmor.yml"},
    )

    result = act.run(repo, "umbrella-caller.yml")

    job = result.job("lint")
    assert job.succeeded, f"{job.errors}\n{result.tail()}"
    assert job.step_outputs[("check",)] == {"pwned": "no", "split": "no", "findings": "0"}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # same names as the base class
        pass


@pytest.fixture
def tool_mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A release mirror on 127.0.0.1 serving this machine's real opa, and a manifest pinning its SHA-256.

    ``idp tools install`` downloads ``<mirror><path of the manifest URL>`` (IDP_TOOLS_MIRROR).
    """
    opa = Path(require_tool("opa")).resolve()
    release = "/open-policy-agent/opa/releases/download/v1.19.1/opa_linux_amd64_static"
    served = tmp_path / "mirror" / release.lstrip("/")
    served.parent.mkdir(parents=True)
    served.write_bytes(opa.read_bytes())
    manifest = tmp_path / "tools.json"
    entry = {
        "url": f"https://github.com{release}",
        "sha256": hashlib.sha256(served.read_bytes()).hexdigest(),
        "archive": "raw",
        "binary": "opa",
    }
    manifest.write_text(
        json.dumps({"schema": 1, "tools": {"opa": {"version": "1.19.1", "platforms": {"linux-amd64": entry}}}}),
        encoding="utf-8",
    )
    handler = partial(_QuietHandler, directory=str(tmp_path / "mirror"))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}", manifest
        finally:
            server.shutdown()
            thread.join(timeout=5)


def test_setup_installs_requested_tools_verified_and_on_path(act: Act, tool_mirror: tuple[str, Path]) -> None:
    mirror, manifest = tool_mirror
    repo = act.repo(workflows=[CALLERS / "setup-tools-caller.yml"])

    result = act.run(
        repo, "setup-tools-caller.yml", env={"IDP_TOOLS_MIRROR": mirror, "IDP_TOOLS_MANIFEST": str(manifest)}
    )

    job = result.job("tools")
    assert job.succeeded, f"{job.errors}\n{result.tail()}"
    installed = job.step_outputs[("setup", "tools")]["opa-path"]
    assert installed.startswith(str(result.tool_cache / "idp-actions" / "opa" / "1.19.1"))
    assert job.step_outputs[("use",)] == {"which": installed, "version": "Version: 1.19.1"}
