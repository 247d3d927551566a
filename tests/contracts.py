"""The one way tests find published API descriptions (contracts).

``../shared/contracts`` (beside the clone) holds data files such as Argo CD's
swagger.json; ``tools/contracts/node_modules`` holds the pinned npm packages
(scripts/setup installs them). Outside this repository's CI the shared folder may
be absent: tests then skip with that reason. In CI (``CI=true``) it must exist.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IDP_SHARED_DIR", ROOT.parent / "shared")) / "contracts"
NPM = ROOT / "tools" / "contracts" / "node_modules"


def shared_contract(relative: str) -> Path:
    """A file under ../shared/contracts, or skip (fail in CI) when it is absent."""
    path = SHARED / relative
    if not path.is_file():
        message = f"contract {relative} not found under {SHARED} (the shared folder is absent here)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def npm_contract(package: str, relative: str) -> Path:
    """A file inside a pinned npm contract package; fails when scripts/setup did not install it."""
    path = NPM / package / relative
    if not path.exists():
        pytest.fail(f"{package}/{relative} is missing: run scripts/setup to install the contract packages")
    return path


@cache
def load_json(path: Path) -> Any:
    """Parse a (large) JSON contract once per test session."""
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)
