package idp.terraform.s3_versioning_test

import rego.v1

import data.idp.terraform.lib.fixtures as f
import data.idp.terraform.s3_versioning as policy

bucket := f.create("module.storage.aws_s3_bucket.data", {"bucket": "acme-data", "tags": {}})

versioning(status) := f.create("module.storage.aws_s3_bucket_versioning.data", {
	"bucket": "acme-data",
	"expected_bucket_owner": null,
	"mfa": null,
	"versioning_configuration": [{"status": status, "mfa_delete": "Disabled"}],
})

test_enabled_versioning_is_allowed if {
	count(policy.deny) == 0 with input as f.plan([bucket, versioning("Enabled")])
}

test_bucket_without_versioning_is_denied if {
	policy.deny == {"module.storage.aws_s3_bucket.data: the bucket has no aws_s3_bucket_versioning; add one with status \"Enabled\" so deleted and overwritten objects can be recovered"} with input as f.plan([bucket])
}

test_suspended_versioning_is_denied if {
	policy.deny == {"module.storage.aws_s3_bucket_versioning.data: versioning status is \"Suspended\"; set it to \"Enabled\""} with input as f.plan([bucket, versioning("Suspended")])
}

test_versioning_linked_by_reference_inside_a_module if {
	linked := f.unknown(versioning("Enabled"), {"bucket": true})
	plan := json.patch(f.plan_with_config([bucket, linked], []), [{"op": "add", "path": "/configuration/root_module/module_calls", "value": {"storage": {"source": "./modules/storage", "module": {"resources": [
		f.config("aws_s3_bucket.data", {"bucket": {"constant_value": "acme-data"}}),
		f.config("aws_s3_bucket_versioning.data", {"bucket": f.refs(["aws_s3_bucket.data.id", "aws_s3_bucket.data"])}),
	]}}}}])
	count(policy.deny) == 0 with input as plan
}

test_same_name_in_another_module_is_not_linked if {
	other := f.unknown(f.create("module.other.aws_s3_bucket_versioning.data", versioning("Enabled").change.after), {"bucket": true})
	plan := json.patch(f.plan_with_config([bucket, other], []), [{"op": "add", "path": "/configuration/root_module/module_calls", "value": {
		"storage": {"source": "./modules/storage", "module": {"resources": [f.config("aws_s3_bucket.data", {})]}},
		"other": {"source": "./modules/storage", "module": {"resources": [f.config("aws_s3_bucket_versioning.data", {"bucket": f.refs(["aws_s3_bucket.data.id", "aws_s3_bucket.data"])})]}},
	}}])
	count(policy.deny) == 1 with input as plan
}

test_legacy_inline_versioning_set_in_code_counts if {
	legacy := f.create("aws_s3_bucket.logs", {"bucket": "acme-logs", "versioning": [{"enabled": true, "mfa_delete": false}]})
	plan := f.plan_with_config([legacy], [f.config("aws_s3_bucket.logs", {"versioning": [{"enabled": {"constant_value": true}}]})])
	count(policy.deny) == 0 with input as plan
}

test_message_override_for_every_check if {
	policy.deny == {"versioning required: module.storage.aws_s3_bucket_versioning.data"} with input as f.plan([bucket, versioning("Suspended")])
		with data.idp.parameters as f.parameters("s3-versioning", {"message": "versioning required: {address}"})
}

test_exempt_by_glob if {
	count(policy.deny) == 0 with input as f.plan([bucket])
		with data.idp.parameters as f.parameters("s3-versioning", {"exempt": ["module.storage.*"]})
}
