"""The external tools idp-actions runs: find them, check their versions, install them.

Finding (:func:`find`, :func:`detect`, :func:`require`, in :mod:`.lookup`):
``IDP_<TOOL>`` (a path to the binary) wins; then, when this package runs from a
development checkout, the checkout's ``.tools/bin`` (the pinned builds of
``scripts/setup``, which must not be shadowed by older system copies); then ``PATH``.
:mod:`.registry` holds what is known about each tool.

Installing (:func:`install`, in :mod:`.installer`): the package ships
``data/tools.json`` (:mod:`.manifest`), a manifest of official release downloads
with their published SHA-256. A download is verified *before* anything is
extracted or made executable, extracted without trusting member names
(:mod:`.archive`), and moved into ``dest/<name>/<version>/`` in one rename, so an
interrupted or refused install leaves nothing behind. A second install of the
same version re-verifies the cached files and downloads nothing.

Heavy modules (``urllib``, ``tarfile``, ``zipfile``, ``json``) are imported only by
the functions that need them: ``idp --version`` never pays for them.
"""

from __future__ import annotations

from idp_actions.tools.archive import MAX_BINARY_BYTES
from idp_actions.tools.archive import _safe_member as _safe_member
from idp_actions.tools.installer import Installed, install, sha256_file
from idp_actions.tools.lookup import Found, detect, dev_tools_bin, find, locate, problem, require
from idp_actions.tools.manifest import Artifact, artifact, current_platform, load_manifest, mirrored
from idp_actions.tools.registry import TOOLS, ToolSpec, parse_version, spec, version_key

__all__ = [
    "MAX_BINARY_BYTES",
    "TOOLS",
    "Artifact",
    "Found",
    "Installed",
    "ToolSpec",
    "artifact",
    "current_platform",
    "detect",
    "dev_tools_bin",
    "find",
    "install",
    "load_manifest",
    "locate",
    "mirrored",
    "parse_version",
    "problem",
    "require",
    "sha256_file",
    "spec",
    "version_key",
]
