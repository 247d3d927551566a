# Images are immutable references: never :latest or untagged anywhere, and pinned by digest
# in production. Production is a constraint with requireDigest: true (bound to prod namespaces
# by its match), a namespace name prefix, or namespace labels read from data.inventory.
package idpimagedigests

import data.lib.idp.core
import data.lib.idp.image
import data.lib.idp.workload

obj := core.review_object

# Why this object counts as production, when it does.
production_reasons contains "requireDigest" if core.parameters.requireDigest == true

production_reasons contains sprintf("namespace prefix %q", [prefix]) if {
	some prefix in object.get(core.parameters, "prodNamespacePrefixes", [])
	prefix != ""
	startswith(core.namespace, prefix)
}

production_reasons contains "namespace labels" if {
	wanted := object.get(core.parameters, "prodNamespaceLabels", {})
	count(wanted) > 0
	labels := core.namespace_labels(core.namespace)
	every key, value in wanted {
		labels[key] == value
	}
}

images contains [c, ref, image.parse(ref)] if {
	some c in workload.containers(obj)
	ref := c.container.image
}

violation contains _violation(c, ref, "latest", "must not use the :latest tag") if {
	some [c, ref, parsed] in images
	parsed.tag == "latest"
}

violation contains _violation(c, ref, "untagged", "must name a tag or a digest (no tag means :latest)") if {
	some [c, ref, parsed] in images
	parsed.tag == ""
	parsed.digest == ""
}

violation contains _violation(c, ref, "malformed-digest", "has a malformed digest (want sha256: and 64 hex digits)") if {
	some [c, ref, parsed] in images
	parsed.digest != ""
	not image.valid_digest(parsed.digest)
}

violation contains _violation(c, ref, "digest-required", msg) if {
	count(production_reasons) > 0
	some [c, ref, parsed] in images
	parsed.digest == ""
	msg := sprintf("must be pinned by digest in production (image@sha256:…; production by %s)", [concat(", ", sort(production_reasons))])
}

_violation(c, ref, reason, problem) := {
	"msg": core.message(sprintf("%s: %s image %q %s", [core.describe(obj), workload.describe_container(c), ref, problem])),
	"details": object.union(workload.container_details(obj, c), {"image": ref, "reason": reason}),
}
