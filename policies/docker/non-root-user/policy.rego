# METADATA
# title: Containers run as a non-root user
# description: |-
#   Denies a Dockerfile whose final stage runs as root: its last USER (in the final
#   stage or, when that stage builds on an earlier one, in the stages it builds on)
#   is root or 0, or there is no USER at all. Base images that already run as a
#   non-root user (nonroot_images, e.g. distroless :nonroot) need no USER. Warns when
#   the user comes from a build variable without a default.
# custom:
#   version: 1.0.0
#   severity: high
package idp.docker.non_root_user

import rego.v1

import data.idp.docker.lib

defaults := {
	# base images (globs, digest ignored) whose default user is not root
	"nonroot_images": ["gcr.io/distroless/*:nonroot", "gcr.io/distroless/*:*-nonroot"],
	"root_users": ["root", "0"],
}

p := lib.params("non-root-user", defaults)

deny contains msg if {
	user := effective_user
	name := user_name(user)
	name in p.root_users
	not exempt_image
	msg := lib.message(p, "root", "{instruction}: the final stage runs as root; switch to a non-root user (USER 10001:10001 or a named user)", {"instruction": user.text, "user": name})
}

deny contains msg if {
	lib.is_dockerfile
	not effective_user
	not nonroot_base
	not exempt_image
	msg := lib.message(p, "missing", "FROM {image}: the final stage sets no USER, so the container runs as root; add USER with a non-root user", {"image": final_from.image})
}

warn contains msg if {
	user := effective_user
	lib.unresolved(user_name(user))
	not exempt_image
	msg := lib.message(p, "unresolved", "{instruction}: the user comes from a build variable without a default, so it cannot be checked", {"instruction": user.text})
}

# The last USER of the final stage and the stages it builds on, variables resolved.
effective_user := object.union(last, {"resolved": lib.resolve(last.value[0], last.index)}) if {
	users := [i | some i in lib.instructions; i.cmd == "user"; i.stage in lib.final_chain]
	count(users) > 0
	last := users[count(users) - 1]
}

# "app:app" -> "app"; "0" -> "0"
user_name(user) := split(user.resolved, ":")[0]

# The FROM of the final stage's root: the external image it starts from.
final_from := f if {
	some f in lib.froms
	f.stage in lib.final_chain
	not lib.parent[f.stage]
}

nonroot_base if {
	some pattern in p.nonroot_images
	glob.match(pattern, null, lib.without_digest(final_from.resolved))
}

exempt_image if lib.exempt(p, final_from.resolved)
