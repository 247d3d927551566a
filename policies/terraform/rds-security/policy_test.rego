package idp.terraform.rds_security_test

import rego.v1

import data.idp.terraform.lib.fixtures as f
import data.idp.terraform.rds_security as policy

db(overrides) := f.create("aws_db_instance.orders", object.union(
	{
		"identifier": "orders", "engine": "postgres", "engine_version": "16.4", "instance_class": "db.t4g.medium",
		"publicly_accessible": false, "storage_encrypted": true, "kms_key_id": null, "replicate_source_db": null,
	},
	overrides,
))

test_private_encrypted_database_is_allowed if {
	plan := f.plan([db({})])
	count(policy.deny) == 0 with input as plan
	count(policy.warn) == 0 with input as plan
}

test_public_database_is_denied if {
	policy.deny == {"aws_db_instance.orders: publicly_accessible is true; keep databases in private subnets and set it to false"} with input as f.plan([db({"publicly_accessible": true})])
}

test_public_cluster_instance_is_denied if {
	instance := f.create("aws_rds_cluster_instance.orders[0]", {"cluster_identifier": "orders", "instance_class": "db.r7g.large", "publicly_accessible": true})
	policy.deny == {"aws_rds_cluster_instance.orders[0]: publicly_accessible is true; keep databases in private subnets and set it to false"} with input as f.plan([instance])
}

test_unencrypted_storage_warns if {
	plan := f.plan([db({"storage_encrypted": false})])
	count(policy.deny) == 0 with input as plan
	policy.warn == {"aws_db_instance.orders: storage_encrypted is not true; encrypt the storage (it can only be set when the database is created)"} with input as plan
}

test_unencrypted_cluster_warns if {
	cluster := f.create("aws_rds_cluster.orders", {"cluster_identifier": "orders", "engine": "aurora-postgresql", "storage_encrypted": false})
	count(policy.warn) == 1 with input as f.plan([cluster])
}

test_unknown_encryption_is_left_to_apply if {
	cluster := f.unknown(f.create("aws_rds_cluster.orders", {"cluster_identifier": "orders", "storage_encrypted": null}), {"storage_encrypted": true})
	count(policy.warn) == 0 with input as f.plan([cluster])
}

test_cross_region_replica_with_a_kms_key_is_encrypted if {
	replica := db({"storage_encrypted": false, "replicate_source_db": "arn:aws:rds:eu-west-1:123456789012:db:orders", "kms_key_id": "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"})
	count(policy.warn) == 0 with input as f.plan([replica])
}

test_unencrypted_storage_can_be_made_blocking if {
	plan := f.plan([db({"storage_encrypted": false})])
	count(policy.deny) == 1 with input as plan with data.idp.parameters as f.parameters("rds-security", {"deny_unencrypted": true})
	count(policy.warn) == 0 with input as plan with data.idp.parameters as f.parameters("rds-security", {"deny_unencrypted": true})
}

test_message_override if {
	policy.deny == {"DB-7 aws_db_instance.orders"} with input as f.plan([db({"publicly_accessible": true})])
		with data.idp.parameters as f.parameters("rds-security", {"messages": {"public": "DB-7 {address}"}})
}

test_exempt_database if {
	count(policy.deny) == 0 with input as f.plan([db({"publicly_accessible": true})])
		with data.idp.parameters as f.parameters("rds-security", {"exempt": ["aws_db_instance.orders"]})
}
