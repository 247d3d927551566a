package workflows.pinned

import rego.v1

deny contains msg if {
	some _, job in input.jobs
	some step in job.steps
	uses := step.uses
	not regex.match(`@[0-9a-f]{40}$`, uses)
	msg := sprintf("`%s` is not pinned to a commit SHA", [uses])
}
