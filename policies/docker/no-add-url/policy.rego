# METADATA
# title: ADD does not fetch from URLs
# description: |-
#   Denies ADD with a remote source (http, https, git) and no --checksum: the build
#   would run whatever the server returns that day. Download with curl and verify a
#   checksum, or use ADD --checksum=sha256:… (set allow_checksum to false to deny
#   that too). Warns about ADD of a local file that is not an archive, where COPY
#   says what happens.
# custom:
#   version: 1.0.0
#   severity: high
package idp.docker.no_add_url

import rego.v1

import data.idp.docker.lib

defaults := {
	"allow_checksum": true,
	"archive_suffixes": [".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst"],
}

p := lib.params("no-add-url", defaults)

deny contains msg if {
	some add in adds
	some source in add.sources
	remote(source)
	not verified(add)
	not lib.exempt(p, source)
	msg := lib.message(p, "remote", "{instruction}: ADD fetches {source} without verifying it; download it with curl and check its sha256, or use ADD --checksum=sha256:…", {"instruction": add.text, "source": source})
}

warn contains msg if {
	some add in adds
	some source in add.sources
	not remote(source)
	not archive(source)
	not startswith(source, "<<")
	not lib.exempt(p, source)
	msg := lib.message(p, "local", "{instruction}: use COPY for {source}; ADD is for remote sources and archives it should unpack", {"instruction": add.text, "source": source})
}

# ADD instructions with their sources (every value but the destination).
adds contains {"text": i.text, "flags": i.flags, "sources": [lib.resolve(v, i.index) | some v in array.slice(i.value, 0, count(i.value) - 1)]} if {
	some i in lib.instructions
	i.cmd == "add"
}

remote(source) if regex.match(`^(?i)(https?|ftp)://`, source)

remote(source) if regex.match(`^(?i)git@`, source)

verified(add) if {
	p.allow_checksum
	some flag in add.flags
	regex.match(`^--checksum=sha256:[a-f0-9]{64}$`, flag)
}

archive(source) if {
	some suffix in p.archive_suffixes
	endswith(lower(source), suffix)
}
