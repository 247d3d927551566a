package idp.workflows.actions_pinned_sha_test

import rego.v1

import data.idp.workflows.actions_pinned_sha as policy
import data.idp.workflows.lib.fixtures as f

pinned(action) := concat("@", [action, f.sha])

test_sha_pinned_local_and_trusted_actions_are_allowed if {
	wf := f.workflow({}, {
		"build": f.steps_job([f.step(pinned("actions/checkout")), f.step("./.github/actions/setup"), f.step("idp-actions/idp-actions/actions/security-scan@v1")]),
		"ci": f.call("IDP-Actions/idp-actions/.github/workflows/service-ci.yml@v1"),
	})
	count(policy.deny) == 0 with input as wf
}

test_tag_is_denied if {
	policy.deny == {"jobs.build.steps[0]: actions/checkout@v4 is not pinned; use the full 40-character commit SHA of the release, with the version in a comment (@<sha> # vX.Y.Z)"} with input as f.workflow({}, {"build": f.steps_job([f.step("actions/checkout@v4")])})
}

test_branch_and_short_sha_are_denied if {
	count(policy.deny) == 2 with input as f.workflow({}, {"build": f.steps_job([f.step("acme/deploy-action@main"), f.step("acme/deploy-action@8e5e7e5")])})
}

test_uppercase_sha_is_not_a_commit_sha if {
	count(policy.deny) == 1 with input as f.workflow({}, {"build": f.steps_job([f.step(concat("@", ["acme/a", upper(f.sha)]))])})
}

test_missing_ref_is_denied if {
	count(policy.deny) == 1 with input as f.workflow({}, {"build": f.steps_job([f.step("acme/deploy-action")])})
}

test_third_party_reusable_workflow_by_tag_is_denied if {
	policy.deny == {"jobs.release: acme/workflows/.github/workflows/release.yml@v3 is not pinned; use the full 40-character commit SHA of the release, with the version in a comment (@<sha> # vX.Y.Z)"} with input as f.workflow({}, {"release": f.call("acme/workflows/.github/workflows/release.yml@v3")})
}

test_docker_actions_need_a_digest if {
	digest := "sha256:2d0b1e0a3c4f5e6d7c8b9a0f1e2d3c4b5a69788f7e6d5c4b3a29180f7e6d5c4b"
	count(policy.deny) == 0 with input as f.workflow({}, {"lint": f.steps_job([f.step(concat("@", ["docker://ghcr.io/acme/linter:1.2", digest]))])})
	policy.deny == {"jobs.lint.steps[0]: docker://ghcr.io/acme/linter:1.2 is not pinned; add the image digest (docker://image:tag@sha256:…)"} with input as f.workflow({}, {"lint": f.steps_job([f.step("docker://ghcr.io/acme/linter:1.2")])})
}

test_composite_actions_are_checked if {
	action := {"name": "setup", "description": "x", "runs": {"using": "composite", "steps": [f.step("actions/setup-python@v5")]}}
	policy.deny == {"runs.steps[0]: actions/setup-python@v5 is not pinned; use the full 40-character commit SHA of the release, with the version in a comment (@<sha> # vX.Y.Z)"} with input as action
}

test_trusted_repositories_are_a_parameter if {
	wf := f.workflow({}, {"build": f.steps_job([f.step("acme/deploy-action@v2")])})
	count(policy.deny) == 0 with input as wf with data.idp.parameters as f.parameters("actions-pinned-sha", {"trusted_repositories": ["ACME/deploy-action"]})
}

test_other_documents_are_not_workflows if {
	count(policy.deny) == 0 with input as {"steps": [f.step("actions/checkout@v4")]}
}

test_message_override if {
	policy.deny == {"GHA-1 jobs.build.steps[0] actions/checkout@v4"} with input as f.workflow({}, {"build": f.steps_job([f.step("actions/checkout@v4")])})
		with data.idp.parameters as f.parameters("actions-pinned-sha", {"messages": {"unpinned": "GHA-1 {where} {uses}"}})
}

test_exempt_references if {
	count(policy.deny) == 0 with input as f.workflow({}, {"build": f.steps_job([f.step("actions/checkout@v4")])})
		with data.idp.parameters as f.parameters("actions-pinned-sha", {"exempt": ["actions/*"]})
}
