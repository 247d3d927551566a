# METADATA
# title: Base images name a version
# description: |-
#   Denies FROM lines and COPY --from images that use the `latest` tag or no tag at
#   all (which means latest), unless a digest pins them; warns about `latest` next
#   to a digest, where the tag tells readers nothing true. `scratch` and references
#   to earlier stages are not images.
# custom:
#   version: 1.0.0
#   severity: medium
package idp.docker.no_latest_tag

import rego.v1

import data.idp.docker.lib

p := lib.params("no-latest-tag", {})

deny contains msg if {
	some image in images
	floating(image.resolved)
	not lib.digest(image.resolved)
	not lib.exempt(p, image.resolved)
	msg := lib.message(p, "latest", "{instruction}: {image} follows `latest`, so builds change under you; name a version tag (and pin its digest)", {"instruction": image.text, "image": image.resolved})
}

warn contains msg if {
	some image in images
	lib.tag(image.resolved) == "latest"
	lib.digest(image.resolved)
	not lib.exempt(p, image.resolved)
	msg := lib.message(p, "latest_with_digest", "{instruction}: the digest pins the image but the `latest` tag hides which version it is; name the version tag", {"instruction": image.text, "image": image.resolved})
}

floating(image) if lib.tag(image) == "latest"

floating(image) if {
	not lib.tag(image)
	not lib.unresolved(image)
}

images contains {"text": lib.instructions[f.index].text, "resolved": f.resolved} if {
	some f in lib.froms
	lib.external(f)
}

images contains {"text": lib.instructions[c.index].text, "resolved": c.resolved} if {
	some c in lib.copy_sources
}
