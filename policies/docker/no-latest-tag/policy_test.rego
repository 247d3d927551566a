package idp.docker.no_latest_tag_test

import rego.v1

import data.idp.docker.lib.fixtures as f
import data.idp.docker.no_latest_tag as policy

test_versioned_tags_are_allowed if {
	count(policy.deny) == 0 with input as f.dockerfile([f.from_as("golang:1.24", "build"), f.from("registry.example.com:5000/team/app:2.3.1")])
}

test_latest_is_denied if {
	policy.deny == {"FROM node:latest: node:latest follows `latest`, so builds change under you; name a version tag (and pin its digest)"} with input as f.dockerfile([f.from("node:latest")])
}

test_no_tag_means_latest if {
	policy.deny == {"FROM ubuntu: ubuntu follows `latest`, so builds change under you; name a version tag (and pin its digest)"} with input as f.dockerfile([f.from("ubuntu")])
}

test_registry_port_is_not_a_tag if {
	count(policy.deny) == 1 with input as f.dockerfile([f.from("localhost:5000/app")])
}

test_digest_without_a_tag_is_pinned if {
	count(policy.deny) == 0 with input as f.dockerfile([f.from(concat("@", ["ubuntu", f.digest]))])
}

test_latest_with_a_digest_warns if {
	dockerfile := f.dockerfile([f.from(concat("@", ["ubuntu:latest", f.digest]))])
	count(policy.deny) == 0 with input as dockerfile
	count(policy.warn) == 1 with input as dockerfile
}

test_scratch_and_stages_are_not_images if {
	count(policy.deny) == 0 with input as f.dockerfile([f.from_as("golang:1.24", "build"), f.from("build"), f.from("scratch")])
}

test_copy_from_latest_image if {
	count(policy.deny) == 1 with input as f.dockerfile([f.from("alpine:3.20"), f.copy(["--from=busybox"], ["/bin/busybox", "/bin/"])])
}

test_variable_default_is_resolved if {
	count(policy.deny) == 1 with input as f.dockerfile([f.arg("NODE=node"), f.from("${NODE}")])
	count(policy.deny) == 0 with input as f.dockerfile([f.arg("NODE=node:22"), f.from("${NODE}")])
}

test_message_override if {
	policy.deny == {"no latest: ubuntu"} with input as f.dockerfile([f.from("ubuntu")])
		with data.idp.parameters as f.parameters("no-latest-tag", {"messages": {"latest": "no latest: {image}"}})
}

test_exempt_images if {
	count(policy.deny) == 0 with input as f.dockerfile([f.from("ubuntu")])
		with data.idp.parameters as f.parameters("no-latest-tag", {"exempt": ["ubuntu"]})
}
