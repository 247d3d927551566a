# METADATA
# title: IAM policies grant named actions on named resources
# description: |-
#   Denies identity policies (aws_iam_policy, aws_iam_role_policy,
#   aws_iam_user_policy, aws_iam_group_policy, aws_iam_role inline_policy) with an
#   Allow statement for every action ("*"), or for a sensitive action (passing
#   roles, writing IAM, reading secrets and objects, decrypting) on every resource
#   ("*"); denies attaching AWS managed admin policies; warns about Allow with
#   NotAction. The policy JSON is read when it is known at plan time, otherwise from
#   the aws_iam_policy_document data source it refers to.
# custom:
#   version: 1.0.0
#   severity: critical
package idp.terraform.iam_wildcards

import rego.v1

import data.idp.terraform.lib

defaults := {
	# IAM action globs (case-insensitive) that must name their resources
	"sensitive_actions": [
		"iam:PassRole", "iam:Create*", "iam:Put*", "iam:Attach*", "iam:Update*", "iam:Delete*", "iam:Add*",
		"sts:AssumeRole", "kms:Decrypt", "kms:CreateGrant", "kms:PutKeyPolicy",
		"secretsmanager:GetSecretValue", "ssm:GetParameter*",
		"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:PutBucketPolicy",
	],
	# AWS managed policies that must not be attached, by name
	"denied_managed_policies": ["AdministratorAccess", "IAMFullAccess"],
}

p := lib.params("iam-wildcards", defaults)

identity_policy_types := {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"}

deny contains msg if {
	some finding in statements
	s := finding.statement
	s.effect == "Allow"
	some action in s.actions
	action in {"*", "*:*"}
	msg := lib.message(p, "all_actions", "{address}: statement {sid}allows every action (\"*\"); list the actions the workload needs", {"address": finding.address, "sid": sid_label(s)})
}

deny contains msg if {
	some finding in statements
	s := finding.statement
	s.effect == "Allow"
	"*" in s.resources
	not every_action(s)
	sensitive := [action | some action in s.actions; sensitive_action(lower(action))]
	count(sensitive) > 0
	msg := lib.message(p, "sensitive_on_all_resources", "{address}: statement {sid}allows {actions} on every resource (\"*\"); name the ARNs it needs", {"address": finding.address, "sid": sid_label(s), "actions": sensitive})
}

warn contains msg if {
	some finding in statements
	s := finding.statement
	s.effect == "Allow"
	count(s.not_actions) > 0
	msg := lib.message(p, "not_action", "{address}: statement {sid}allows every action except {actions} (NotAction); list the allowed actions instead", {"address": finding.address, "sid": sid_label(s), "actions": s.not_actions})
}

deny contains msg if {
	some finding in attachments
	some name in p.denied_managed_policies
	endswith(finding.arn, concat("", [":iam::aws:policy/", name]))
	msg := lib.message(p, "managed_policy", "{address}: attaches the AWS managed policy {policy}; attach a least-privilege policy instead", {"address": finding.address, "policy": name})
}

# Statements of the identity policies in the plan, with the address that holds them.
statements contains {"address": rc.address, "statement": s} if {
	some rc in lib.changed_of(identity_policy_types)
	not lib.exempt(p, rc.address)
	some s in lib.policy_statements(rc, ["policy"])
}

statements contains {"address": rc.address, "statement": s} if {
	some rc in lib.changed_of({"aws_iam_role"})
	not lib.exempt(p, rc.address)
	some i, _ in lib.as_array(lib.after(rc, ["inline_policy"]))
	some s in lib.policy_statements(rc, ["inline_policy", i, "policy"])
}

attachments contains {"address": rc.address, "arn": arn} if {
	some rc in lib.changed_of({"aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment", "aws_iam_policy_attachment"})
	not lib.exempt(p, rc.address)
	arn := lib.after(rc, ["policy_arn"])
	is_string(arn)
}

attachments contains {"address": rc.address, "arn": arn} if {
	some rc in lib.changed_of({"aws_iam_role"})
	not lib.exempt(p, rc.address)
	some arn in lib.as_array(lib.after(rc, ["managed_policy_arns"]))
	is_string(arn)
}

every_action(s) if {
	some action in s.actions
	action in {"*", "*:*"}
}

# A lower-cased action (itself possibly a glob, "s3:*") that overlaps a sensitive
# action glob.
sensitive_action(action) if {
	some pattern in p.sensitive_actions
	glob.match(lower(pattern), null, action)
}

sensitive_action(action) if {
	some pattern in p.sensitive_actions
	glob.match(action, null, lower(pattern))
}

sid_label(s) := sprintf("%q ", [s.sid]) if s.sid != ""

sid_label(s) := "" if s.sid == ""
