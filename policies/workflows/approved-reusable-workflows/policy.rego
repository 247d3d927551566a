# METADATA
# title: Jobs call approved reusable workflows only
# description: |-
#   Denies a job that calls a reusable workflow (`jobs.<id>.uses`) outside the
#   approved prefixes (owner/repo/.github/workflows/…, case-insensitive on owner
#   and repository), so caller repositories build and deploy through the paved
#   road. Local workflows (./.github/workflows/…) are allowed unless allow_local is
#   false. Warns about `secrets: inherit`, which hands every secret to the callee.
# custom:
#   version: 1.0.0
#   severity: medium
package idp.workflows.approved_reusable_workflows

import rego.v1

import data.idp.workflows.lib

defaults := {
	"allowed_prefixes": ["idp-actions/idp-actions/"],
	"allow_local": true,
}

p := lib.params("approved-reusable-workflows", defaults)

deny contains msg if {
	some use in lib.uses
	use.kind == "job"
	not approved(use.uses)
	not lib.exempt(p, use.uses)
	msg := lib.message(p, "not_approved", "{where}: calls {uses}; only reusable workflows under {allowed} are approved", {"where": use.where, "uses": use.uses, "allowed": p.allowed_prefixes})
}

warn contains msg if {
	lib.is_workflow
	some job_id, job in input.jobs
	is_string(job.uses)
	job.secrets == "inherit"
	msg := lib.message(p, "secrets_inherit", "jobs.{job}: `secrets: inherit` passes every secret of the repository; pass the ones {uses} needs by name", {"job": job_id, "uses": job.uses})
}

approved(reference) if {
	p.allow_local
	lib.local(reference)
}

approved(reference) if {
	some prefix in p.allowed_prefixes
	startswith(normalised(reference), normalised(prefix))
}

# "Owner/Repo/.github/workflows/x.yml@v1" -> "owner/repo/.github/workflows/x.yml@v1":
# GitHub ignores case in owner and repository names, not in paths.
normalised(reference) := concat("/", array.concat([lower(part) | some part in array.slice(parts, 0, 2)], array.slice(parts, 2, count(parts)))) if {
	parts := split(reference, "/")
}
