package idp.docker.no_add_url_test

import rego.v1

import data.idp.docker.lib.fixtures as f
import data.idp.docker.no_add_url as policy

sha := "sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d"

test_copy_and_archives_are_allowed if {
	dockerfile := f.dockerfile([f.from("alpine:3.20"), f.copy([], ["app", "/app"]), f.add([], ["rootfs.tar.gz", "/"])])
	count(policy.deny) == 0 with input as dockerfile
	count(policy.warn) == 0 with input as dockerfile
}

test_add_from_a_url_is_denied if {
	policy.deny == {"ADD https://example.com/tool.tar.gz /opt/: ADD fetches https://example.com/tool.tar.gz without verifying it; download it with curl and check its sha256, or use ADD --checksum=sha256:…"} with input as f.dockerfile([f.from("alpine:3.20"), f.add([], ["https://example.com/tool.tar.gz", "/opt/"])])
}

test_add_from_git_is_denied if {
	count(policy.deny) == 1 with input as f.dockerfile([f.from("alpine:3.20"), f.add([], ["git@github.com:moby/buildkit.git", "/src"])])
}

test_every_remote_source_is_reported if {
	count(policy.deny) == 2 with input as f.dockerfile([f.from("alpine:3.20"), f.add([], ["http://a.example.com/x", "HTTPS://b.example.com/y", "/opt/"])])
}

test_add_with_a_checksum_is_allowed if {
	count(policy.deny) == 0 with input as f.dockerfile([f.from("alpine:3.20"), f.add([concat("=", ["--checksum", sha])], ["https://example.com/tool.tar.gz", "/opt/"])])
}

test_checksums_can_be_refused if {
	count(policy.deny) == 1 with input as f.dockerfile([f.from("alpine:3.20"), f.add([concat("=", ["--checksum", sha])], ["https://example.com/tool.tar.gz", "/opt/"])])
		with data.idp.parameters as f.parameters("no-add-url", {"allow_checksum": false})
}

test_url_from_a_build_variable_is_resolved if {
	count(policy.deny) == 1 with input as f.dockerfile([f.from("alpine:3.20"), f.arg("TOOL_URL=https://example.com/tool"), f.add([], ["${TOOL_URL}", "/opt/"])])
}

test_add_of_a_plain_local_file_warns if {
	dockerfile := f.dockerfile([f.from("alpine:3.20"), f.add([], ["config.yaml", "/etc/app/"])])
	count(policy.deny) == 0 with input as dockerfile
	policy.warn == {"ADD config.yaml /etc/app/: use COPY for config.yaml; ADD is for remote sources and archives it should unpack"} with input as dockerfile
}

test_message_override if {
	policy.deny == {"fetch https://example.com/x yourself"} with input as f.dockerfile([f.from("alpine:3.20"), f.add([], ["https://example.com/x", "/x"])])
		with data.idp.parameters as f.parameters("no-add-url", {"messages": {"remote": "fetch {source} yourself"}})
}

test_exempt_sources if {
	count(policy.deny) == 0 with input as f.dockerfile([f.from("alpine:3.20"), f.add([], ["https://artifacts.internal.example.com/x", "/x"])])
		with data.idp.parameters as f.parameters("no-add-url", {"exempt": ["https://artifacts.internal.example.com/*"]})
}
