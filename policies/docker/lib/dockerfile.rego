# METADATA
# title: Dockerfile policy library
# description: |-
#   Helpers shared by every policy under policies/docker: parameters with defaults,
#   overridable messages, exemptions, and a reading of conftest's Dockerfile input
#   (`conftest parse Dockerfile`: one object per instruction, in file order, with
#   Cmd, Flags, Value, Stage) into stages, base images and build variables.
# custom:
#   version: 1.0.0
package idp.docker.lib

import rego.v1

# ---------------------------------------------------------------------------
# Parameters and messages (the same contract as policies/terraform/lib)
# ---------------------------------------------------------------------------

base_defaults := {
	"exempt": [], # image references (globs) the policy skips
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

# exempt(p, image): the policy's `exempt` parameter names the image (exact or glob).
exempt(p, image) if {
	some pattern in p.exempt
	image_matches(pattern, image)
}

image_matches(pattern, image) if pattern == image

image_matches(pattern, image) if glob.match(pattern, null, image)

# ---------------------------------------------------------------------------
# The Dockerfile
# ---------------------------------------------------------------------------

# The input is a Dockerfile as conftest parses it (and not a YAML or JSON document
# that the same conftest run reads).
is_dockerfile if {
	is_array(input)
	count(input) > 0
	every instruction in input {
		is_string(instruction.Cmd)
		is_array(instruction.Value)
	}
}

# instructions: {index, cmd (lower case), stage, flags, value, text}, in file order.
instructions := [i |
	is_dockerfile
	some index, raw in input
	i := {
		"index": index,
		"cmd": lower(raw.Cmd),
		"stage": raw.Stage,
		"flags": flags(raw),
		"value": raw.Value,
		"text": instruction_text(raw),
	}
]

instruction_text(raw) := concat(" ", array.concat(array.concat([upper(raw.Cmd)], flags(raw)), raw.Value))

# Comment lines carry `Flags: null`: treat a missing or null list as empty, or the
# instruction would drop out of `instructions` and shift every index after it.
flags(raw) := raw.Flags if is_array(raw.Flags)

else := []

# The FROM instruction of each stage: {stage, index, image (as written), resolved
# (build variables substituted, when they can be), name (lower case, "" if none)}.
froms contains {"stage": f.stage, "index": f.index, "image": image, "resolved": resolve(image, f.index), "name": stage_name(f)} if {
	some f in instructions
	f.cmd == "from"
	image := f.value[0]
}

stage_name(f) := lower(f.value[2]) if has_alias(f)

stage_name(f) := "" if not has_alias(f)

has_alias(f) if {
	count(f.value) >= 3
	lower(f.value[1]) == "as"
}

# names[stage name] = its stage number
names[f.name] := f.stage if {
	some f in froms
	f.name != ""
}

final_stage := max({f.stage | some f in froms})

# parent[stage] = the earlier stage it builds on (FROM <stage name>).
parent[f.stage] := names[lower(f.resolved)] if {
	some f in froms
	names[lower(f.resolved)] < f.stage
}

# The final stage and every stage it builds on.
final_chain := graph.reachable({f.stage: {s | s := parent[f.stage]} | some f in froms}, {final_stage})

# external(f): the FROM names an image (not scratch, not an earlier stage).
external(f) if {
	lower(f.resolved) != "scratch"
	not parent[f.stage]
}

# Images that COPY --from and RUN --mount=from name, when they are not stages.
copy_sources contains {"index": i.index, "image": image, "resolved": resolve(image, i.index)} if {
	some i in instructions
	i.cmd == "copy"
	some flag in i.flags
	startswith(flag, "--from=")
	image := substring(flag, count("--from="), -1)
	not names[lower(image)]
	not regex.match(`^[0-9]+$`, image)
}

# ---------------------------------------------------------------------------
# Image references
# ---------------------------------------------------------------------------

# digest("alpine@sha256:…") == "sha256:…"; undefined without one.
digest(image) := d if {
	parts := split(image, "@")
	count(parts) == 2
	d := parts[1]
	regex.match(`^sha256:[a-f0-9]{64}$`, d)
}

# tag("registry:5000/team/app:1.2@sha256:…") == "1.2"; undefined without one.
tag(image) := t if {
	name := split(image, "@")[0]
	last := regex.replace(name, `^.*/`, "")
	contains(last, ":")
	t := substring(last, indexof(last, ":") + 1, -1)
}

# The reference without its digest.
without_digest(image) := split(image, "@")[0]

# ---------------------------------------------------------------------------
# Build variables
# ---------------------------------------------------------------------------

# Declarations of ARG (with a default) and ENV: {index, name, value}.
declarations contains {"index": i.index, "name": name, "value": unquote(value)} if {
	some i in instructions
	i.cmd == "arg"
	some item in i.value
	contains(item, "=")
	name := substring(item, 0, indexof(item, "="))
	value := substring(item, indexof(item, "=") + 1, -1)
}

declarations contains {"index": i.index, "name": i.value[n], "value": unquote(i.value[n + 1])} if {
	some i in instructions
	i.cmd == "env"
	some n in numbers.range_step(0, count(i.value) - 2, 3)
}

unquote(value) := substring(value, 1, count(value) - 2) if {
	count(value) >= 2
	some quote in [`"`, "'"]
	startswith(value, quote)
	endswith(value, quote)
}

unquote(value) := value if not quoted(value)

quoted(value) if {
	count(value) >= 2
	some quote in [`"`, "'"]
	startswith(value, quote)
	endswith(value, quote)
}

# variables_before(index): name -> value of the latest declaration before `index`.
# FROM lines only see the ARGs declared before the first FROM.
variables_before(index) := {d.name: d.value |
	some d in declarations
	d.index < visible_limit(index)
	d.index == max({e.index | some e in declarations; e.name == d.name; e.index < visible_limit(index)})
}

visible_limit(index) := first_from if {
	some f in instructions
	f.index == index
	f.cmd == "from"
} else := index

first_from := min({i.index | some i in instructions; i.cmd == "from"})

# resolve(text, index): $NAME, ${NAME} and ${NAME:-default} replaced by the values
# visible at `index`; a reference to an unknown variable stays as written.
resolve(text, index) := strings.replace_n(
	{token: value |
		some match in regex.find_all_string_submatch_n(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`, text, -1)
		token := match[0]
		value := variable_value(match, variables_before(index))
	},
	text,
)

variable_value(match, variables) := variables[variable_name(match)]

variable_value(match, variables) := match[3] if {
	not variables[variable_name(match)]
	match[2] != ""
}

variable_name(match) := match[1] if match[1] != ""

variable_name(match) := match[4] if match[1] == ""

# unresolved(text): a variable is still in it after resolve.
unresolved(text) if contains(text, "$")
