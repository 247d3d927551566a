# METADATA
# title: Base images are pinned by digest
# description: |-
#   Denies FROM lines (in every stage) and COPY --from images that name an image
#   without a sha256 digest: a tag can be moved to different content, a digest
#   cannot. `scratch` and references to earlier stages need none. Images built from
#   build variables are checked with the variables' defaults; one that cannot be
#   resolved is denied because it cannot be verified.
# custom:
#   version: 1.0.0
#   severity: high
package idp.docker.base_image_digest

import rego.v1

import data.idp.docker.lib

p := lib.params("base-image-digest", {})

deny contains msg if {
	some image in images
	not lib.unresolved(image.resolved)
	not lib.digest(image.resolved)
	not lib.exempt(p, image.resolved)
	msg := lib.message(p, "unpinned", "{instruction}: pin {image} by digest ({image}@sha256:…) so every build gets the same content", {"instruction": image.text, "image": lib.without_digest(image.resolved)})
}

deny contains msg if {
	some image in images
	lib.unresolved(image.resolved)
	not lib.exempt(p, image.resolved)
	msg := lib.message(p, "unresolved", "{instruction}: the image comes from a build variable without a default, so its digest cannot be checked; give the variable a default pinned by digest", {"instruction": image.text, "image": image.resolved})
}

# Images the build pulls: external FROMs and COPY --from images.
images contains {"text": text(f.index), "resolved": f.resolved} if {
	some f in lib.froms
	lib.external(f)
}

images contains {"text": text(c.index), "resolved": c.resolved} if {
	some c in lib.copy_sources
}

text(index) := lib.instructions[index].text
