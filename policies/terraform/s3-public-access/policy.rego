# METADATA
# title: S3 buckets are not public
# description: |-
#   Denies plans that expose S3 data to the internet: a bucket without an
#   aws_s3_bucket_public_access_block (unless the account-wide block is on), a
#   public access block with one of its four settings off, a public canned ACL or a
#   grant to the AllUsers / AuthenticatedUsers groups (aws_s3_bucket_acl,
#   aws_s3_object and the legacy aws_s3_bucket.acl), and a bucket policy statement
#   that allows everyone without a condition that narrows it to an account,
#   organisation, network or source.
# custom:
#   version: 1.0.0
#   severity: critical
package idp.terraform.s3_public_access

import rego.v1

import data.idp.terraform.lib

defaults := {
	# false when an S3 Block Public Access setting is enforced account-wide elsewhere
	"require_public_access_block": true,
	"public_acls": ["public-read", "public-read-write", "authenticated-read"],
	"public_groups": [
		"http://acs.amazonaws.com/groups/global/AllUsers",
		"http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
	],
	# a statement for everyone that tests one of these keys (case-insensitive) is not public
	"restricting_condition_keys": [
		"aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
		"aws:SourceAccount", "aws:SourceArn", "aws:SourceIp", "aws:SourceOwner",
		"aws:SourceVpc", "aws:SourceVpce", "aws:userid", "aws:username",
	],
}

p := lib.params("s3-public-access", defaults)

block_settings := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

# --- a bucket without a public access block -------------------------------------

deny contains msg if {
	p.require_public_access_block
	not account_blocks_public_access
	some bucket in lib.changed_of({"aws_s3_bucket"})
	not lib.exempt(p, bucket.address)
	not has_public_access_block(bucket)
	msg := lib.message(p, "missing_public_access_block", "{address}: the bucket has no aws_s3_bucket_public_access_block; add one with all four settings true", {"address": bucket.address})
}

has_public_access_block(bucket) if {
	some block in lib.remaining
	block.type == "aws_s3_bucket_public_access_block"
	lib.linked(block, "bucket", bucket)
}

account_blocks_public_access if {
	some block in lib.remaining
	block.type == "aws_s3_account_public_access_block"
	every setting in block_settings {
		lib.after(block, [setting]) == true
	}
}

# --- a public access block with a setting off ------------------------------------

deny contains msg if {
	some block in lib.changed_of({"aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block"})
	not lib.exempt(p, block.address)
	off := [setting | some setting in block_settings; setting_off(block, setting)]
	count(off) > 0
	msg := lib.message(p, "public_access_block_off", "{address}: {settings} must be true to keep the bucket private", {"address": block.address, "settings": off})
}

# Unset settings default to false; unknown ones are left to apply time.
setting_off(block, setting) if {
	not lib.unknown(block, [setting])
	object.get(block.change.after, setting, null) != true
}

# --- public ACLs ------------------------------------------------------------------

deny contains msg if {
	some rc in lib.changed_of({"aws_s3_bucket_acl", "aws_s3_bucket", "aws_s3_object"})
	not lib.exempt(p, rc.address)
	acl := lib.after(rc, ["acl"])
	acl in p.public_acls
	msg := lib.message(p, "public_acl", "{address}: the canned ACL \"{acl}\" makes the data public; use \"private\" and grant access in a bucket policy", {"address": rc.address, "acl": acl})
}

deny contains msg if {
	some rc in lib.changed_of({"aws_s3_bucket_acl"})
	not lib.exempt(p, rc.address)
	some policy in lib.as_array(lib.after(rc, ["access_control_policy"]))
	some grant in lib.as_array(policy.grant)
	some grantee in lib.as_array(grant.grantee)
	grantee.uri in p.public_groups
	msg := lib.message(p, "public_grant", "{address}: grants {permission} to {grantee}; remove the grant", {"address": rc.address, "permission": grant.permission, "grantee": grantee.uri})
}

# --- bucket policies that allow everyone -----------------------------------------

deny contains msg if {
	some rc in lib.changed_of({"aws_s3_bucket_policy", "aws_s3_bucket"})
	not lib.exempt(p, rc.address)
	some statement in lib.policy_statements(rc, ["policy"])
	public_statement(statement)
	msg := lib.message(p, "public_policy", "{address}: policy statement {sid}allows everyone to {actions}; name the principals or add a condition on aws:SourceVpce, aws:PrincipalOrgID or a similar key", {"address": rc.address, "sid": sid_label(statement), "actions": actions_label(statement)})
}

public_statement(statement) if {
	statement.effect == "Allow"
	everyone(statement)
	not restricted(statement)
}

everyone(statement) if "*" in statement.principals

everyone(statement) if count(statement.not_principals) > 0

restricted(statement) if {
	some key in statement.condition_keys
	key in {lower(k) | some k in p.restricting_condition_keys}
}

sid_label(statement) := sprintf("%q ", [statement.sid]) if statement.sid != ""

sid_label(statement) := "" if statement.sid == ""

actions_label(statement) := concat(", ", statement.actions) if count(statement.actions) > 0

actions_label(statement) := sprintf("all but %s", [concat(", ", statement.not_actions)]) if count(statement.actions) == 0
