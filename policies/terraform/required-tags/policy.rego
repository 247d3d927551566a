# METADATA
# title: Resources carry the required tags
# description: |-
#   Denies a taggable resource (one whose schema has tags) that the plan creates or
#   updates without every required tag, or with a value outside the allowed ones.
#   Reads tags_all, which includes the provider's default_tags; when tags_all is
#   only known after apply, reads tags plus constant default_tags from the
#   configuration, and warns when a tag still cannot be found.
# custom:
#   version: 1.0.0
#   severity: medium
package idp.terraform.required_tags

import rego.v1

import data.idp.terraform.lib

defaults := {
	"tags": ["Environment", "Owner"],
	# tag -> allowed values, e.g. {"Environment": ["dev", "staging", "prod"]}
	"allowed_values": {},
	# resource types to skip
	"exclude_types": [],
}

p := lib.params("required-tags", defaults)

deny contains msg if {
	some rc in taggable
	missing := [tag | some tag in p.tags; not present(rc, tag)]
	count(missing) > 0
	not lib.unknown(rc, ["tags_all"])
	msg := lib.message(p, "missing", "{address}: missing required tag(s) {tags}", {"address": rc.address, "tags": missing})
}

warn contains msg if {
	some rc in taggable
	missing := [tag | some tag in p.tags; not present(rc, tag)]
	count(missing) > 0
	lib.unknown(rc, ["tags_all"])
	msg := lib.message(p, "unverified", "{address}: tag(s) {tags} not found; tags_all is only known after apply, so check they come from default_tags", {"address": rc.address, "tags": missing})
}

deny contains msg if {
	some rc in taggable
	some tag, allowed in p.allowed_values
	value := tags(rc)[tag]
	not value in allowed
	msg := lib.message(p, "value", "{address}: tag {tag}=\"{value}\" is not one of {allowed}", {"address": rc.address, "tag": tag, "value": value, "allowed": allowed})
}

taggable contains rc if {
	some rc in lib.changed
	has_tags_attribute(rc)
	not rc.type in p.exclude_types
	not lib.exempt(p, rc.address)
}

has_tags_attribute(rc) if "tags" in object.keys(rc.change.after)

has_tags_attribute(rc) if "tags_all" in object.keys(rc.change.after)

has_tags_attribute(rc) if lib.unknown(rc, ["tags_all"])

present(rc, tag) if {
	value := tags(rc)[tag]
	is_string(value)
	trim_space(value) != ""
}

# The resource's tags; with tags_all unknown, its own tags over the provider's
# constant default_tags.
tags(rc) := lib.tags(rc) if not lib.unknown(rc, ["tags_all"])

tags(rc) := object.union(default_tags, lib.tags(rc)) if lib.unknown(rc, ["tags_all"])

default_tags := object.union_n([tags |
	some key, provider in input.configuration.provider_config
	provider.name == "aws"
	not contains(key, ".") # an aliased provider ("aws.us_east_1") may tag differently
	some block in lib.as_array(provider.expressions.default_tags)
	tags := block.tags.constant_value
	is_object(tags)
])
