"""Only digests are promoted: tags, short digests and other algorithms are refused with a hint."""

from __future__ import annotations

import pytest

from idp_actions.errors import UsageError
from idp_actions.gitops.digest import Digest, parse_digest

HEX = "0123456789abcdef" * 4


def test_a_sha256_digest_is_accepted_and_shortened_for_titles() -> None:
    digest = parse_digest(f"sha256:{HEX}")
    assert digest == Digest(f"sha256:{HEX}")
    assert digest.short == f"sha256:{HEX[:12]}"


@pytest.mark.parametrize(
    "raw",
    [f"ghcr.io/acme/payments@sha256:{HEX}", f"  sha256:{HEX.upper()}  ", f"payments@sha256:{HEX}"],
)
def test_digests_copied_from_tool_output_are_normalised(raw: str) -> None:
    assert parse_digest(raw).value == f"sha256:{HEX}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("v1.2.3", "looks like a tag"),
        ("latest", "looks like a tag"),
        ("ghcr.io/acme/payments:v1", "looks like a tag"),
        ("sha256:abc123", "not a complete sha256 digest"),
        (f"sha512:{HEX}{HEX}", "not a sha256 digest"),
        (f"ghcr.io/acme/payments@sha512:{HEX}", "not a sha256 digest"),
        ("", "is empty"),
    ],
)
def test_anything_but_a_digest_is_refused_with_how_to_find_the_digest(raw: str, expected: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_digest(raw)
    assert expected in caught.value.message
    assert caught.value.hint and "imagetools inspect" in caught.value.hint


def test_the_digest_type_refuses_invalid_values_outright() -> None:
    with pytest.raises(ValueError, match="not a sha256 digest"):
        Digest("sha256:XYZ")
