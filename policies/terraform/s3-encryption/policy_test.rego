package idp.terraform.s3_encryption_test

import rego.v1

import data.idp.terraform.lib.fixtures as f
import data.idp.terraform.s3_encryption as policy

bucket := f.create("aws_s3_bucket.data", {"bucket": "acme-data", "tags": {}})

sse(algorithm) := f.create("aws_s3_bucket_server_side_encryption_configuration.data", {
	"bucket": "acme-data",
	"expected_bucket_owner": null,
	"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": algorithm, "kms_master_key_id": null}], "bucket_key_enabled": true}],
})

missing := "aws_s3_bucket.data: the bucket has no aws_s3_bucket_server_side_encryption_configuration; add one with sse_algorithm AES256 or aws:kms or aws:kms:dsse"

test_bucket_with_encryption_is_allowed if {
	count(policy.deny) == 0 with input as f.plan([bucket, sse("aws:kms")])
}

test_bucket_without_encryption_is_denied if {
	policy.deny == {missing} with input as f.plan([bucket])
}

test_encryption_linked_by_reference_is_found if {
	configuration := f.unknown(sse("AES256"), {"bucket": true})
	plan := f.plan_with_config([bucket, configuration], [f.config("aws_s3_bucket_server_side_encryption_configuration.data", {"bucket": f.refs(["aws_s3_bucket.data.id", "aws_s3_bucket.data"])})])
	count(policy.deny) == 0 with input as plan
}

test_encryption_being_deleted_does_not_count if {
	gone := f.change("aws_s3_bucket_server_side_encryption_configuration.data", ["delete"], sse("AES256").change.after)
	policy.deny == {missing} with input as f.plan([bucket, gone])
}

test_legacy_inline_block_set_in_code_counts if {
	legacy := f.create("aws_s3_bucket.data", {"bucket": "acme-data", "server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256", "kms_master_key_id": ""}], "bucket_key_enabled": false}]}]})
	plan := f.plan_with_config([legacy], [f.config("aws_s3_bucket.data", {"server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": {"constant_value": "AES256"}}]}]}]})])
	count(policy.deny) == 0 with input as plan
}

# AWS provider v4+ reads S3's default encryption back into the deprecated block.
test_inline_block_only_read_back_does_not_count if {
	read_back := f.update("aws_s3_bucket.data", {"bucket": "acme-data", "server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256", "kms_master_key_id": ""}], "bucket_key_enabled": false}]}]})
	plan := f.plan_with_config([read_back], [f.config("aws_s3_bucket.data", {"bucket": {"constant_value": "acme-data"}})])
	policy.deny == {missing} with input as plan
}

test_algorithm_outside_the_allowed_list_is_denied if {
	policy.deny == {"aws_s3_bucket_server_side_encryption_configuration.data: sse_algorithm \"AES256\" is not allowed; use aws:kms or aws:kms:dsse"} with input as f.plan([bucket, sse("AES256")])
		with data.idp.parameters as f.parameters("s3-encryption", {"allowed_algorithms": ["aws:kms", "aws:kms:dsse"]})
}

test_message_override if {
	policy.deny == {"[SEC-12] aws_s3_bucket.data is not encrypted"} with input as f.plan([bucket])
		with data.idp.parameters as f.parameters("s3-encryption", {"messages": {"missing_encryption": "[SEC-12] {address} is not encrypted"}})
}

test_exempt_bucket_is_skipped if {
	count(policy.deny) == 0 with input as f.plan([bucket])
		with data.idp.parameters as f.parameters("s3-encryption", {"exempt": ["aws_s3_bucket.data"]})
}
