# Builders for the unit tests of the Dockerfile policies: conftest's Dockerfile
# input (see `conftest parse Dockerfile`) from compact lines.
package idp.docker.lib.fixtures

import rego.v1

# dockerfile(lines): each line is [cmd, flags, values], e.g.
# ["from", ["--platform=linux/amd64"], ["alpine:3.20", "AS", "base"]].
# Stage numbers are counted as conftest does: instructions before the first FROM
# are in stage 0.
dockerfile(lines) := [{
	"Cmd": line[0],
	"Flags": line[1],
	"JSON": false,
	"Stage": stage_at(lines, i),
	"SubCmd": "",
	"Value": line[2],
} |
	some i, line in lines
]

stage_at(lines, i) := max([0, count([j | some j, line in lines; j <= i; line[0] == "from"]) - 1])

digest := "sha256:2d0b1e0a3c4f5e6d7c8b9a0f1e2d3c4b5a69788f7e6d5c4b3a29180f7e6d5c4b"

from(image) := ["from", [], [image]]

from_as(image, name) := ["from", [], [image, "AS", name]]

user(value) := ["user", [], [value]]

run(command) := ["run", [], [command]]

copy(flags, values) := ["copy", flags, values]

add(flags, values) := ["add", flags, values]

arg(value) := ["arg", [], [value]]

parameters(policy, values) := {policy: values}
