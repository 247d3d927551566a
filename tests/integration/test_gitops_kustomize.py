"""What idp writes into an overlay is what kustomize renders: the image pinned by digest, no tag."""

from __future__ import annotations

from pathlib import Path

import yaml

from idp_actions import proc
from idp_actions.gitops.digest import Digest
from idp_actions.gitops.layout import Target, set_digest
from tests.conftest import require_tool
from tests.fakes.gitops_repo import BASE_DEPLOYMENT, OVERLAY, digest


def rendered_image(root: Path) -> str:
    out = proc.run([require_tool("kustomize"), "build", str(root / "overlays" / "dev")]).stdout
    (deployment,) = [d for d in yaml.safe_load_all(out) if d and d["kind"] == "Deployment"]
    return str(deployment["spec"]["template"]["spec"]["containers"][0]["image"])


def test_an_edited_overlay_renders_the_image_by_digest(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "deployment.yaml").write_text(BASE_DEPLOYMENT.format(service="payments"))
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    overlay = tmp_path / "overlays" / "dev" / "kustomization.yaml"
    overlay.parent.mkdir(parents=True)
    text = OVERLAY.format(service="payments", environment="dev", digest=digest(1)).replace(
        f"digest: {digest(1)}", "newTag: v1.2.3"
    )
    overlay.write_text(text)
    assert rendered_image(tmp_path) == "ghcr.io/acme/payments:v1.2.3"

    edited = set_digest(text, Digest(digest(7)), Target(layout="kustomize", image="payments"))
    overlay.write_text(edited.text)

    assert rendered_image(tmp_path) == f"ghcr.io/acme/payments@{digest(7)}"
