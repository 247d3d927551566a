# METADATA
# title: RDS databases are private and encrypted
# description: |-
#   Denies an aws_db_instance or aws_rds_cluster_instance with publicly_accessible
#   true, and warns about an aws_db_instance or aws_rds_cluster whose storage is
#   not encrypted (set deny_unencrypted to make that blocking too).
# custom:
#   version: 1.0.0
#   severity: critical
package idp.terraform.rds_security

import rego.v1

import data.idp.terraform.lib

defaults := {"deny_unencrypted": false}

p := lib.params("rds-security", defaults)

deny contains msg if {
	some rc in lib.changed_of({"aws_db_instance", "aws_rds_cluster_instance"})
	not lib.exempt(p, rc.address)
	lib.after(rc, ["publicly_accessible"]) == true
	msg := lib.message(p, "public", "{address}: publicly_accessible is true; keep databases in private subnets and set it to false", {"address": rc.address})
}

deny contains msg if {
	p.deny_unencrypted
	some msg in unencrypted
}

warn contains msg if {
	not p.deny_unencrypted
	some msg in unencrypted
}

unencrypted contains msg if {
	some rc in lib.changed_of({"aws_db_instance", "aws_rds_cluster"})
	not lib.exempt(p, rc.address)
	lib.after(rc, ["storage_encrypted"]) != true
	not lib.unknown(rc, ["storage_encrypted"])
	not encrypted_by_source(rc)
	msg := lib.message(p, "unencrypted", "{address}: storage_encrypted is not true; encrypt the storage (it can only be set when the database is created)", {"address": rc.address})
}

# A cross-region read replica ignores storage_encrypted: its kms_key_id encrypts it.
encrypted_by_source(rc) if {
	rc.type == "aws_db_instance"
	non_empty(lib.after(rc, ["replicate_source_db"]))
	non_empty(lib.after(rc, ["kms_key_id"]))
}

non_empty(value) if {
	is_string(value)
	value != ""
}
