# An Ingress serves every host it routes over TLS: each rule's host is listed in spec.tls
# (a "*.example.com" entry covers exactly one label below example.com), and an Ingress
# without a tls section is refused outright.
package idpingresstls

import data.lib.idp.core

obj := core.review_object

is_ingress if {
	obj.kind == "Ingress"
	core.api_group(obj) in {"networking.k8s.io", "extensions"}
}

tls_hosts := {lower(host) | some entry in object.get(obj.spec, "tls", []); some host in object.get(entry, "hosts", [])}

rule_hosts := {lower(rule.host) | some rule in object.get(obj.spec, "rules", []); is_string(rule.host); rule.host != ""}

covered(host) if host in tls_hosts

covered(host) if {
	not startswith(host, "*.")
	parts := split(host, ".")
	count(parts) > 2
	concat(".", array.concat(["*"], array.slice(parts, 1, count(parts)))) in tls_hosts
}

violation contains {"msg": core.message(msg), "details": object.union(core.subject(obj), {"hosts": sort(rule_hosts)})} if {
	is_ingress
	count(object.get(obj.spec, "tls", [])) == 0
	msg := sprintf("%s has no tls section: every Ingress must serve HTTPS", [core.describe(obj)])
}

violation contains {"msg": core.message(msg), "details": object.union(core.subject(obj), {"host": host})} if {
	is_ingress
	count(object.get(obj.spec, "tls", [])) > 0
	some host in rule_hosts
	not covered(host)
	msg := sprintf("%s routes the host %q without TLS: add it to spec.tls[].hosts", [core.describe(obj), host])
}
