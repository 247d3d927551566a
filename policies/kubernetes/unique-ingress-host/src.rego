# An Ingress host belongs to one Ingress in the whole cluster: a second Ingress claiming a
# host that another already routes would split or steal its traffic. Referential: it reads the
# cluster's Ingresses from data.inventory, which needs Gatekeeper's sync config (see README.md).
package idpuniqueingresshost

import data.lib.idp.core

obj := core.review_object

is_ingress if {
	obj.kind == "Ingress"
	core.api_group(obj) in {"networking.k8s.io", "extensions"}
}

hosts(ingress) := {lower(rule.host) | some rule in object.get(ingress, ["spec", "rules"], []); is_string(rule.host); rule.host != ""}

# Every other Ingress in the inventory, under any apiVersion it was synced as. The object under
# review is itself in the inventory once admitted, so updates compare against everything else.
others contains [ns, name, ingress] if {
	some ns, api_version, name
	ingress := data.inventory.namespace[ns][api_version].Ingress[name]
	[ns, name] != [core.namespace, obj.metadata.name]
}

violation contains {"msg": core.message(msg), "details": details} if {
	is_ingress
	some host in hosts(obj)
	some [ns, name, other] in others
	host in hosts(other)
	msg := sprintf("%s routes the host %q, which Ingress %s/%s already routes: a host belongs to one Ingress", [core.describe(obj), host, ns, name])
	details := object.union(core.subject(obj), {"host": host, "conflicting_ingress": {"namespace": ns, "name": name}})
}
