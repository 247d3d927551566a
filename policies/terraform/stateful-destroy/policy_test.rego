package idp.terraform.stateful_destroy_test

import rego.v1

import data.idp.terraform.lib.fixtures as f
import data.idp.terraform.stateful_destroy as policy

db := {"identifier": "orders", "engine": "postgres", "instance_class": "db.t4g.medium"}

test_updates_are_allowed if {
	count(policy.deny) == 0 with input as f.plan([f.update("aws_db_instance.orders", db)])
}

test_deleting_stateless_resources_is_allowed if {
	count(policy.deny) == 0 with input as f.plan([f.change("aws_security_group.web", ["delete"], {"name": "web"})])
}

test_deleting_a_database_is_denied if {
	policy.deny == {"aws_db_instance.orders: the plan destroys this aws_db_instance and the data in it; if that is intended, add the address to the allowed_addresses parameter of stateful-destroy"} with input as f.plan([f.change("aws_db_instance.orders", ["delete"], db)])
}

test_replacing_a_database_is_denied_with_the_forcing_attribute if {
	replace := object.union(f.change("aws_db_instance.orders", ["delete", "create"], db), {"action_reason": "replace_because_cannot_update", "change": {"replace_paths": [["engine"], ["availability_zone"]]}})
	policy.deny == {"aws_db_instance.orders: the plan replaces this aws_db_instance (a change to engine, availability_zone forces it), destroying the data in it; if that is intended, add the address to the allowed_addresses parameter of stateful-destroy"} with input as f.plan([replace])
}

test_create_before_destroy_replacement_is_denied if {
	replace := object.union(f.change("module.data.aws_dynamodb_table.events[\"eu\"]", ["create", "delete"], {"name": "events"}), {"action_reason": "replace_because_tainted"})
	policy.deny == {"module.data.aws_dynamodb_table.events[\"eu\"]: the plan replaces this aws_dynamodb_table (it is tainted), destroying the data in it; if that is intended, add the address to the allowed_addresses parameter of stateful-destroy"} with input as f.plan([replace])
}

test_forgetting_is_not_destroying if {
	count(policy.deny) == 0 with input as f.plan([f.change("aws_s3_bucket.logs", ["forget"], {"bucket": "logs"})])
}

test_allowed_addresses if {
	plan := f.plan([f.change("aws_db_instance.orders", ["delete"], db), f.change("module.sandbox.aws_s3_bucket.tmp", ["delete"], {"bucket": "tmp"})])
	count(policy.deny) == 0 with input as plan
		with data.idp.parameters as f.parameters("stateful-destroy", {"allowed_addresses": ["aws_db_instance.orders", "module.sandbox.*"]})
}

test_stateful_types_are_a_parameter if {
	plan := f.plan([f.change("aws_sqs_queue.jobs", ["delete"], {"name": "jobs"})])
	count(policy.deny) == 0 with input as plan
	count(policy.deny) == 1 with input as plan with data.idp.parameters as f.parameters("stateful-destroy", {"stateful_types": ["aws_sqs_queue"]})
}

test_message_override if {
	policy.deny == {"DATA-1 aws_db_instance.orders (aws_db_instance)"} with input as f.plan([f.change("aws_db_instance.orders", ["delete"], db)])
		with data.idp.parameters as f.parameters("stateful-destroy", {"message": "DATA-1 {address} ({type})"})
}
