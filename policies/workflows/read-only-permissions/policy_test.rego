package idp.workflows.read_only_permissions_test

import rego.v1

import data.idp.workflows.lib.fixtures as f
import data.idp.workflows.read_only_permissions as policy

jobs := {"build": f.steps_job([{"run": "make"}])}

test_empty_read_all_and_read_scopes_are_allowed if {
	count(policy.deny) == 0 with input as f.workflow({"permissions": {}}, jobs)
	count(policy.deny) == 0 with input as f.workflow({"permissions": "read-all"}, jobs)
	count(policy.deny) == 0 with input as f.workflow({"permissions": {"contents": "read", "actions": "none"}}, jobs)
}

test_job_level_write_grants_are_allowed if {
	wf := f.workflow({"permissions": {}}, {"release": object.union(f.steps_job([]), {"permissions": {"contents": "write", "id-token": "write"}})})
	count(policy.deny) == 0 with input as wf
	count(policy.warn) == 0 with input as wf
}

test_missing_permissions_is_denied if {
	policy.deny == {"the workflow sets no top-level permissions, so every job gets the repository's default token permissions; add `permissions: {}` (or read-all / contents: read) and grant writes per job"} with input as f.workflow({}, jobs)
}

test_write_all_is_denied if {
	policy.deny == {"top-level `permissions: write-all` gives every job write access to everything; use `permissions: {}` and grant writes per job"} with input as f.workflow({"permissions": "write-all"}, jobs)
}

test_write_scopes_are_denied if {
	policy.deny == {"top-level permissions grant write on contents, pull-requests to every job; move those grants to the jobs that need them"} with input as f.workflow({"permissions": {"pull-requests": "write", "contents": "write", "issues": "read"}}, jobs)
}

test_invalid_value_is_denied if {
	count(policy.deny) == 1 with input as f.workflow({"permissions": "read"}, jobs)
}

test_allowed_write_scopes if {
	count(policy.deny) == 0 with input as f.workflow({"permissions": {"id-token": "write"}}, jobs)
		with data.idp.parameters as f.parameters("read-only-permissions", {"allowed_write_scopes": ["id-token"]})
}

test_job_write_all_warns if {
	wf := f.workflow({"permissions": {}}, {"release": object.union(f.steps_job([]), {"permissions": "write-all"})})
	count(policy.deny) == 0 with input as wf
	policy.warn == {"jobs.release: `permissions: write-all`; grant only the scopes the job needs, each with a reason comment"} with input as wf
}

test_composite_actions_have_no_permissions if {
	count(policy.deny) == 0 with input as {"name": "x", "runs": {"using": "composite", "steps": []}}
}

test_message_override if {
	policy.deny == {"GHA-2: add permissions"} with input as f.workflow({}, jobs)
		with data.idp.parameters as f.parameters("read-only-permissions", {"message": "GHA-2: add permissions"})
}
