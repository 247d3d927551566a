# Builders for the unit tests of the Terraform-plan policies: plan JSON pieces in
# the shape `tofu show -json` writes them (see ../samples/tofu/plan.json).
package idp.terraform.lib.fixtures

import rego.v1

import data.idp.terraform.lib

provider := "registry.opentofu.org/hashicorp/aws"

# change(address, actions, after): a managed resource change; the type and name come
# from the address ("module.a[0].aws_s3_bucket.logs" -> aws_s3_bucket, logs).
change(address, actions, after) := object.union(
	{
		"address": address,
		"mode": "managed",
		"type": type_of(address),
		"name": name_of(address),
		"provider_name": provider,
		"change": {
			"actions": actions,
			"before": before_of(actions, after),
			"after": after_of(actions, after),
			"after_unknown": {},
			"before_sensitive": {},
			"after_sensitive": {},
		},
	},
	module_of(address),
)

create(address, after) := change(address, ["create"], after)

update(address, after) := change(address, ["update"], after)

# unknown(rc, marks): the same change with attributes known only after apply, as
# Terraform writes them: marked true in `after_unknown` and left out of `after`
# (nested marks such as {"vpc_config": [{"public_access_cidrs": true}]} only mark:
# leave the nested value out of `after` yourself).
unknown(rc, marks) := object.union(object.remove(rc, ["change"]), {"change": object.union(
	object.remove(rc.change, ["after", "after_unknown"]),
	{"after": object.remove(rc.change.after, whole(marks)), "after_unknown": marks},
)})

# The top-level attributes that `marks` makes wholly unknown.
whole(marks) := {name | some name, mark in marks; mark == true}

# A data source read during apply (its arguments depend on unknown values).
deferred_data(address, after, marks) := {
	"address": address,
	"mode": "data",
	"type": type_of(address),
	"name": name_of(address),
	"provider_name": provider,
	"change": {
		"actions": ["read"],
		"before": null,
		"after": object.remove(after, whole(marks)),
		"after_unknown": marks,
		"before_sensitive": false,
		"after_sensitive": {},
	},
	"action_reason": "read_because_config_unknown",
}

# config(address, expressions): a root-module resource block of `configuration`.
config(address, expressions) := {
	"address": address,
	"mode": "managed",
	"type": type_of(address),
	"name": name_of(address),
	"provider_config_key": "aws",
	"expressions": expressions,
	"schema_version": 0,
}

refs(addresses) := {"references": addresses}

plan(changes) := {"format_version": "1.2", "terraform_version": "1.12.6", "resource_changes": changes}

plan_with_config(changes, resources) := object.union(plan(changes), {"configuration": {
	"provider_config": {"aws": {"name": "aws", "full_name": provider}},
	"root_module": {"resources": resources},
}})

# parameters(policy, values): data.idp.parameters configuring one policy
# (tests write `with data.idp.parameters as f.parameters(...)`).
parameters(policy, values) := {policy: values}

before_of(actions, after) := after if actions != ["create"]

before_of(actions, _) := null if actions == ["create"]

after_of(actions, after) := after if actions != ["delete"]

after_of(actions, _) := null if actions == ["delete"]

parts(address) := split(lib.strip_keys(address), ".")

type_of(address) := parts(address)[count(parts(address)) - 2]

name_of(address) := parts(address)[count(parts(address)) - 1]

module_of(address) := {"module_address": substring(address, 0, indexof(address, concat("", [".", type_of(address), "."])))} if {
	startswith(address, "module.")
}

module_of(address) := {} if not startswith(address, "module.")
