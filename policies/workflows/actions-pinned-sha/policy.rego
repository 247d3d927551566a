# METADATA
# title: Third-party actions are pinned to a commit SHA
# description: |-
#   Denies a step `uses:` or a job-level reusable workflow `uses:` whose ref is not
#   a full 40-character commit SHA: tags and branches can be moved to other code.
#   Local actions (./…) are the caller's own code; docker:// images must carry a
#   sha256 digest. Repositories in trusted_repositories (the platform's own suite,
#   released with immutable tags) may use tags. Also reads composite actions
#   (action.yml `runs.steps`).
# custom:
#   version: 1.0.0
#   severity: high
package idp.workflows.actions_pinned_sha

import rego.v1

import data.idp.workflows.lib

defaults := {
	# owner/repo (case-insensitive) that may be used by tag
	"trusted_repositories": ["idp-actions/idp-actions"],
}

p := lib.params("actions-pinned-sha", defaults)

deny contains msg if {
	some use in lib.uses
	not lib.local(use.uses)
	not lib.docker(use.uses)
	not trusted(use.uses)
	not lib.exempt(p, use.uses)
	not pinned(use.uses)
	msg := lib.message(p, "unpinned", "{where}: {uses} is not pinned; use the full 40-character commit SHA of the release, with the version in a comment (@<sha> # vX.Y.Z)", {"where": use.where, "uses": use.uses})
}

deny contains msg if {
	some use in lib.uses
	lib.docker(use.uses)
	not lib.image_digest(use.uses)
	not lib.exempt(p, use.uses)
	msg := lib.message(p, "docker_unpinned", "{where}: {uses} is not pinned; add the image digest (docker://image:tag@sha256:…)", {"where": use.where, "uses": use.uses})
}

pinned(reference) if lib.full_sha(lib.ref(reference))

trusted(reference) if lib.repository(reference) in {lower(r) | some r in p.trusted_repositories}
