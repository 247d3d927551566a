# METADATA
# title: GitHub workflow policy library
# description: |-
#   Helpers shared by every policy under policies/workflows: parameters with
#   defaults, overridable messages, and a reading of a caller repository's workflow
#   (.github/workflows/*.yml) or composite action (action.yml) as conftest parses
#   the YAML. YAML 1.1 reads the key `on` as the boolean true, and conftest's
#   YAML-to-JSON step then names it "true": both spellings are accepted.
# custom:
#   version: 1.0.0
package idp.workflows.lib

import rego.v1

# ---------------------------------------------------------------------------
# Parameters and messages (the same contract as policies/terraform/lib)
# ---------------------------------------------------------------------------

base_defaults := {
	"exempt": [], # `uses:` references (exact or glob) the policy skips
	"message": null, # replaces the message of every check of the policy
	"messages": {}, # check id -> message, for one check only
}

# params(policy, defaults): `defaults` overlaid with data.idp.parameters.<policy>.
params(policy, defaults) := object.union(object.union(base_defaults, defaults), given) if {
	given := data.idp.parameters[policy]
	is_object(given)
} else := object.union(base_defaults, defaults)

# message(p, check, template, vars): p.messages[check], else p.message, else the
# default template, with every "{name}" replaced by vars[name].
message(p, check, template, vars) := strings.replace_n(
	{sprintf("{%s}", [name]): text(value) | some name, value in vars},
	chosen_template(p, check, template),
)

chosen_template(p, check, template) := p.messages[check] if {
	is_string(p.messages[check])
} else := p.message if {
	is_string(p.message)
} else := template

text(value) := concat(", ", [scalar_text(v) | some v in value]) if is_array(value)

text(value) := scalar_text(value) if not is_array(value)

scalar_text(value) := value if is_string(value)

scalar_text(value) := sprintf("%v", [value]) if not is_string(value)

exempt(p, reference) if {
	some pattern in p.exempt
	reference_matches(pattern, reference)
}

reference_matches(pattern, reference) if pattern == reference

reference_matches(pattern, reference) if glob.match(pattern, null, reference)

# ---------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------

# A workflow: jobs plus triggers under `on` (or "true", or true: the YAML 1.1 quirk).
is_workflow if {
	is_object(input.jobs)
	triggers
}

triggers := input.on

triggers := input["true"] if not input.on

triggers := input[true] if {
	not input.on
	not input["true"]
}

# A composite action (action.yml).
is_composite_action if {
	is_object(input.runs)
	input.runs.using == "composite"
}

# Every `uses:` with where it is: {where, uses, kind ("step" or "job"), job}.
uses contains {"where": sprintf("jobs.%s.steps[%d]", [job_id, i]), "uses": step.uses, "kind": "step", "job": job_id} if {
	is_workflow
	some job_id, job in input.jobs
	some i, step in job.steps
	is_string(step.uses)
}

uses contains {"where": sprintf("jobs.%s", [job_id]), "uses": job.uses, "kind": "job", "job": job_id} if {
	is_workflow
	some job_id, job in input.jobs
	is_string(job.uses)
}

uses contains {"where": sprintf("runs.steps[%d]", [i]), "uses": step.uses, "kind": "step", "job": ""} if {
	is_composite_action
	some i, step in input.runs.steps
	is_string(step.uses)
}

# ---------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------

local(reference) if startswith(reference, "./")

docker(reference) if startswith(reference, "docker://")

# ref("actions/checkout@abc") == "abc": the part after the last "@".
ref(reference) := substring(reference, indexof_last(reference, "@") + 1, -1) if {
	not local(reference)
	not docker(reference)
	contains(reference, "@")
}

# path("owner/repo/sub/dir@ref") == "owner/repo/sub/dir"
path(reference) := substring(reference, 0, indexof_last(reference, "@")) if contains(reference, "@")

path(reference) := reference if not contains(reference, "@")

# repository("Owner/Repo/sub@ref") == "owner/repo" (GitHub names ignore case).
repository(reference) := lower(concat("/", array.slice(split(path(reference), "/"), 0, 2)))

indexof_last(s, sub) := (count(s) - count(sub)) - indexof(strings.reverse(s), strings.reverse(sub))

full_sha(value) if regex.match(`^[0-9a-f]{40}$`, value)

image_digest(reference) if regex.match(`@sha256:[0-9a-f]{64}$`, reference)
