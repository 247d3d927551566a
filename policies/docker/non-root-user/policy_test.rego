package idp.docker.non_root_user_test

import rego.v1

import data.idp.docker.lib.fixtures as f
import data.idp.docker.non_root_user as policy

base := concat("@", ["python:3.12-slim", f.digest])

test_non_root_user_is_allowed if {
	count(policy.deny) == 0 with input as f.dockerfile([f.from(base), f.run("useradd -u 10001 app"), f.user("10001:10001")])
}

test_missing_user_is_denied if {
	policy.deny == {concat("", ["FROM ", base, ": the final stage sets no USER, so the container runs as root; add USER with a non-root user"])} with input as f.dockerfile([f.from(base), f.run("pip install .")])
}

test_root_user_is_denied if {
	policy.deny == {"USER root: the final stage runs as root; switch to a non-root user (USER 10001:10001 or a named user)"} with input as f.dockerfile([f.from(base), f.user("app"), f.run("true"), f.user("root")])
}

test_uid_zero_with_a_group_is_root if {
	policy.deny == {"USER 0:1000: the final stage runs as root; switch to a non-root user (USER 10001:10001 or a named user)"} with input as f.dockerfile([f.from(base), f.user("0:1000")])
}

test_root_group_with_a_non_root_user_is_allowed if {
	count(policy.deny) == 0 with input as f.dockerfile([f.from(base), f.user("1001:0")])
}

test_user_in_a_builder_stage_does_not_carry_over if {
	count(policy.deny) == 1 with input as f.dockerfile([f.from_as(base, "build"), f.user("app"), f.from(base), f.copy(["--from=build"], ["/app", "/app"])])
}

test_user_is_inherited_from_the_stage_the_final_one_builds_on if {
	count(policy.deny) == 0 with input as f.dockerfile([f.from_as(base, "Runtime"), f.user("10001"), f.from("runtime"), f.run("true")])
}

test_last_user_of_the_chain_wins if {
	count(policy.deny) == 1 with input as f.dockerfile([f.from_as(base, "runtime"), f.user("10001"), f.from("runtime"), f.user("root")])
}

test_user_from_a_build_variable_is_resolved if {
	count(policy.deny) == 1 with input as f.dockerfile([f.from(base), f.arg("RUN_AS=root"), f.user("${RUN_AS}")])
	count(policy.deny) == 0 with input as f.dockerfile([f.from(base), f.arg("RUN_AS=10001"), f.user("$RUN_AS")])
}

test_user_from_a_variable_without_default_warns if {
	dockerfile := f.dockerfile([f.from(base), f.arg("RUN_AS"), f.user("${RUN_AS}")])
	count(policy.deny) == 0 with input as dockerfile
	policy.warn == {"USER ${RUN_AS}: the user comes from a build variable without a default, so it cannot be checked"} with input as dockerfile
}

test_distroless_nonroot_needs_no_user if {
	count(policy.deny) == 0 with input as f.dockerfile([f.from(concat("@", ["gcr.io/distroless/static-debian12:nonroot", f.digest])), f.copy([], ["app", "/app"])])
	count(policy.deny) == 1 with input as f.dockerfile([f.from("gcr.io/distroless/static-debian12:latest"), f.copy([], ["app", "/app"])])
}

test_nonroot_images_are_a_parameter if {
	count(policy.deny) == 0 with input as f.dockerfile([f.from(base)])
		with data.idp.parameters as f.parameters("non-root-user", {"nonroot_images": ["python:*"]})
}

test_other_documents_are_not_dockerfiles if {
	count(policy.deny) == 0 with input as {"jobs": {}}
	count(policy.deny) == 0 with input as [{"kind": "Deployment"}]
}

test_message_override if {
	policy.deny == {"DOCKER-1: USER root (root)"} with input as f.dockerfile([f.from(base), f.user("root")])
		with data.idp.parameters as f.parameters("non-root-user", {"messages": {"root": "DOCKER-1: {instruction} ({user})"}})
}

test_exempt_base_image if {
	count(policy.deny) == 0 with input as f.dockerfile([f.from(base), f.user("root")])
		with data.idp.parameters as f.parameters("non-root-user", {"exempt": ["python:*"]})
}
