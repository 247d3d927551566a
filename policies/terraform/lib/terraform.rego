# METADATA
# title: Terraform-plan policy library
# description: |-
#   Helpers shared by every policy under policies/terraform: parameters with
#   defaults, overridable messages, exemptions, the resource changes a plan makes,
#   and links between resources through the plan's `configuration` section (a new
#   bucket's id is unknown at plan time, so a companion resource such as its
#   encryption configuration can only be tied to it by the reference in the code).
#   Input: the JSON of `tofu show -json <planfile>` / `terraform show -json <planfile>`.
# custom:
#   version: 1.0.0
package idp.terraform.lib

import rego.v1

# ---------------------------------------------------------------------------
# Parameters and messages
# ---------------------------------------------------------------------------

# Every policy accepts these besides its own parameters.
base_defaults := {
	"exempt": [], # resource addresses (exact, or globs where * spans dots) the policy skips
	"message": null, # replaces the message of every check of the policy
	"messages": {}, # check id -> message, for one check only
}

# params(policy, defaults) is the policy's parameters: `defaults` overlaid with
# data.idp.parameters.<policy>. Objects merge key by key; anything else (lists
# included) replaces the default. Without data, conftest runs on the defaults.
params(policy, defaults) := object.union(object.union(base_defaults, defaults), given) if {
	given := data.idp.parameters[policy]
	is_object(given)
} else := object.union(base_defaults, defaults)

# message(p, check, template, vars) is the text of a finding: the template is
# p.messages[check], else p.message, else the policy's default; every "{name}" in it
# becomes vars[name].
message(p, check, template, vars) := strings.replace_n(
	{sprintf("{%s}", [name]): text(value) | some name, value in vars},
	chosen_template(p, check, template),
)

chosen_template(p, check, template) := p.messages[check] if {
	is_string(p.messages[check])
} else := p.message if {
	is_string(p.message)
} else := template

text(value) := concat(", ", [scalar_text(v) | some v in value]) if is_array(value)

text(value) := scalar_text(value) if not is_array(value)

scalar_text(value) := value if is_string(value)

scalar_text(value) := sprintf("%v", [value]) if not is_string(value)

# exempt(p, address) holds when the policy's `exempt` parameter names the address.
exempt(p, address) if {
	some pattern in p.exempt
	address_matches(pattern, address)
}

# An address matches itself, or a glob in which * also spans dots and brackets
# ("module.sandbox.*").
address_matches(pattern, address) if pattern == address

address_matches(pattern, address) if glob.match(pattern, null, address)

# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------

as_array(value) := value if is_array(value)

as_array(value) := [] if is_null(value)

as_array(value) := [value] if {
	not is_array(value)
	not is_null(value)
}

# unknown(rc, path): the attribute at `path` is only known after apply. Terraform
# leaves such attributes out of `after` and marks them true in `after_unknown`.
unknown(rc, path) if object.get(rc.change.after_unknown, path, false) == true

# after(rc, path) is the planned value at `path`; undefined while it is unknown.
after(rc, path) := object.get(rc.change.after, path, null) if not unknown(rc, path)

# ---------------------------------------------------------------------------
# Resource changes
# ---------------------------------------------------------------------------

# Managed resources the plan creates or updates (a replacement creates).
changed contains rc if {
	some rc in input.resource_changes
	rc.mode == "managed"
	some action in rc.change.actions
	action in {"create", "update"}
}

# changed_of(types): the changed resources of those types.
changed_of(types) := {rc | some rc in changed; rc.type in types}

# Managed resources that exist after apply: changed or left as they are.
remaining contains rc if {
	some rc in input.resource_changes
	rc.mode == "managed"
	not "delete" in rc.change.actions
	not "forget" in rc.change.actions
}

# Managed resources the plan destroys: deleted, or replaced (either order).
destroyed contains rc if {
	some rc in input.resource_changes
	rc.mode == "managed"
	"delete" in rc.change.actions
}

# tags(rc) is the resource's planned tags: tags_all (provider default_tags
# included) when known, else its own tags.
tags(rc) := rc.change.after.tags_all if {
	is_object(rc.change.after.tags_all)
	not unknown(rc, ["tags_all"])
} else := rc.change.after.tags if {
	is_object(rc.change.after.tags)
} else := {}

# ---------------------------------------------------------------------------
# Configuration: the code behind the plan
# ---------------------------------------------------------------------------

# strip_keys("module.a[0].aws_s3_bucket.b[\"x\"]") == "module.a.aws_s3_bucket.b":
# the address of the block in the configuration that an instance comes from.
strip_keys(address) := regex.replace(address, `\[[^\]]*\]`, "")

# config_address(rc) is the configuration address of a resource change.
config_address(rc) := strip_keys(rc.address)

# The module part of a configuration address, with a trailing dot ("" in the root).
module_prefix(rc) := concat("", [strip_keys(rc.module_address), "."]) if rc.module_address

module_prefix(rc) := "" if not rc.module_address

# Every resource block of the configuration by module-qualified address
# ("module.network.aws_security_group.web"), in the root and nested modules.
# A complete object, so the configuration is walked once per input rather than
# once per lookup (a partial rule re-walked it for every key it was asked for).
config_resources := {address: resource |
	walk(input.configuration.root_module, [path, resources])
	is_module_resources(path)
	prefix := concat("", [sprintf("module.%s.", [path[i + 1]]) | some i, segment in path; i % 3 == 0; segment == "module_calls"])
	some resource in resources
	address := concat("", [prefix, resource.address])
}

# A path to a module's resources is ("module_calls", name, "module")* then "resources".
is_module_resources(path) if {
	count(path) % 3 == 1
	path[count(path) - 1] == "resources"
	every i, segment in array.slice(path, 0, count(path) - 1) {
		module_path_segment(i % 3, segment)
	}
}

module_path_segment(0, "module_calls")

module_path_segment(1, _)

module_path_segment(2, "module")

# references(rc, path) are the module-qualified addresses the expression at `path`
# (e.g. ["bucket"] or ["inline_policy", 0, "policy"]) refers to in the code.
references(rc, path) := {concat("", [module_prefix(rc), ref]) |
	expressions := config_resources[config_address(rc)].expressions
	some ref in object.get(expressions, array.concat(path, ["references"]), [])
}

# configured(rc, path): the code sets the argument or block at `path` (a value
# read back from the cloud alone does not count).
configured(rc, path) if object.get(config_resources[config_address(rc)].expressions, path, null) != null

# refers_to(reference, target) holds when a reference points at the block with
# configuration address `target` or one of its attributes or instances.
refers_to(reference, target) if strip_keys(reference) == target

refers_to(reference, target) if startswith(strip_keys(reference), concat("", [target, "."]))

# linked(companion, attribute, target): the companion's `attribute` points at the
# target resource, by its planned value (name or id, when known) or by the reference
# in the code (when the value is only known after apply).
linked(companion, attribute, target) if {
	value := after(companion, [attribute])
	is_string(value)
	some key in ["bucket", "id", "name", "arn"]
	value == after(target, [key])
}

linked(companion, attribute, target) if {
	some reference in references(companion, [attribute])
	refers_to(reference, config_address(target))
}

# ---------------------------------------------------------------------------
# IAM policy documents
# ---------------------------------------------------------------------------

# policy_statements(rc, path) are the statements of the policy document held in
# attribute `path` of a resource change, normalised (see normalize_json). The JSON
# is read when it is known at plan time; when it is not, the statements come from
# the aws_iam_policy_document data sources the attribute refers to.
policy_statements(rc, path) := [normalize_json(s) | some s in as_array(json.unmarshal(doc).Statement)] if {
	doc := after(rc, path)
	is_string(doc)
	json.is_valid(doc)
} else := [s |
	some reference in references(rc, path)
	some document in policy_documents
	refers_to(reference, document.config_address)
	some s in document.statements
]

# aws_iam_policy_document data sources, by configuration address: read at plan time
# (in prior_state, with their JSON), or deferred to apply (in resource_changes, with
# the known parts of their statement blocks).
policy_documents contains {"config_address": strip_keys(r.address), "statements": statements} if {
	some r in state_resources
	r.mode == "data"
	r.type == "aws_iam_policy_document"
	json.is_valid(r.values.json)
	statements := [normalize_json(s) | some s in as_array(json.unmarshal(r.values.json).Statement)]
}

policy_documents contains {"config_address": strip_keys(rc.address), "statements": statements} if {
	some rc in input.resource_changes
	rc.mode == "data"
	rc.type == "aws_iam_policy_document"
	statements := [normalize_block(s) | some s in as_array(rc.change.after.statement)]
}

# Every resource instance of the prior state, in the root and child modules.
state_resources contains r if {
	walk(input.prior_state.values.root_module, [path, resources])
	count(path) % 2 == 1
	path[count(path) - 1] == "resources"
	every i, segment in array.slice(path, 0, count(path) - 1) {
		state_path_segment(i % 2, segment)
	}
	some r in resources
}

state_path_segment(0, "child_modules")

state_path_segment(1, _)

# A statement, normalised from policy JSON or from a data source's statement block:
# effect, actions (as written: compare them lower-cased, IAM ignores case),
# resources, principal identifiers ("*" for everyone) and lower-cased condition keys.
normalize_json(s) := {
	"sid": object.get(s, "Sid", ""),
	"effect": object.get(s, "Effect", "Allow"),
	"actions": as_array(object.get(s, "Action", [])),
	"not_actions": as_array(object.get(s, "NotAction", [])),
	"resources": as_array(object.get(s, "Resource", [])),
	"not_resources": as_array(object.get(s, "NotResource", [])),
	"principals": json_principals(object.get(s, "Principal", null)),
	"not_principals": json_principals(object.get(s, "NotPrincipal", null)),
	"condition_keys": [lower(key) | some _, keys in object.get(s, "Condition", {}); some key, _ in keys],
}

json_principals(p) := ["*"] if p == "*"

json_principals(p) := [id | some _, ids in p; some id in as_array(ids)] if is_object(p)

json_principals(p) := [] if {
	p != "*"
	not is_object(p)
}

normalize_block(b) := {
	"sid": text_or(object.get(b, "sid", null), ""),
	"effect": text_or(object.get(b, "effect", null), "Allow"),
	"actions": as_array(object.get(b, "actions", [])),
	"not_actions": as_array(object.get(b, "not_actions", [])),
	"resources": as_array(object.get(b, "resources", [])),
	"not_resources": as_array(object.get(b, "not_resources", [])),
	"principals": [id | some p in as_array(object.get(b, "principals", [])); some id in as_array(p.identifiers)],
	"not_principals": [id | some p in as_array(object.get(b, "not_principals", [])); some id in as_array(p.identifiers)],
	"condition_keys": [lower(c.variable) | some c in as_array(object.get(b, "condition", []))],
}

text_or(value, _) := value if is_string(value)

text_or(value, fallback) := fallback if not is_string(value)
