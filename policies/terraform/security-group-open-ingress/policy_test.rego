package idp.terraform.security_group_open_ingress_test

import rego.v1

import data.idp.terraform.lib.fixtures as f
import data.idp.terraform.security_group_open_ingress as policy

ingress(protocol, from, to, cidrs, ipv6) := {
	"cidr_blocks": cidrs, "description": "", "from_port": from, "ipv6_cidr_blocks": ipv6,
	"prefix_list_ids": [], "protocol": protocol, "security_groups": [], "self": false, "to_port": to,
}

group(rules) := f.create("aws_security_group.web", {"name": "web", "vpc_id": "vpc-0a1b2c3d", "ingress": rules, "egress": [], "tags": {}})

test_https_from_anywhere_is_allowed if {
	plan := f.plan([group([ingress("tcp", 443, 443, ["0.0.0.0/0"], ["::/0"])])])
	count(policy.deny) == 0 with input as plan
	count(policy.warn) == 0 with input as plan
}

test_ssh_from_a_private_network_is_allowed if {
	plan := f.plan([group([ingress("tcp", 22, 22, ["10.0.0.0/8"], [])])])
	count(policy.deny) == 0 with input as plan
	count(policy.warn) == 0 with input as plan
}

test_ssh_from_anywhere_is_denied if {
	policy.deny == {"aws_security_group.web: ingress from 0.0.0.0/0 to port 22/tcp reaches sensitive port(s) 22; allow known networks only, or reach the hosts through a bastion, VPN or SSM"} with input as f.plan([group([ingress("tcp", 22, 22, ["0.0.0.0/0"], [])])])
}

test_range_including_a_database_port_is_denied if {
	policy.deny == {"aws_security_group.web: ingress from ::/0 to ports 5000-5500/tcp reaches sensitive port(s) 5432; allow known networks only, or reach the hosts through a bastion, VPN or SSM"} with input as f.plan([group([ingress("6", 5000, 5500, [], ["::/0"])])])
}

test_all_protocols_from_anywhere_is_denied if {
	some msg in policy.deny with input as f.plan([group([ingress("-1", 0, 0, ["0.0.0.0/0"], [])])])
	startswith(msg, "aws_security_group.web: ingress from 0.0.0.0/0 to every port (all protocols) reaches sensitive port(s) 20, 21, 22, 23,")
}

test_icmp_from_anywhere_is_not_a_port if {
	plan := f.plan([group([ingress("icmp", 8, 0, ["0.0.0.0/0"], [])])])
	count(policy.deny) == 0 with input as plan
	count(policy.warn) == 0 with input as plan
}

test_other_port_from_anywhere_warns if {
	plan := f.plan([group([ingress("tcp", 8080, 8080, ["0.0.0.0/0"], [])])])
	count(policy.deny) == 0 with input as plan
	policy.warn == {"aws_security_group.web: ingress from 0.0.0.0/0 to port 8080/tcp; only port(s) 80, 443 are expected to be open to the internet"} with input as plan
}

test_vpc_ingress_rule_resource if {
	rule := f.create("aws_vpc_security_group_ingress_rule.rdp", {"security_group_id": "sg-0123", "cidr_ipv4": "0.0.0.0/0", "cidr_ipv6": null, "ip_protocol": "tcp", "from_port": 3389, "to_port": 3389, "prefix_list_id": null, "referenced_security_group_id": null, "tags": null})
	policy.deny == {"aws_vpc_security_group_ingress_rule.rdp: ingress from 0.0.0.0/0 to port 3389/tcp reaches sensitive port(s) 3389; allow known networks only, or reach the hosts through a bastion, VPN or SSM"} with input as f.plan([rule])
}

test_vpc_ingress_rule_for_all_protocols_has_no_ports if {
	rule := f.create("aws_vpc_security_group_ingress_rule.all", {"security_group_id": "sg-0123", "cidr_ipv4": null, "cidr_ipv6": "::/0", "ip_protocol": "-1", "from_port": null, "to_port": null})
	count(policy.deny) == 1 with input as f.plan([rule])
}

test_security_group_rule_resource if {
	rule := f.create("aws_security_group_rule.redis", {"type": "ingress", "security_group_id": "sg-0123", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": null, "protocol": "tcp", "from_port": 6379, "to_port": 6379, "self": false, "source_security_group_id": null})
	policy.deny == {"aws_security_group_rule.redis: ingress from 0.0.0.0/0 to port 6379/tcp reaches sensitive port(s) 6379; allow known networks only, or reach the hosts through a bastion, VPN or SSM"} with input as f.plan([rule])
}

test_egress_rules_are_not_ingress if {
	rule := f.create("aws_security_group_rule.out", {"type": "egress", "security_group_id": "sg-0123", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": null, "protocol": "-1", "from_port": 0, "to_port": 0})
	count(policy.deny) == 0 with input as f.plan([rule])
}

test_sensitive_ports_are_a_parameter if {
	plan := f.plan([group([ingress("tcp", 8080, 8080, ["0.0.0.0/0"], [])])])
	count(policy.deny) == 1 with input as plan with data.idp.parameters as f.parameters("security-group-open-ingress", {"sensitive_ports": [8080]})
	count(policy.warn) == 0 with input as plan with data.idp.parameters as f.parameters("security-group-open-ingress", {"public_ports": [8080]})
}

test_message_override if {
	policy.deny == {"NET-3: aws_security_group.web opens 22 to 0.0.0.0/0"} with input as f.plan([group([ingress("tcp", 22, 22, ["0.0.0.0/0"], [])])])
		with data.idp.parameters as f.parameters("security-group-open-ingress", {"messages": {"sensitive_port": "NET-3: {address} opens {sensitive} to {cidr}"}})
}

test_exempt_group if {
	count(policy.deny) == 0 with input as f.plan([group([ingress("tcp", 22, 22, ["0.0.0.0/0"], [])])])
		with data.idp.parameters as f.parameters("security-group-open-ingress", {"exempt": ["aws_security_group.web"]})
}
