# METADATA
# title: Security groups do not open sensitive ports to the internet
# description: |-
#   Denies ingress from anywhere (0.0.0.0/0, ::/0) to a port range that includes a
#   sensitive port (SSH, RDP, databases, caches, cluster and admin ports), and warns
#   about ingress from anywhere to any other port than the public ones (80, 443).
#   Reads inline ingress blocks of aws_security_group, aws_security_group_rule of
#   type ingress and aws_vpc_security_group_ingress_rule; "all protocols" rules
#   count as every port.
# custom:
#   version: 1.0.0
#   severity: critical
package idp.terraform.security_group_open_ingress

import rego.v1

import data.idp.terraform.lib

defaults := {
	"sensitive_ports": [
		20, 21, 22, 23, 135, 139, 445, 1433, 1521, 2049, 2375, 2376, 2379, 3306, 3389,
		5432, 5601, 5900, 5984, 6379, 6443, 9042, 9092, 9200, 9300, 11211, 27017,
	],
	"public_ports": [80, 443],
}

p := lib.params("security-group-open-ingress", defaults)

deny contains msg if {
	some rule in open_rules
	exposed := [port | some port in p.sensitive_ports; rule.from <= port; port <= rule.to]
	count(exposed) > 0
	msg := lib.message(p, "sensitive_port", "{address}: ingress from {cidr} to {ports} reaches sensitive port(s) {sensitive}; allow known networks only, or reach the hosts through a bastion, VPN or SSM", {
		"address": rule.address, "cidr": rule.cidr, "ports": ports_label(rule), "sensitive": exposed,
	})
}

warn contains msg if {
	some rule in open_rules
	not exposes_sensitive(rule)
	not public_only(rule)
	msg := lib.message(p, "non_public_port", "{address}: ingress from {cidr} to {ports}; only port(s) {public} are expected to be open to the internet", {
		"address": rule.address, "cidr": rule.cidr, "ports": ports_label(rule), "public": p.public_ports,
	})
}

exposes_sensitive(rule) if {
	some port in p.sensitive_ports
	rule.from <= port
	port <= rule.to
}

public_only(rule) if {
	rule.from == rule.to
	rule.from in p.public_ports
}

ports_label(rule) := "every port (all protocols)" if rule.all

ports_label(rule) := sprintf("port %d/%s", [rule.from, rule.protocol]) if {
	not rule.all
	rule.from == rule.to
}

ports_label(rule) := sprintf("ports %d-%d/%s", [rule.from, rule.to, rule.protocol]) if {
	not rule.all
	rule.from != rule.to
}

# Ingress rules open to anywhere, normalised to
# {address, cidr, protocol, all, from, to}.
open_rules contains rule if {
	some rc in lib.changed_of({"aws_security_group"})
	not lib.exempt(p, rc.address)
	some ingress in lib.as_array(lib.after(rc, ["ingress"]))
	some cidr in array.concat(lib.as_array(ingress.cidr_blocks), lib.as_array(ingress.ipv6_cidr_blocks))
	rule := normalise(rc.address, cidr, ingress.protocol, ingress.from_port, ingress.to_port)
}

open_rules contains rule if {
	some rc in lib.changed_of({"aws_security_group_rule"})
	not lib.exempt(p, rc.address)
	lib.after(rc, ["type"]) == "ingress"
	after := rc.change.after
	some cidr in array.concat(lib.as_array(object.get(after, "cidr_blocks", [])), lib.as_array(object.get(after, "ipv6_cidr_blocks", [])))
	rule := normalise(rc.address, cidr, after.protocol, after.from_port, after.to_port)
}

open_rules contains rule if {
	some rc in lib.changed_of({"aws_vpc_security_group_ingress_rule"})
	not lib.exempt(p, rc.address)
	after := rc.change.after
	some cidr in [object.get(after, "cidr_ipv4", null), object.get(after, "cidr_ipv6", null)]
	rule := normalise(rc.address, cidr, after.ip_protocol, object.get(after, "from_port", null), object.get(after, "to_port", null))
}

normalise(address, cidr, protocol, _, _) := {"address": address, "cidr": cidr, "protocol": "all", "all": true, "from": 0, "to": 65535} if {
	anywhere(cidr)
	lower(sprintf("%v", [protocol])) in {"-1", "all"}
}

normalise(address, cidr, protocol, from, to) := {"address": address, "cidr": cidr, "protocol": name, "all": false, "from": from, "to": to} if {
	anywhere(cidr)
	name := port_protocols[lower(sprintf("%v", [protocol]))]
	is_number(from)
	is_number(to)
}

# Protocols whose rules have port ranges, by name or number.
port_protocols := {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}

anywhere(cidr) if {
	is_string(cidr)
	endswith(cidr, "/0")
}
