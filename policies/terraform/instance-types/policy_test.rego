package idp.terraform.instance_types_test

import rego.v1

import data.idp.terraform.instance_types as policy
import data.idp.terraform.lib.fixtures as f

instance(type, environment) := f.create("aws_instance.app", {"ami": "ami-0abcdef1234567890", "instance_type": type, "tags": {"Environment": environment}, "tags_all": {"Environment": environment}})

test_allowed_type_for_the_tagged_environment if {
	plan := f.plan([instance("t4g.small", "dev")])
	count(policy.deny) == 0 with input as plan
	count(policy.warn) == 0 with input as plan
}

test_type_outside_the_environment_allowlist_is_denied if {
	policy.deny == {"aws_instance.app: instance_type m7i.4xlarge is not allowed in dev; use one of t3.*, t3a.*, t4g.*, db.t3.*, db.t4g.*"} with input as f.plan([instance("m7i.4xlarge", "dev")])
}

test_environment_tag_is_case_insensitive if {
	count(policy.deny) == 0 with input as f.plan([instance("m7i.4xlarge", "Prod")])
}

test_environment_parameter_wins_over_tags if {
	count(policy.deny) == 1 with input as f.plan([instance("m7i.4xlarge", "prod")])
		with data.idp.parameters as f.parameters("instance-types", {"environment": "dev"})
}

test_node_group_types_are_each_checked if {
	group := f.create("aws_eks_node_group.workers", {"node_group_name": "workers", "instance_types": ["t4g.large", "c7g.2xlarge"], "tags": null, "tags_all": {"Environment": "staging"}})
	policy.deny == {"aws_eks_node_group.workers: instance_types c7g.2xlarge is not allowed in staging; use one of t3.*, t3a.*, t4g.*, m7g.large, m7i.large, c7g.large, db.t4g.*, db.m7g.large"} with input as f.plan([group])
}

test_database_instance_class if {
	database := f.create("aws_db_instance.orders", {"identifier": "orders", "instance_class": "db.r5.24xlarge", "tags": null, "tags_all": {"Environment": "prod"}})
	policy.deny == {"aws_db_instance.orders: instance_class db.r5.24xlarge is not allowed in prod; use one of t4g.*, m7g.*, m7i.*, c7g.*, c7i.*, r7g.*, r7i.*, db.t4g.*, db.m7g.*, db.r7g.*"} with input as f.plan([database])
}

test_launch_template_without_a_type_is_skipped if {
	template := f.create("aws_launch_template.app", {"name": "app", "instance_type": null, "tags": {"Environment": "dev"}, "tags_all": {"Environment": "dev"}})
	count(policy.deny) == 0 with input as f.plan([template])
}

test_unknown_environment_warns if {
	plan := f.plan([f.create("aws_instance.app", {"instance_type": "x2iedn.32xlarge", "tags": null, "tags_all": {}})])
	count(policy.deny) == 0 with input as plan
	policy.warn == {"aws_instance.app: cannot tell the environment (set the environment parameter or the Environment tag); x2iedn.32xlarge was not checked"} with input as plan
}

test_environment_without_an_allowlist_warns if {
	plan := f.plan([instance("t3.micro", "qa")])
	count(policy.deny) == 0 with input as plan
	policy.warn == {"aws_instance.app: no instance type allowlist for environment \"qa\"; t3.micro was not checked"} with input as plan
}

test_allowlists_merge_per_environment if {
	params := {"allowed": {"qa": ["t3.micro"], "dev": ["t3.nano"]}}
	count(policy.deny) == 0 with input as f.plan([instance("t3.micro", "qa")]) with data.idp.parameters as f.parameters("instance-types", params)
	count(policy.deny) == 1 with input as f.plan([instance("t3.micro", "dev")]) with data.idp.parameters as f.parameters("instance-types", params)
	count(policy.deny) == 0 with input as f.plan([instance("m7g.large", "staging")]) with data.idp.parameters as f.parameters("instance-types", params)
}

test_environment_tag_is_a_parameter if {
	tagged := f.create("aws_instance.app", {"instance_type": "m7i.4xlarge", "tags": null, "tags_all": {"env": "dev"}})
	count(policy.deny) == 1 with input as f.plan([tagged]) with data.idp.parameters as f.parameters("instance-types", {"environment_tag": "env"})
}

test_message_override if {
	policy.deny == {"COST-4 aws_instance.app m7i.4xlarge (dev)"} with input as f.plan([instance("m7i.4xlarge", "dev")])
		with data.idp.parameters as f.parameters("instance-types", {"messages": {"not_allowed": "COST-4 {address} {type} ({environment})"}})
}

test_exempt_instance if {
	count(policy.deny) == 0 with input as f.plan([instance("m7i.4xlarge", "dev")])
		with data.idp.parameters as f.parameters("instance-types", {"exempt": ["aws_instance.app"]})
}
