package idp.workflows.lib_test

import rego.v1

import data.idp.workflows.lib
import data.idp.workflows.lib.fixtures as f

test_on_key_spellings if {
	lib.is_workflow with input as {"on": "push", "jobs": {}}
	lib.is_workflow with input as {"true": {"push": null}, "jobs": {}}
	lib.is_workflow with input as {true: ["push"], "jobs": {}}
	not lib.is_workflow with input as {"jobs": {}}
	not lib.is_workflow with input as {"on": "push"}
	not lib.is_workflow with input as [{"Cmd": "from"}]
}

test_references if {
	lib.ref("actions/checkout@v4") == "v4"
	lib.ref("org/repo/path/to/action@refs/heads/main") == "refs/heads/main"
	lib.repository("Org/Repo/path/to/action@v1") == "org/repo"
	lib.path("org/repo/.github/workflows/a.yml@v1") == "org/repo/.github/workflows/a.yml"
	not lib.ref("./local")
	not lib.ref("docker://alpine:3.20")
	lib.full_sha(f.sha)
	not lib.full_sha("8e5e7e5")
}

test_uses_in_workflows_and_composite_actions if {
	wf := f.workflow({}, {"build": f.steps_job([{"run": "make"}, f.step("a/b@v1")]), "deploy": f.call("o/r/.github/workflows/d.yml@v2")})
	{u.where | some u in lib.uses} == {"jobs.build.steps[1]", "jobs.deploy"} with input as wf
	action := {"name": "x", "runs": {"using": "composite", "steps": [f.step("a/b@v1")]}}
	{u.where | some u in lib.uses} == {"runs.steps[0]"} with input as action
}
