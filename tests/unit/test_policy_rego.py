"""Rego lexing and rewriting: strings and comments untouched, lines kept."""

from __future__ import annotations

import pytest

from idp_actions.policy import rego

SOURCE = '''# data.lib in a comment stays
package k8srequiredlabels

import data.lib.idp.core

msg := "data.lib.x in a string stays"

raw := `data.inventory
data.lib`

violation contains {"msg": core.message(msg)} if {
	x := data.lib.idp.core.parameters
	y := data.inventory.cluster
	data.library.z
}

default allow := false
deny_extra[msg] { msg := "v0 head" }
'''


def test_mask_blanks_strings_and_comments_but_keeps_lines() -> None:
    masked = rego.mask(SOURCE)
    assert len(masked) == len(SOURCE)
    assert masked.count("\n") == SOURCE.count("\n")
    assert "in a comment" not in masked and "in a string" not in masked and "data.inventory\ndata.lib`" not in masked


def test_inspect_finds_package_rules_and_data_roots() -> None:
    module = rego.inspect(SOURCE)
    assert module.package == "k8srequiredlabels"
    assert module.package_line == 2
    assert {"msg", "raw", "violation", "allow", "deny_extra"} <= module.rules
    assert [root for root, _ in module.data_roots] == ["lib", "lib", "inventory", "library"]


def test_rewrites_touch_code_only_and_keep_lines() -> None:
    moved = rego.rewrite_data_prefix(rego.set_package(SOURCE, "idp_gk.t_x"), "lib", "idp_gk.l_x.lib")
    assert moved.count("\n") == SOURCE.count("\n")
    assert "package idp_gk.t_x\n" in moved
    assert "import data.idp_gk.l_x.lib.idp.core" in moved
    assert "data.idp_gk.l_x.lib.idp.core.parameters" in moved
    assert "data.library.z" in moved  # a different root, not a prefix match
    assert "# data.lib in a comment stays" in moved and '"data.lib.x in a string stays"' in moved


def test_escaped_quotes_and_unterminated_strings() -> None:
    assert rego.inspect('package p\nx := "a \\" data.y"\n').data_roots == ()
    with pytest.raises(rego.RegoSyntaxError) as caught:
        rego.mask('package p\nx := "open\ny := 1\n')
    assert caught.value.line == 2
