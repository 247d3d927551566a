package idp.terraform.s3_public_access_test

import rego.v1

import data.idp.terraform.lib.fixtures as f
import data.idp.terraform.s3_public_access as policy

bucket := f.create("aws_s3_bucket.assets", {"bucket": "acme-assets", "tags": {}})

closed := {"bucket": "acme-assets", "block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}

pab(after) := f.create("aws_s3_bucket_public_access_block.assets", after)

test_bucket_with_a_closed_block_is_allowed if {
	count(policy.deny) == 0 with input as f.plan([bucket, pab(closed)])
}

test_bucket_without_a_block_is_denied if {
	policy.deny == {"aws_s3_bucket.assets: the bucket has no aws_s3_bucket_public_access_block; add one with all four settings true"} with input as f.plan([bucket])
}

test_block_for_another_bucket_does_not_count if {
	other := pab(object.union(closed, {"bucket": "acme-other"}))
	count(policy.deny) == 1 with input as f.plan([bucket, other])
}

# A new bucket's id is unknown at plan time: the block is tied to it by the code.
test_block_linked_by_reference_when_the_bucket_id_is_unknown if {
	block := f.unknown(pab(closed), {"bucket": true})
	plan := f.plan_with_config([bucket, block], [
		f.config("aws_s3_bucket.assets", {"bucket": {"constant_value": "acme-assets"}}),
		f.config("aws_s3_bucket_public_access_block.assets", {"bucket": f.refs(["aws_s3_bucket.assets.id", "aws_s3_bucket.assets"])}),
	])
	count(policy.deny) == 0 with input as plan
}

test_block_in_the_same_module_instance_is_linked if {
	b := f.create("module.site[0].aws_s3_bucket.this", {"bucket": null})
	block := f.unknown(f.create("module.site[0].aws_s3_bucket_public_access_block.this", closed), {"bucket": true})
	plan := f.plan_with_config([b, block], [])
	module_config := {"module_calls": {"site": {"source": "./modules/site", "module": {"resources": [
		f.config("aws_s3_bucket.this", {}),
		f.config("aws_s3_bucket_public_access_block.this", {"bucket": f.refs(["aws_s3_bucket.this.id", "aws_s3_bucket.this"])}),
	]}}}}
	count(policy.deny) == 0 with input as json.patch(plan, [{"op": "add", "path": "/configuration/root_module/module_calls", "value": module_config.module_calls}])
}

test_block_with_settings_off_is_denied if {
	open := object.union(closed, {"block_public_policy": false, "restrict_public_buckets": false})
	policy.deny == {"aws_s3_bucket_public_access_block.assets: block_public_policy, restrict_public_buckets must be true to keep the bucket private"} with input as f.plan([bucket, pab(open)])
}

test_unset_settings_are_off if {
	policy.deny == {"aws_s3_bucket_public_access_block.assets: block_public_acls, block_public_policy, ignore_public_acls, restrict_public_buckets must be true to keep the bucket private"} with input as f.plan([bucket, pab({"bucket": "acme-assets"})])
}

test_account_wide_block_replaces_bucket_blocks if {
	account := f.create("aws_s3_account_public_access_block.this", object.remove(closed, ["bucket"]))
	count(policy.deny) == 0 with input as f.plan([bucket, account])
}

test_block_can_be_left_to_the_account_by_parameter if {
	count(policy.deny) == 0 with input as f.plan([bucket])
		with data.idp.parameters as f.parameters("s3-public-access", {"require_public_access_block": false})
}

test_public_canned_acl_is_denied if {
	acl := f.create("aws_s3_bucket_acl.assets", {"bucket": "acme-assets", "acl": "public-read"})
	policy.deny == {"aws_s3_bucket_acl.assets: the canned ACL \"public-read\" makes the data public; use \"private\" and grant access in a bucket policy"} with input as f.plan([bucket, pab(closed), acl])
}

test_private_acl_is_allowed if {
	acl := f.create("aws_s3_bucket_acl.assets", {"bucket": "acme-assets", "acl": "private"})
	count(policy.deny) == 0 with input as f.plan([bucket, pab(closed), acl])
}

test_public_object_acl_is_denied if {
	object := f.create("aws_s3_object.index", {"bucket": "acme-assets", "key": "index.html", "acl": "public-read-write"})
	policy.deny == {"aws_s3_object.index: the canned ACL \"public-read-write\" makes the data public; use \"private\" and grant access in a bucket policy"} with input as f.plan([bucket, pab(closed), object])
}

test_grant_to_all_users_is_denied if {
	acl := f.create("aws_s3_bucket_acl.assets", {"bucket": "acme-assets", "acl": null, "access_control_policy": [{
		"grant": [
			{"grantee": [{"type": "CanonicalUser", "id": "abc123", "uri": null}], "permission": "FULL_CONTROL"},
			{"grantee": [{"type": "Group", "id": null, "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}], "permission": "READ"},
		],
		"owner": [{"id": "abc123", "display_name": null}],
	}]})
	policy.deny == {"aws_s3_bucket_acl.assets: grants READ to http://acs.amazonaws.com/groups/global/AllUsers; remove the grant"} with input as f.plan([bucket, pab(closed), acl])
}

bucket_policy(statements) := f.create("aws_s3_bucket_policy.assets", {
	"bucket": "acme-assets",
	"policy": json.marshal({"Version": "2012-10-17", "Statement": statements}),
})

test_policy_for_everyone_is_denied if {
	statement := {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-assets/*"}
	policy.deny == {"aws_s3_bucket_policy.assets: policy statement \"PublicRead\" allows everyone to s3:GetObject; name the principals or add a condition on aws:SourceVpce, aws:PrincipalOrgID or a similar key"} with input as f.plan([bucket, pab(closed), bucket_policy([statement])])
}

test_policy_for_every_aws_principal_is_denied if {
	statement := {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}
	policy.deny == {"aws_s3_bucket_policy.assets: policy statement allows everyone to s3:GetObject, s3:ListBucket; name the principals or add a condition on aws:SourceVpce, aws:PrincipalOrgID or a similar key"} with input as f.plan([bucket, pab(closed), bucket_policy(statement)])
}

test_policy_for_everyone_through_a_vpc_endpoint_is_allowed if {
	statement := {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}}}
	count(policy.deny) == 0 with input as f.plan([bucket, pab(closed), bucket_policy([statement])])
}

test_a_condition_that_does_not_narrow_the_principal_still_denies if {
	statement := {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
	count(policy.deny) == 1 with input as f.plan([bucket, pab(closed), bucket_policy([statement])])
}

test_deny_statements_for_everyone_are_allowed if {
	statement := {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
	count(policy.deny) == 0 with input as f.plan([bucket, pab(closed), bucket_policy([statement])])
}

test_policy_from_a_document_read_during_apply_is_checked if {
	document := f.deferred_data(
		"data.aws_iam_policy_document.assets", {"statement": [{
			"sid": "",
			"effect": "Allow",
			"actions": ["s3:GetObject"],
			"principals": [{"type": "*", "identifiers": ["*"]}],
			"condition": [],
			"not_actions": null,
			"not_principals": [],
			"not_resources": null,
		}]},
		{"json": true, "minified_json": true, "statement": [{"resources": true}]},
	)
	attached := f.unknown(bucket_policy([]), {"policy": true, "bucket": true})
	plan := f.plan_with_config([bucket, pab(closed), document, attached], [f.config("aws_s3_bucket_policy.assets", {
		"bucket": f.refs(["aws_s3_bucket.assets.id", "aws_s3_bucket.assets"]),
		"policy": f.refs(["data.aws_iam_policy_document.assets.json", "data.aws_iam_policy_document.assets"]),
	})])
	policy.deny == {"aws_s3_bucket_policy.assets: policy statement allows everyone to s3:GetObject; name the principals or add a condition on aws:SourceVpce, aws:PrincipalOrgID or a similar key"} with input as plan
}

test_message_can_be_replaced_for_every_check if {
	policy.deny == {"S3-001 aws_s3_bucket.assets"} with input as f.plan([bucket])
		with data.idp.parameters as f.parameters("s3-public-access", {"message": "S3-001 {address}"})
}

test_message_can_be_replaced_for_one_check if {
	acl := f.create("aws_s3_bucket_acl.assets", {"bucket": "acme-assets", "acl": "public-read"})
	policy.deny == {
		"aws_s3_bucket.assets: the bucket has no aws_s3_bucket_public_access_block; add one with all four settings true",
		"see https://wiki.example.com/s3 (aws_s3_bucket_acl.assets, public-read)",
	} with input as f.plan([bucket, acl])
		with data.idp.parameters as f.parameters("s3-public-access", {"messages": {"public_acl": "see https://wiki.example.com/s3 ({address}, {acl})"}})
}

test_exempt_addresses_are_skipped if {
	count(policy.deny) == 0 with input as f.plan([bucket])
		with data.idp.parameters as f.parameters("s3-public-access", {"exempt": ["aws_s3_bucket.*"]})
}

test_deleted_resources_are_not_checked if {
	gone := f.change("aws_s3_bucket.assets", ["delete"], {"bucket": "acme-assets"})
	count(policy.deny) == 0 with input as f.plan([gone])
}
