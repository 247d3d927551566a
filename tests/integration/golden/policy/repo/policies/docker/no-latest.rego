package main

import rego.v1

# conftest's classic shape: input is the list of Dockerfile instructions.
deny contains msg if {
	some instruction in input
	instruction.Cmd == "from"
	image := instruction.Value[0]
	endswith(image, ":latest")
	msg := sprintf("FROM %s: pin a version instead of latest", [image])
}

warn_user contains msg if {
	froms := [i | some i in input; i.Cmd == "from"]
	count(froms) > 0
	not any_user
	msg := "the image runs as root: add a USER"
}

any_user if {
	some instruction in input
	instruction.Cmd == "user"
}
