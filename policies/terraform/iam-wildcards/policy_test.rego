package idp.terraform.iam_wildcards_test

import rego.v1

import data.idp.terraform.iam_wildcards as policy
import data.idp.terraform.lib.fixtures as f

document(statements) := json.marshal({"Version": "2012-10-17", "Statement": statements})

managed(statements) := f.create("aws_iam_policy.app", {"name": "app", "path": "/", "policy": document(statements), "tags": {}})

test_scoped_policy_is_allowed if {
	plan := f.plan([managed([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::acme-data/*"}])])
	count(policy.deny) == 0 with input as plan
	count(policy.warn) == 0 with input as plan
}

test_every_action_is_denied if {
	policy.deny == {"aws_iam_policy.app: statement \"Admin\" allows every action (\"*\"); list the actions the workload needs"} with input as f.plan([managed([{"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"}])])
}

test_statement_object_instead_of_list if {
	plan := f.plan([f.create("aws_iam_role_policy.app", {"name": "app", "role": "app", "policy": json.marshal({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*:*", "Resource": "arn:aws:s3:::x"}})})])
	policy.deny == {"aws_iam_role_policy.app: statement allows every action (\"*\"); list the actions the workload needs"} with input as plan
}

test_sensitive_action_on_every_resource_is_denied if {
	policy.deny == {"aws_iam_policy.app: statement allows iam:PassRole, s3:*, secretsmanager:GetSecretValue on every resource (\"*\"); name the ARNs it needs"} with input as f.plan([managed([{"Effect": "Allow", "Action": ["iam:PassRole", "s3:*", "ec2:Describe*", "secretsmanager:GetSecretValue"], "Resource": ["*"]}])])
}

test_read_only_listing_on_every_resource_is_allowed if {
	count(policy.deny) == 0 with input as f.plan([managed([{"Effect": "Allow", "Action": ["ec2:Describe*", "s3:ListAllMyBuckets", "iam:Get*"], "Resource": "*"}])])
}

test_sensitive_action_on_named_resources_is_allowed if {
	count(policy.deny) == 0 with input as f.plan([managed([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/app"}])])
}

test_deny_statements_are_not_grants if {
	count(policy.deny) == 0 with input as f.plan([managed([{"Effect": "Deny", "Action": "*", "Resource": "*"}])])
}

test_not_action_warns if {
	plan := f.plan([managed([{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}])])
	count(policy.deny) == 0 with input as plan
	policy.warn == {"aws_iam_policy.app: statement allows every action except iam:*, organizations:* (NotAction); list the allowed actions instead"} with input as plan
}

test_role_inline_policy if {
	role := f.create("aws_iam_role.app", {"name": "app", "assume_role_policy": document([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]), "inline_policy": [{"name": "admin", "policy": document([{"Effect": "Allow", "Action": "*", "Resource": "*"}])}]})
	policy.deny == {"aws_iam_role.app: statement allows every action (\"*\"); list the actions the workload needs"} with input as f.plan([role])
}

test_document_read_at_plan_time if {
	doc := {"address": "data.aws_iam_policy_document.app", "mode": "data", "type": "aws_iam_policy_document", "name": "app", "provider_name": f.provider, "schema_version": 0, "values": {"json": document([{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}])}, "sensitive_values": {}}
	attached := f.unknown(managed([]), {"policy": true})
	plan := object.union(f.plan_with_config([attached], [f.config("aws_iam_policy.app", {"policy": f.refs(["data.aws_iam_policy_document.app.json", "data.aws_iam_policy_document.app"])})]), {"prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": [doc]}}}})
	policy.deny == {"aws_iam_policy.app: statement allows kms:Decrypt on every resource (\"*\"); name the ARNs it needs"} with input as plan
}

test_document_in_a_child_module_read_during_apply if {
	doc := f.deferred_data("module.app[0].data.aws_iam_policy_document.this", {"statement": [{"sid": "All", "effect": "Allow", "actions": ["*"], "resources": ["*"]}]}, {"json": true})
	attached := f.unknown(f.create("module.app[0].aws_iam_role_policy.this", {"name": "app", "policy": "x"}), {"policy": true})
	plan := json.patch(f.plan_with_config([doc, attached], []), [{"op": "add", "path": "/configuration/root_module/module_calls", "value": {"app": {"source": "./modules/app", "module": {"resources": [
		f.config("aws_iam_role_policy.this", {"policy": f.refs(["data.aws_iam_policy_document.this.json", "data.aws_iam_policy_document.this"])}),
	]}}}}])
	policy.deny == {"module.app[0].aws_iam_role_policy.this: statement \"All\" allows every action (\"*\"); list the actions the workload needs"} with input as plan
}

test_unreferenced_documents_are_not_identity_policies if {
	key_policy := f.deferred_data("data.aws_iam_policy_document.key", {"statement": [{"effect": "Allow", "actions": ["kms:*"], "resources": ["*"]}]}, {"json": true})
	count(policy.deny) == 0 with input as f.plan([key_policy])
}

test_admin_managed_policy_attachment_is_denied if {
	attachment := f.create("aws_iam_role_policy_attachment.admin", {"role": "app", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"})
	policy.deny == {"aws_iam_role_policy_attachment.admin: attaches the AWS managed policy AdministratorAccess; attach a least-privilege policy instead"} with input as f.plan([attachment])
}

test_other_managed_policy_attachment_is_allowed if {
	attachment := f.create("aws_iam_role_policy_attachment.ro", {"role": "app", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
	count(policy.deny) == 0 with input as f.plan([attachment])
}

test_sensitive_actions_are_a_parameter if {
	plan := f.plan([managed([{"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "*"}])])
	count(policy.deny) == 0 with input as plan
	count(policy.deny) == 1 with input as plan with data.idp.parameters as f.parameters("iam-wildcards", {"sensitive_actions": ["dynamodb:*"]})
}

test_message_override if {
	policy.deny == {"IAM-1 aws_iam_policy.app"} with input as f.plan([managed([{"Effect": "Allow", "Action": "*", "Resource": "*"}])])
		with data.idp.parameters as f.parameters("iam-wildcards", {"messages": {"all_actions": "IAM-1 {address}"}})
}

test_exempt_policy if {
	count(policy.deny) == 0 with input as f.plan([managed([{"Effect": "Allow", "Action": "*", "Resource": "*"}])])
		with data.idp.parameters as f.parameters("iam-wildcards", {"exempt": ["aws_iam_policy.app"]})
}
