"""Digest edits in kustomize overlays and Helm values: only the digest line changes, comments stay."""

from __future__ import annotations

import pytest

from idp_actions.gitops.digest import Digest
from idp_actions.gitops.layout import LayoutError, Target, read_digest, set_digest

OLD = Digest("sha256:" + "a" * 64)
NEW = Digest("sha256:" + "b" * 64)
KUSTOMIZE = Target(layout="kustomize", image="payments", file="apps/payments/overlays/dev/kustomization.yaml")
HELM = Target(layout="helm", image="payments", values_key="image.digest", file="values-dev.yaml")

OVERLAY = f"""\
# dev overlay: idp promote writes the digest below
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base   # shared manifests

images:
  # the service image, pinned by digest
  - name: ghcr.io/acme/payments
    digest: {OLD}   # set by idp promote
  - name: busybox
    newTag: "1.36"
namePrefix: 'dev-'
"""


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]


def test_kustomize_replaces_only_the_digest_value_and_keeps_its_comment() -> None:
    edited = set_digest(OVERLAY, NEW, KUSTOMIZE)

    assert edited.changed and edited.previous == OLD
    assert changed_lines(OVERLAY, edited.text) == [
        (f"    digest: {OLD}   # set by idp promote", f"    digest: {NEW}   # set by idp promote")
    ]
    assert read_digest(edited.text, KUSTOMIZE) == NEW


def test_kustomize_adds_a_digest_after_the_name_and_drops_the_tag() -> None:
    text = "images:\n- name: ghcr.io/acme/payments # app\n  newTag: v1.2.3 # a tag\n- name: other\n"

    edited = set_digest(text, NEW, KUSTOMIZE)

    assert edited.previous is None
    assert edited.text == f"images:\n- name: ghcr.io/acme/payments # app\n  digest: {NEW}\n- name: other\n"


def test_kustomize_flow_style_entries_fall_back_to_a_round_trip_that_keeps_comments() -> None:
    text = f"---\n# pinned images\nimages: [{{name: payments, digest: {OLD}}}]  # one\nresources:\n    - base\n"

    edited = set_digest(text, NEW, KUSTOMIZE)

    assert edited.text.startswith("---\n# pinned images\n")
    assert f"digest: {NEW}" in edited.text and "# one" in edited.text
    assert read_digest(edited.text, KUSTOMIZE) == NEW


def test_the_same_digest_again_is_no_change_at_all() -> None:
    edited = set_digest(OVERLAY, OLD, KUSTOMIZE)
    assert not edited.changed and edited.text == OVERLAY


def test_crlf_files_keep_their_line_endings() -> None:
    text = OVERLAY.replace("\n", "\r\n")
    edited = set_digest(text, NEW, KUSTOMIZE)
    assert edited.text.count("\r\n") == text.count("\r\n")
    assert f"digest: {NEW}   # set by idp promote\r\n" in edited.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("resources: [base]\n", "has no `images:` list"),
        (
            "images:\n  - name: ghcr.io/acme/orders\n",
            "no `images:` entry named `payments` (entries: ghcr.io/acme/orders)",
        ),
        ("images:\n  - name: a/payments\n  - name: b/payments\n", "2 `images:` entries matching"),
        ("images: [\n", "is not valid YAML"),
        ("- a\n", "must be a mapping"),
        ("a: 1\n---\nb: 2\n", "exactly one YAML document"),
    ],
)
def test_overlays_that_cannot_be_edited_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(LayoutError) as caught:
        set_digest(text, NEW, KUSTOMIZE)
    assert message in str(caught.value)


VALUES = """\
# values for dev
image:
    repository: ghcr.io/acme/payments   # registry path
    digest: ""    # idp promote sets this
    pullPolicy: IfNotPresent
replicas: 2
ports:
    -   80
    -   443
"""


def test_helm_sets_the_configured_key_and_leaves_odd_indentation_alone() -> None:
    edited = set_digest(VALUES, NEW, HELM)

    assert edited.previous is None
    assert changed_lines(VALUES, edited.text) == [
        ('    digest: ""    # idp promote sets this', f"    digest: {NEW}    # idp promote sets this")
    ]
    assert read_digest(edited.text, HELM) == NEW


def test_helm_inserts_a_missing_key_into_its_parent_mapping() -> None:
    text = VALUES.replace('    digest: ""    # idp promote sets this\n', "")
    edited = set_digest(text, NEW, HELM)
    assert edited.text.splitlines()[1:3] == ["image:", f"    digest: {NEW}"]
    assert edited.text.replace(f"    digest: {NEW}\n", "") == text


def test_helm_null_value_is_filled_in_place() -> None:
    edited = set_digest("image:\n  digest:   # later\n", NEW, HELM)
    assert edited.text == f"image:\n  digest: {NEW}  # later\n"


def test_helm_nested_key_path_is_configurable() -> None:
    target = Target(layout="helm", image="payments", values_key="app.image.sha", file="values.yaml")
    edited = set_digest("app:\n  image:\n    sha: old-value\n", NEW, target)
    assert edited.text == f"app:\n  image:\n    sha: {NEW}\n"
    assert edited.previous is None  # the old value was not a digest


def test_helm_missing_parent_mapping_is_a_clear_error() -> None:
    with pytest.raises(LayoutError, match="no mapping at `image`"):
        set_digest("replicas: 2\n", NEW, HELM)
