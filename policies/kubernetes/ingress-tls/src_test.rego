package idpingresstls_test

import data.idpingresstls

_ingress(hosts, tls) := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "Ingress",
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"rules": [{"host": h} | some h in hosts], "tls": tls},
}

_review(obj) := {"review": {"object": obj}}

_hosts(result) := {v.details.host | some v in result}

test_every_host_covered if {
	obj := _ingress(["shop.example.com", "api.example.com"], [{"hosts": ["shop.example.com"], "secretName": "a"}, {"hosts": ["API.example.com"]}])
	count(idpingresstls.violation) == 0 with input as _review(obj)
}

test_uncovered_host if {
	obj := _ingress(["shop.example.com", "admin.example.com"], [{"hosts": ["shop.example.com"], "secretName": "a"}])
	result := idpingresstls.violation with input as _review(obj)
	_hosts(result) == {"admin.example.com"}
	some v in result
	v.msg == `Ingress shop/web routes the host "admin.example.com" without TLS: add it to spec.tls[].hosts`
}

test_no_tls_at_all if {
	obj := json.remove(_ingress(["shop.example.com"], []), ["spec/tls"])
	result := idpingresstls.violation with input as _review(obj)
	[v] := [v | some v in result]
	v.details.hosts == ["shop.example.com"]
	v.msg == "Ingress shop/web has no tls section: every Ingress must serve HTTPS"
	backend_only := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "b"}, "spec": {"defaultBackend": {"service": {"name": "web"}}}}
	count(idpingresstls.violation) == 1 with input as _review(backend_only)
}

test_wildcards_cover_one_label if {
	tls := [{"hosts": ["*.example.com"]}]
	count(idpingresstls.violation) == 0 with input as _review(_ingress(["shop.example.com", "*.example.com"], tls))
	_hosts(idpingresstls.violation) == {"a.b.example.com", "example.com"} with input as _review(_ingress(["a.b.example.com", "example.com"], tls))
	_hosts(idpingresstls.violation) == {"*.example.com"} with input as _review(_ingress(["*.example.com"], [{"hosts": ["shop.example.com"]}]))
}

test_only_ingresses if {
	count(idpingresstls.violation) == 0 with input as _review({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {}})
	legacy := object.union(_ingress(["a.example.com"], [{"hosts": ["b.example.com"]}]), {"apiVersion": "extensions/v1beta1"})
	count(idpingresstls.violation) == 1 with input as _review(legacy)
}

test_message_override if {
	obj := _ingress(["shop.example.com"], [{"hosts": ["other.example.com"]}])
	result := idpingresstls.violation with input as {"review": {"object": obj}, "parameters": {"message": "HTTPS only"}}
	[v] := [v | some v in result]
	v.msg == "HTTPS only"
	v.details.host == "shop.example.com"
}
