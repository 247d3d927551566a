# METADATA
# title: KMS keys rotate their key material
# description: |-
#   Denies a symmetric encryption aws_kms_key (the only kind KMS can rotate) with
#   enable_key_rotation false or unset, or with a rotation period longer than
#   max_rotation_period_days.
# custom:
#   version: 1.0.0
#   severity: high
package idp.terraform.kms_rotation

import rego.v1

import data.idp.terraform.lib

defaults := {"max_rotation_period_days": 365}

p := lib.params("kms-rotation", defaults)

deny contains msg if {
	some key in rotatable_keys
	not lib.unknown(key, ["enable_key_rotation"])
	lib.after(key, ["enable_key_rotation"]) != true
	msg := lib.message(p, "rotation_off", "{address}: enable_key_rotation is not true; turn on automatic rotation", {"address": key.address})
}

deny contains msg if {
	some key in rotatable_keys
	lib.after(key, ["enable_key_rotation"]) == true
	days := lib.after(key, ["rotation_period_in_days"])
	is_number(days)
	days > p.max_rotation_period_days
	msg := lib.message(p, "rotation_period", "{address}: rotation_period_in_days is {days}; rotate at least every {max} days", {"address": key.address, "days": days, "max": p.max_rotation_period_days})
}

# Symmetric encryption keys; unset usage and spec default to those.
rotatable_keys contains key if {
	some key in lib.changed_of({"aws_kms_key"})
	not lib.exempt(p, key.address)
	object.get(key.change.after, "key_usage", null) in {null, "ENCRYPT_DECRYPT"}
	object.get(key.change.after, "customer_master_key_spec", null) in {null, "SYMMETRIC_DEFAULT"}
}
