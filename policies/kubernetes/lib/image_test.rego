package lib.idp.image_test

import data.lib.idp.image

test_docker_hub_defaults if {
	image.parse("nginx") == {"registry": "docker.io", "repository": "library/nginx", "name": "docker.io/library/nginx", "tag": "", "digest": ""}
	image.parse("bitnami/redis:7.2").name == "docker.io/bitnami/redis"
	image.parse("bitnami/redis:7.2").tag == "7.2"
}

test_registry_port_is_not_a_tag if {
	p := image.parse("registry.local:5000/team/app")
	p.registry == "registry.local:5000"
	p.repository == "team/app"
	p.tag == ""
	image.parse("registry.local:5000/team/app:1.0").tag == "1.0"
	image.parse("localhost/app").registry == "localhost"
}

test_digest if {
	digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	p := image.parse(concat("", ["ghcr.io/org/app:1.2@", digest]))
	p.tag == "1.2"
	p.digest == digest
	p.name == "ghcr.io/org/app"
	image.valid_digest(digest)
	not image.valid_digest("sha256:abc")
}

test_prefixes_match_whole_components if {
	image.under_prefix(image.parse("registry.example.com/team/app:1"), "registry.example.com")
	image.under_prefix(image.parse("registry.example.com/team/app:1"), "registry.example.com/")
	image.under_prefix(image.parse("registry.example.com/team/app:1"), "registry.example.com/team")
	image.under_prefix(image.parse("nginx:1.27"), "docker.io/library/nginx")
	not image.under_prefix(image.parse("registry.example.com.evil.io/team/app:1"), "registry.example.com")
	not image.under_prefix(image.parse("registry.example.com:5000/team/app:1"), "registry.example.com")
	not image.under_prefix(image.parse("registry.example.com/team-evil/app:1"), "registry.example.com/team")
	not image.under_prefix(image.parse("evil.io/registry.example.com/app:1"), "registry.example.com")
	not image.under_prefix(image.parse("registry.example.com/app"), "")
}
