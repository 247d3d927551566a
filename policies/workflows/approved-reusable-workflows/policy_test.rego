package idp.workflows.approved_reusable_workflows_test

import rego.v1

import data.idp.workflows.approved_reusable_workflows as policy
import data.idp.workflows.lib.fixtures as f

test_platform_and_local_workflows_are_allowed if {
	wf := f.workflow({}, {
		"ci": f.call("idp-actions/idp-actions/.github/workflows/service-ci.yml@v1"),
		"case": f.call("IDP-Actions/IDP-Actions/.github/workflows/promote.yml@v1.4.0"),
		"local": f.call("./.github/workflows/integration.yml"),
		"steps": f.steps_job([f.step("acme/some-action@v1")]),
	})
	count(policy.deny) == 0 with input as wf
	count(policy.warn) == 0 with input as wf
}

test_other_reusable_workflows_are_denied if {
	policy.deny == {"jobs.deploy: calls acme/shared-workflows/.github/workflows/deploy.yml@v2; only reusable workflows under idp-actions/idp-actions/ are approved"} with input as f.workflow({}, {"deploy": f.call("acme/shared-workflows/.github/workflows/deploy.yml@v2")})
}

test_prefix_must_match_the_whole_repository_name if {
	count(policy.deny) == 1 with input as f.workflow({}, {"ci": f.call("idp-actions/idp-actions-fork/.github/workflows/service-ci.yml@v1")})
}

test_path_case_matters if {
	params := {"allowed_prefixes": ["acme/platform/.github/workflows/approved-"]}
	count(policy.deny) == 0 with input as f.workflow({}, {"ci": f.call("acme/platform/.github/workflows/approved-ci.yml@v1")}) with data.idp.parameters as f.parameters("approved-reusable-workflows", params)
	count(policy.deny) == 1 with input as f.workflow({}, {"ci": f.call("acme/platform/.github/workflows/Approved-ci.yml@v1")}) with data.idp.parameters as f.parameters("approved-reusable-workflows", params)
}

test_local_workflows_can_be_refused if {
	count(policy.deny) == 1 with input as f.workflow({}, {"local": f.call("./.github/workflows/integration.yml")})
		with data.idp.parameters as f.parameters("approved-reusable-workflows", {"allow_local": false})
}

test_secrets_inherit_warns if {
	wf := f.workflow({}, {"ci": object.union(f.call("idp-actions/idp-actions/.github/workflows/service-ci.yml@v1"), {"secrets": "inherit"})})
	count(policy.deny) == 0 with input as wf
	policy.warn == {"jobs.ci: `secrets: inherit` passes every secret of the repository; pass the ones idp-actions/idp-actions/.github/workflows/service-ci.yml@v1 needs by name"} with input as wf
}

test_message_override if {
	policy.deny == {"use the paved road, not acme/x/.github/workflows/y.yml@v1"} with input as f.workflow({}, {"deploy": f.call("acme/x/.github/workflows/y.yml@v1")})
		with data.idp.parameters as f.parameters("approved-reusable-workflows", {"messages": {"not_approved": "use the paved road, not {uses}"}})
}

test_exempt_references if {
	count(policy.deny) == 0 with input as f.workflow({}, {"deploy": f.call("acme/x/.github/workflows/y.yml@v1")})
		with data.idp.parameters as f.parameters("approved-reusable-workflows", {"exempt": ["acme/x/*"]})
}
