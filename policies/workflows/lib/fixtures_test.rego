# Builders for the unit tests of the workflow policies: workflows as conftest
# parses them (the `on` key arrives as "true", see lib/workflow.rego).
package idp.workflows.lib.fixtures

import rego.v1

sha := "8e5e7e5ab8b370d6c329ec480221332ada57f0ab"

# workflow(top, jobs): a workflow with a push trigger, top-level keys and jobs.
workflow(top, jobs) := object.union({"name": "ci", "true": {"push": {"branches": ["main"]}}, "jobs": jobs}, top)

steps_job(steps) := {"runs-on": "ubuntu-latest", "timeout-minutes": 10, "steps": steps}

step(uses) := {"uses": uses}

call(uses) := {"uses": uses}

parameters(policy, values) := {policy: values}
