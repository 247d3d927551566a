# Container image references, parsed the way the container runtime resolves them:
# `nginx` is docker.io/library/nginx, `registry:5000/app` has no tag, `app:1@sha256:…` has both.
package lib.idp.image

# {"registry", "repository", "name" (registry/repository, lower case), "tag", "digest"}; tag and
# digest are "" when absent.
parse(ref) := {
	"registry": registry,
	"repository": repository,
	"name": lower(concat("/", [registry, repository])),
	"tag": tag,
	"digest": digest,
} if {
	[name_tag, digest] := _split_digest(ref)
	[name, tag] := _split_tag(name_tag)
	[registry, repository] := _split_registry(name)
}

_split_digest(ref) := [substring(ref, 0, i), substring(ref, i + 1, -1)] if {
	i := indexof(ref, "@")
	i >= 0
} else := [ref, ""]

# A ":" after the last "/" starts the tag; one before it belongs to a registry port.
_split_tag(name_tag) := [substring(name_tag, 0, colon), substring(name_tag, colon + 1, -1)] if {
	colon := _last_index(name_tag, ":")
	colon > _last_index(name_tag, "/")
} else := [name_tag, ""]

_last_index(s, sep) := max(indexof_n(s, sep)) if {
	count(indexof_n(s, sep)) > 0
} else := -1

# The first path component is a registry when it looks like a host (has a "." or a port)
# or is localhost; otherwise the image lives on Docker Hub.
_split_registry(name) := [first, substring(name, count(first) + 1, -1)] if {
	first := split(name, "/")[0]
	contains(name, "/")
	_is_host(first)
} else := ["docker.io", concat("/", ["library", name])] if {
	not contains(name, "/")
} else := ["docker.io", name]

_is_host(s) if contains(s, ".")

_is_host(s) if contains(s, ":")

_is_host("localhost")

# A well-formed content digest (sha256 or sha512, lower-case hex).
valid_digest(digest) if regex.match(`^sha256:[a-f0-9]{64}$`, digest)

valid_digest(digest) if regex.match(`^sha512:[a-f0-9]{128}$`, digest)

# Whether an image (parsed) lies under an allowed prefix: a registry ("registry.example.com")
# or a repository path ("registry.example.com/team", "docker.io/library/nginx"). Matching is by
# whole path components, so "registry.example.com" does not allow
# "registry.example.com.evil.io/x" nor "registry.example.com:5000/x", and
# "registry.example.com/team" does not allow "registry.example.com/team-evil/x".
under_prefix(parsed, prefix) if {
	p := lower(trim_suffix(prefix, "/"))
	p != ""
	parsed.name == p
}

under_prefix(parsed, prefix) if {
	p := lower(trim_suffix(prefix, "/"))
	p != ""
	startswith(parsed.name, concat("", [p, "/"]))
}
