# METADATA
# title: Stateful resources are not destroyed by accident
# description: |-
#   Denies a plan that deletes or replaces a resource holding data (databases,
#   buckets, tables, file systems, volumes, caches, keys, secrets …) unless its
#   address is in allowed_addresses: a replacement destroys the old resource, and
#   its data with it, whether it happens before or after the new one is created.
# custom:
#   version: 1.0.0
#   severity: critical
package idp.terraform.stateful_destroy

import rego.v1

import data.idp.terraform.lib

defaults := {
	"stateful_types": [
		"aws_db_instance", "aws_rds_cluster", "aws_rds_cluster_instance", "aws_rds_global_cluster",
		"aws_docdb_cluster", "aws_neptune_cluster", "aws_redshift_cluster",
		"aws_dynamodb_table", "aws_s3_bucket", "aws_efs_file_system", "aws_fsx_lustre_file_system",
		"aws_ebs_volume", "aws_elasticache_cluster", "aws_elasticache_replication_group",
		"aws_opensearch_domain", "aws_elasticsearch_domain", "aws_msk_cluster",
		"aws_kms_key", "aws_secretsmanager_secret", "aws_backup_vault", "aws_ecr_repository",
		"aws_cloudwatch_log_group", "aws_kinesis_stream",
	],
	# addresses (exact, or globs where * spans dots) this plan may destroy on purpose
	"allowed_addresses": [],
}

p := lib.params("stateful-destroy", defaults)

deny contains msg if {
	some rc in lib.destroyed
	rc.type in p.stateful_types
	not allowed(rc.address)
	not "create" in rc.change.actions
	msg := lib.message(p, "delete", "{address}: the plan destroys this {type} and the data in it; if that is intended, add the address to the allowed_addresses parameter of stateful-destroy", {"address": rc.address, "type": rc.type})
}

deny contains msg if {
	some rc in lib.destroyed
	rc.type in p.stateful_types
	not allowed(rc.address)
	"create" in rc.change.actions
	msg := lib.message(p, "replace", "{address}: the plan replaces this {type} ({reason}), destroying the data in it; if that is intended, add the address to the allowed_addresses parameter of stateful-destroy", {"address": rc.address, "type": rc.type, "reason": replace_reason(rc)})
}

allowed(address) if {
	some pattern in p.allowed_addresses
	lib.address_matches(pattern, address)
}

allowed(address) if lib.exempt(p, address)

replace_reason(rc) := sprintf("a change to %s forces it", [concat(", ", paths)]) if {
	paths := [concat(".", [sprintf("%v", [step]) | some step in path]) | some path in rc.change.replace_paths]
	count(paths) > 0
} else := reasons[rc.action_reason] if {
	reasons[rc.action_reason]
} else := "forced by the plan"

reasons := {
	"replace_because_tainted": "it is tainted",
	"replace_by_request": "requested with -replace",
	"replace_by_triggers": "its replace_triggered_by changed",
	"replace_because_cannot_update": "a change forces it",
}
