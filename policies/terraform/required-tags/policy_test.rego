package idp.terraform.required_tags_test

import rego.v1

import data.idp.terraform.lib.fixtures as f
import data.idp.terraform.required_tags as policy

queue(tags, tags_all) := f.create("aws_sqs_queue.jobs", {"name": "jobs", "tags": tags, "tags_all": tags_all})

test_tags_from_default_tags_count if {
	count(policy.deny) == 0 with input as f.plan([queue(null, {"Environment": "prod", "Owner": "team-payments"})])
}

test_missing_tags_are_denied if {
	policy.deny == {"aws_sqs_queue.jobs: missing required tag(s) Owner"} with input as f.plan([queue({"Environment": "prod"}, {"Environment": "prod"})])
}

test_empty_values_do_not_count if {
	policy.deny == {"aws_sqs_queue.jobs: missing required tag(s) Environment, Owner"} with input as f.plan([queue({"Environment": " ", "Owner": ""}, {"Environment": " ", "Owner": ""})])
}

test_resources_without_tags_are_not_taggable if {
	attachment := f.create("aws_iam_role_policy_attachment.x", {"role": "app", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
	count(policy.deny) == 0 with input as f.plan([attachment])
}

test_unknown_tags_all_falls_back_to_tags_and_constant_default_tags if {
	rc := f.unknown(queue({"Owner": "team-payments"}, null), {"tags_all": true})
	plan := json.patch(f.plan_with_config([rc], []), [{"op": "add", "path": "/configuration/provider_config/aws/expressions", "value": {"default_tags": [{"tags": {"constant_value": {"Environment": "prod"}}}]}}])
	count(policy.deny) == 0 with input as plan
	count(policy.warn) == 0 with input as plan
}

test_unknown_tags_all_without_the_tag_warns if {
	rc := f.unknown(queue({"Environment": "prod"}, null), {"tags_all": true})
	plan := f.plan_with_config([rc], [])
	count(policy.deny) == 0 with input as plan
	policy.warn == {"aws_sqs_queue.jobs: tag(s) Owner not found; tags_all is only known after apply, so check they come from default_tags"} with input as plan
}

test_allowed_values if {
	plan := f.plan([queue(null, {"Environment": "production", "Owner": "team-payments"})])
	params := {"allowed_values": {"Environment": ["dev", "staging", "prod"]}}
	policy.deny == {"aws_sqs_queue.jobs: tag Environment=\"production\" is not one of dev, staging, prod"} with input as plan with data.idp.parameters as f.parameters("required-tags", params)
}

test_required_tags_are_a_parameter if {
	plan := f.plan([queue(null, {"Environment": "prod", "Owner": "team-payments"})])
	policy.deny == {"aws_sqs_queue.jobs: missing required tag(s) CostCenter"} with input as plan
		with data.idp.parameters as f.parameters("required-tags", {"tags": ["Owner", "CostCenter"]})
}

test_excluded_types if {
	count(policy.deny) == 0 with input as f.plan([queue({}, {})])
		with data.idp.parameters as f.parameters("required-tags", {"exclude_types": ["aws_sqs_queue"]})
}

test_deleted_resources_are_not_checked if {
	count(policy.deny) == 0 with input as f.plan([f.change("aws_sqs_queue.jobs", ["delete"], {"tags": {}, "tags_all": {}})])
}

test_message_override if {
	policy.deny == {"tag it: aws_sqs_queue.jobs lacks Environment, Owner"} with input as f.plan([queue({}, {})])
		with data.idp.parameters as f.parameters("required-tags", {"message": "tag it: {address} lacks {tags}"})
}
