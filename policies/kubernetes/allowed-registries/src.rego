# Images come only from allowed registries or repositories. Prefixes match whole path
# components of the image's fully qualified name (nginx is docker.io/library/nginx), so
# "registry.example.com" does not let "registry.example.com.evil.io/…" or
# "registry.example.com:5000/…" through.
package idpallowedregistries

import data.lib.idp.core
import data.lib.idp.image
import data.lib.idp.workload

obj := core.review_object

registries := object.get(core.parameters, "registries", [])

violation contains {"msg": core.message(msg), "details": details} if {
	some c in workload.containers(obj)
	ref := c.container.image
	parsed := image.parse(ref)
	not _allowed(parsed)
	msg := sprintf("%s: %s uses the image %q from %s, which is not an allowed registry (allowed: %s)", [core.describe(obj), workload.describe_container(c), ref, parsed.registry, _allowed_list])
	details := object.union(workload.container_details(obj, c), {"image": ref, "resolved": parsed.name, "allowed": registries})
}

_allowed(parsed) if {
	some prefix in registries
	image.under_prefix(parsed, prefix)
}

_allowed_list := concat(", ", registries) if {
	count(registries) > 0
} else := "none configured"
