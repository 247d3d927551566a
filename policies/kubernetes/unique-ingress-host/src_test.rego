package idpuniqueingresshost_test

import data.idpuniqueingresshost

_ingress(ns, name, hosts) := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "Ingress",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"rules": [{"host": h} | some h in hosts]},
}

_inventory := {"namespace": {
	"shop": {"networking.k8s.io/v1": {"Ingress": {"web": _ingress("shop", "web", ["shop.example.com", "www.example.com"])}}},
	"blog": {"extensions/v1beta1": {"Ingress": {"blog": _ingress("blog", "blog", ["blog.example.com"])}}},
}}

_review(obj) := {"review": {"object": obj, "namespace": obj.metadata.namespace}}

test_new_host if {
	count(idpuniqueingresshost.violation) == 0 with input as _review(_ingress("docs", "docs", ["docs.example.com"])) with data.inventory as _inventory
}

test_taken_host if {
	result := idpuniqueingresshost.violation with input as _review(_ingress("rogue", "steal", ["WWW.example.com", "docs.example.com"])) with data.inventory as _inventory
	[v] := [v | some v in result]
	v.details.host == "www.example.com"
	v.details.conflicting_ingress == {"namespace": "shop", "name": "web"}
	v.msg == `Ingress rogue/steal routes the host "www.example.com", which Ingress shop/web already routes: a host belongs to one Ingress`
}

test_other_api_versions_count if {
	count(idpuniqueingresshost.violation) == 1 with input as _review(_ingress("docs", "docs", ["blog.example.com"])) with data.inventory as _inventory
}

test_updating_itself_is_fine if {
	count(idpuniqueingresshost.violation) == 0 with input as _review(_ingress("shop", "web", ["shop.example.com", "www.example.com"])) with data.inventory as _inventory
}

test_same_name_other_namespace_conflicts if {
	count(idpuniqueingresshost.violation) == 1 with input as _review(_ingress("other", "web", ["shop.example.com"])) with data.inventory as _inventory
}

test_empty_inventory if {
	count(idpuniqueingresshost.violation) == 0 with input as _review(_ingress("shop", "web", ["shop.example.com"])) with data.inventory as {}
}

test_message_override if {
	inp := object.union(_review(_ingress("rogue", "steal", ["shop.example.com"])), {"parameters": {"message": "pick another host"}})
	result := idpuniqueingresshost.violation with input as inp with data.inventory as _inventory
	[v] := [v | some v in result]
	v.msg == "pick another host"
	v.details.host == "shop.example.com"
}
