# METADATA
# title: Workflows start from read-only permissions
# description: |-
#   Denies a workflow without top-level `permissions`, or whose top-level
#   permissions grant write access (write-all, or any scope set to write): the
#   GITHUB_TOKEN of every job would get it. Grant writes per job, each with a reason
#   comment. Warns about jobs that ask for write-all.
# custom:
#   version: 1.0.0
#   severity: high
package idp.workflows.read_only_permissions

import rego.v1

import data.idp.workflows.lib

defaults := {
	# scopes that may be write at the top level (none by default)
	"allowed_write_scopes": [],
}

p := lib.params("read-only-permissions", defaults)

deny contains msg if {
	lib.is_workflow
	not "permissions" in object.keys(input)
	msg := lib.message(p, "missing", "the workflow sets no top-level permissions, so every job gets the repository's default token permissions; add `permissions: {}` (or read-all / contents: read) and grant writes per job", {})
}

deny contains msg if {
	lib.is_workflow
	input.permissions == "write-all"
	msg := lib.message(p, "write_all", "top-level `permissions: write-all` gives every job write access to everything; use `permissions: {}` and grant writes per job", {})
}

deny contains msg if {
	lib.is_workflow
	is_object(input.permissions)
	writes := [scope | some scope, level in input.permissions; level == "write"; not scope in p.allowed_write_scopes]
	count(writes) > 0
	msg := lib.message(p, "write_scopes", "top-level permissions grant write on {scopes} to every job; move those grants to the jobs that need them", {"scopes": sort(writes)})
}

deny contains msg if {
	lib.is_workflow
	is_string(input.permissions)
	not input.permissions in {"read-all", "write-all"}
	msg := lib.message(p, "invalid", "top-level `permissions: {value}` is not a permission set; use `{}`, read-all or a map of scopes", {"value": input.permissions})
}

warn contains msg if {
	lib.is_workflow
	some job_id, job in input.jobs
	job.permissions == "write-all"
	msg := lib.message(p, "job_write_all", "jobs.{job}: `permissions: write-all`; grant only the scopes the job needs, each with a reason comment", {"job": job_id})
}
