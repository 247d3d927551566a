# METADATA
# title: Instance types come from the environment's allowlist
# description: |-
#   Denies an instance type or class outside the allowlist of the resource's
#   environment: aws_instance and aws_launch_template (instance_type),
#   aws_eks_node_group (instance_types), aws_db_instance and
#   aws_rds_cluster_instance (instance_class). The environment is the
#   `environment` parameter when set (one plan per environment), else the
#   resource's environment tag. Warns when the environment cannot be told or has
#   no allowlist.
# custom:
#   version: 1.0.0
#   severity: medium
package idp.terraform.instance_types

import rego.v1

import data.idp.terraform.lib

defaults := {
	# the plan's environment; null reads environment_tag from each resource
	"environment": null,
	"environment_tag": "Environment",
	# environment (lower case) -> instance type globs; objects merge, so a parameter
	# {"allowed": {"prod": [...]}} replaces the prod list and keeps the others
	"allowed": {
		"dev": ["t3.*", "t3a.*", "t4g.*", "db.t3.*", "db.t4g.*"],
		"staging": ["t3.*", "t3a.*", "t4g.*", "m7g.large", "m7i.large", "c7g.large", "db.t4g.*", "db.m7g.large"],
		"prod": [
			"t4g.*", "m7g.*", "m7i.*", "c7g.*", "c7i.*", "r7g.*", "r7i.*",
			"db.t4g.*", "db.m7g.*", "db.r7g.*",
		],
	},
}

p := lib.params("instance-types", defaults)

deny contains msg if {
	some use in uses
	environment := environment_of(use.rc)
	allowed := p.allowed[environment]
	not allowed_type(allowed, use.instance_type)
	msg := lib.message(p, "not_allowed", "{address}: {attribute} {type} is not allowed in {environment}; use one of {allowed}", {
		"address": use.rc.address, "attribute": use.attribute, "type": use.instance_type,
		"environment": environment, "allowed": allowed,
	})
}

warn contains msg if {
	some use in uses
	environment := environment_of(use.rc)
	not p.allowed[environment]
	msg := lib.message(p, "no_allowlist", "{address}: no instance type allowlist for environment \"{environment}\"; {type} was not checked", {"address": use.rc.address, "environment": environment, "type": use.instance_type})
}

warn contains msg if {
	some use in uses
	not environment_of(use.rc)
	msg := lib.message(p, "no_environment", "{address}: cannot tell the environment (set the environment parameter or the {tag} tag); {type} was not checked", {"address": use.rc.address, "tag": p.environment_tag, "type": use.instance_type})
}

# Every instance type a changed resource asks for.
changed(types) := {rc | some rc in lib.changed_of(types); not lib.exempt(p, rc.address)}

uses contains {"rc": rc, "attribute": "instance_type", "instance_type": type} if {
	some rc in changed({"aws_instance", "aws_launch_template"})
	type := lib.after(rc, ["instance_type"])
	is_string(type)
}

uses contains {"rc": rc, "attribute": "instance_types", "instance_type": type} if {
	some rc in changed({"aws_eks_node_group"})
	some type in lib.as_array(lib.after(rc, ["instance_types"]))
	is_string(type)
}

uses contains {"rc": rc, "attribute": "instance_class", "instance_type": type} if {
	some rc in changed({"aws_db_instance", "aws_rds_cluster_instance"})
	type := lib.after(rc, ["instance_class"])
	is_string(type)
}

# The plan's environment, when the parameter sets it.
configured_environment := lower(p.environment) if {
	is_string(p.environment)
	p.environment != ""
}

environment_of(_) := configured_environment

environment_of(rc) := lower(value) if {
	not configured_environment
	value := lib.tags(rc)[p.environment_tag]
	is_string(value)
	value != ""
}

allowed_type(allowed, type) if {
	some pattern in allowed
	glob.match(pattern, null, type)
}
