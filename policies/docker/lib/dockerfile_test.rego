package idp.docker.lib_test

import rego.v1

import data.idp.docker.lib
import data.idp.docker.lib.fixtures as f

test_tag_and_digest if {
	lib.tag("registry.example.com:5000/team/app:1.2") == "1.2"
	not lib.tag("registry.example.com:5000/team/app")
	lib.tag(concat("@", ["app:1.2", f.digest])) == "1.2"
	lib.digest(concat("@", ["app", f.digest])) == f.digest
	not lib.digest("app@sha256:abc")
}

test_variables_are_resolved_in_order if {
	dockerfile := f.dockerfile([f.arg("A=1"), f.from("x"), ["env", [], ["A", "2", "=", "B", "\"b c\"", "="]], f.run("$A ${B} ${C:-3} ${D} $E")])
	lib.resolve("$A ${B} ${C:-3} ${D} $E", 3) == "2 b c 3 ${D} $E" with input as dockerfile
	lib.resolve("$A", 1) == "1" with input as dockerfile
}

test_from_sees_only_global_arguments if {
	dockerfile := f.dockerfile([f.arg("V=1"), f.from("a:$V"), f.arg("V=2"), f.from("b:$V")])
	{x.resolved | some x in lib.froms} == {"a:1", "b:1"} with input as dockerfile
}

test_stage_chain if {
	dockerfile := f.dockerfile([f.from_as("a", "Base"), f.from_as("b", "other"), f.from_as("base", "mid"), f.from("mid")])
	lib.final_chain == {0, 2, 3} with input as dockerfile
}

test_is_dockerfile if {
	lib.is_dockerfile with input as f.dockerfile([f.from("a")])
	not lib.is_dockerfile with input as {"jobs": {}}
	not lib.is_dockerfile with input as []
}

# conftest parses comment lines as {"Cmd": "comment", "Flags": null}: they stay in
# `instructions` (so indexes keep matching the input) and never break a rule.
test_comment_lines_with_null_flags_keep_every_instruction if {
	doc := [
		{"Cmd": "comment", "Flags": null, "JSON": false, "Stage": 0, "SubCmd": "", "Value": ["syntax=docker/dockerfile:1"]},
		{"Cmd": "from", "Flags": [], "JSON": false, "Stage": 0, "SubCmd": "", "Value": ["python:3.12"]},
		{"Cmd": "comment", "Flags": null, "JSON": false, "Stage": 0, "SubCmd": "", "Value": ["a comment"]},
		{"Cmd": "run", "Flags": [], "JSON": false, "Stage": 0, "SubCmd": "", "Value": ["echo hi"]},
	]
	texts := [i.text | some i in lib.instructions] with input as doc
	texts == ["COMMENT syntax=docker/dockerfile:1", "FROM python:3.12", "COMMENT a comment", "RUN echo hi"]
}
