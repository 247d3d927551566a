package idp.terraform.kms_rotation_test

import rego.v1

import data.idp.terraform.kms_rotation as policy
import data.idp.terraform.lib.fixtures as f

key(overrides) := f.create("aws_kms_key.data", object.union(
	{
		"description": "data at rest", "key_usage": "ENCRYPT_DECRYPT", "customer_master_key_spec": "SYMMETRIC_DEFAULT",
		"enable_key_rotation": true, "rotation_period_in_days": 365, "deletion_window_in_days": 30,
	},
	overrides,
))

test_rotating_key_is_allowed if {
	count(policy.deny) == 0 with input as f.plan([key({})])
}

test_rotation_off_is_denied if {
	policy.deny == {"aws_kms_key.data: enable_key_rotation is not true; turn on automatic rotation"} with input as f.plan([key({"enable_key_rotation": false})])
}

test_rotation_unset_is_denied if {
	count(policy.deny) == 1 with input as f.plan([key({"enable_key_rotation": null})])
}

test_unset_usage_and_spec_are_symmetric if {
	unset := f.unknown(key({"enable_key_rotation": false}), {"key_usage": true, "customer_master_key_spec": true})
	count(policy.deny) == 1 with input as f.plan([unset])
}

test_asymmetric_and_hmac_keys_cannot_rotate if {
	signing := key({"enable_key_rotation": false, "key_usage": "SIGN_VERIFY", "customer_master_key_spec": "ECC_NIST_P256"})
	hmac := f.create("aws_kms_key.mac", object.union(key({}).change.after, {"enable_key_rotation": false, "key_usage": "GENERATE_VERIFY_MAC", "customer_master_key_spec": "HMAC_256"}))
	count(policy.deny) == 0 with input as f.plan([signing, hmac])
}

test_long_rotation_period_is_denied if {
	policy.deny == {"aws_kms_key.data: rotation_period_in_days is 730; rotate at least every 365 days"} with input as f.plan([key({"rotation_period_in_days": 730})])
}

test_rotation_period_is_a_parameter if {
	count(policy.deny) == 0 with input as f.plan([key({"rotation_period_in_days": 730})])
		with data.idp.parameters as f.parameters("kms-rotation", {"max_rotation_period_days": 730})
}

test_message_override if {
	policy.deny == {"KMS-1 aws_kms_key.data"} with input as f.plan([key({"enable_key_rotation": false})])
		with data.idp.parameters as f.parameters("kms-rotation", {"messages": {"rotation_off": "KMS-1 {address}"}})
}

test_exempt_key if {
	count(policy.deny) == 0 with input as f.plan([key({"enable_key_rotation": false})])
		with data.idp.parameters as f.parameters("kms-rotation", {"exempt": ["aws_kms_key.data"]})
}
