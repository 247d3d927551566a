package idp.terraform.lib_test

import rego.v1

import data.idp.terraform.lib
import data.idp.terraform.lib.fixtures as f

test_params_default_without_data if {
	lib.params("nothing_configured", {"a": 1}) == {"a": 1, "exempt": [], "message": null, "messages": {}}
}

test_params_merge_objects_and_replace_lists if {
	given := {"x": {"allowed": {"prod": ["m7g.*"]}, "list": [3]}}
	merged := lib.params("x", {"allowed": {"dev": ["t3.*"], "prod": ["t4g.*"]}, "list": [1, 2]}) with data.idp.parameters as given
	merged.allowed == {"dev": ["t3.*"], "prod": ["m7g.*"]}
	merged.list == [3]
}

test_message_placeholders if {
	lib.message(lib.base_defaults, "c", "{address} has {n} of {items}", {"address": "a.b", "n": 2, "items": ["x", 1]}) == "a.b has 2 of x, 1"
}

test_message_precedence if {
	p := object.union(lib.base_defaults, {"message": "all {address}", "messages": {"one": "one {address}"}})
	lib.message(p, "one", "default {address}", {"address": "r"}) == "one r"
	lib.message(p, "two", "default {address}", {"address": "r"}) == "all r"
	lib.message(lib.base_defaults, "two", "default {address}", {"address": "r"}) == "default r"
}

test_strip_keys if {
	lib.strip_keys(`module.a[0].module.b["k"].aws_s3_bucket.c[1]`) == "module.a.module.b.aws_s3_bucket.c"
}

test_address_matches if {
	lib.address_matches("module.sandbox.*", `module.sandbox.aws_s3_bucket.tmp["x"]`)
	lib.address_matches(`aws_s3_bucket.tmp["x"]`, `aws_s3_bucket.tmp["x"]`)
	not lib.address_matches("aws_s3_bucket.tmp", "aws_s3_bucket.tmp2")
}

nested := {"root_module": {
	"resources": [f.config("aws_s3_bucket.a", {})],
	"module_calls": {"outer": {"source": "./outer", "module": {
		"resources": [f.config("aws_s3_bucket.b", {"bucket": f.refs(["var.name"])})],
		"module_calls": {"inner": {"source": "./inner", "module": {"resources": [
			f.config("aws_s3_bucket_versioning.c", {"bucket": f.refs(["aws_s3_bucket.c.id", "aws_s3_bucket.c"])}),
			# a nested block attribute called "resources" is not a module's resource list
			f.config("aws_iam_policy.d", {"statement": [{"resources": {"constant_value": ["*"]}}]}),
		]}}},
	}}},
}}

test_config_resources_in_nested_modules if {
	object.keys(lib.config_resources) == {"aws_s3_bucket.a", "module.outer.aws_s3_bucket.b", "module.outer.module.inner.aws_s3_bucket_versioning.c", "module.outer.module.inner.aws_iam_policy.d"} with input as {"configuration": nested}
}

test_references_are_module_qualified if {
	rc := f.create(`module.outer["x"].module.inner[0].aws_s3_bucket_versioning.c`, {})
	lib.references(rc, ["bucket"]) == {"module.outer.module.inner.aws_s3_bucket.c.id", "module.outer.module.inner.aws_s3_bucket.c"} with input as {"configuration": nested}
}

test_refers_to if {
	lib.refers_to("aws_s3_bucket.c.id", "aws_s3_bucket.c")
	lib.refers_to("aws_s3_bucket.c[0].id", "aws_s3_bucket.c")
	lib.refers_to("aws_s3_bucket.c", "aws_s3_bucket.c")
	not lib.refers_to("aws_s3_bucket.cc.id", "aws_s3_bucket.c")
}

test_changed_remaining_destroyed if {
	plan := f.plan([
		f.create("a.create", {}), f.update("a.update", {}), f.change("a.delete", ["delete"], {}),
		f.change("a.replace", ["delete", "create"], {}), f.change("a.noop", ["no-op"], {}), f.change("a.forget", ["forget"], {}),
	])
	{rc.address | some rc in lib.changed} == {"a.create", "a.update", "a.replace"} with input as plan
	{rc.address | some rc in lib.remaining} == {"a.create", "a.update", "a.noop"} with input as plan
	{rc.address | some rc in lib.destroyed} == {"a.delete", "a.replace"} with input as plan
}

test_unknown_values_are_not_after_values if {
	rc := f.unknown(f.create("aws_s3_bucket.a", {"bucket": "x", "arn": "y"}), {"arn": true})
	lib.after(rc, ["bucket"]) == "x"
	not lib.after(rc, ["arn"])
	lib.unknown(rc, ["arn"])
}

test_tags_prefer_tags_all if {
	lib.tags(f.create("aws_sqs_queue.q", {"tags": {"a": "1"}, "tags_all": {"a": "1", "b": "2"}})) == {"a": "1", "b": "2"}
	lib.tags(f.unknown(f.create("aws_sqs_queue.q", {"tags": {"a": "1"}}), {"tags_all": true})) == {"a": "1"}
	lib.tags(f.create("aws_sqs_queue.q", {"tags": null})) == {}
}

test_normalised_statements if {
	rc := f.create("aws_iam_policy.p", {"policy": json.marshal({"Statement": [{"Sid": "S", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root", "*"]}, "Action": "S3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "v"}}}]})})
	lib.policy_statements(rc, ["policy"]) == [{
		"sid": "S", "effect": "Allow", "actions": ["S3:GetObject"], "not_actions": [], "resources": ["*"], "not_resources": [],
		"principals": ["arn:aws:iam::1:root", "*"], "not_principals": [], "condition_keys": ["aws:sourcevpce"],
	}]
}

test_invalid_policy_json_yields_no_statements if {
	lib.policy_statements(f.create("aws_iam_policy.p", {"policy": "{not json"}), ["policy"]) == []
}
