package idp.docker.base_image_digest_test

import rego.v1

import data.idp.docker.base_image_digest as policy
import data.idp.docker.lib.fixtures as f

pinned(image) := concat("@", [image, f.digest])

test_pinned_images_are_allowed if {
	count(policy.deny) == 0 with input as f.dockerfile([
		["from", ["--platform=$BUILDPLATFORM"], [pinned("golang:1.24"), "AS", "build"]],
		f.from(pinned("gcr.io/distroless/static-debian12:nonroot")),
		f.copy(["--from=build"], ["/out/app", "/app"]),
	])
}

test_tagged_image_is_denied if {
	policy.deny == {"FROM python:3.12-slim: pin python:3.12-slim by digest (python:3.12-slim@sha256:…) so every build gets the same content"} with input as f.dockerfile([f.from("python:3.12-slim"), f.user("app")])
}

test_every_stage_is_checked if {
	policy.deny == {"FROM golang:1.24 AS build: pin golang:1.24 by digest (golang:1.24@sha256:…) so every build gets the same content"} with input as f.dockerfile([f.from_as("golang:1.24", "build"), f.from(pinned("alpine:3.20"))])
}

test_scratch_and_stage_references_need_no_digest if {
	count(policy.deny) == 0 with input as f.dockerfile([f.from_as(pinned("golang:1.24"), "Build"), f.from_as("build", "test"), f.from("scratch"), f.copy(["--from=build"], ["/app", "/app"]), f.copy(["--from=0"], ["/x", "/x"])])
}

test_short_or_malformed_digest_is_not_a_pin if {
	count(policy.deny) == 1 with input as f.dockerfile([f.from("alpine@sha256:1234")])
}

test_copy_from_an_image_is_checked if {
	policy.deny == {"COPY --from=nginx:1.27 /etc/nginx/nginx.conf /etc/nginx/: pin nginx:1.27 by digest (nginx:1.27@sha256:…) so every build gets the same content"} with input as f.dockerfile([f.from(pinned("alpine:3.20")), f.copy(["--from=nginx:1.27"], ["/etc/nginx/nginx.conf", "/etc/nginx/"])])
}

test_build_variable_defaults_are_resolved if {
	count(policy.deny) == 0 with input as f.dockerfile([f.arg(concat("", ["BASE=", pinned("alpine:3.20")])), f.from("${BASE}")])
	policy.deny == {"FROM ${BASE}: pin alpine:3.20 by digest (alpine:3.20@sha256:…) so every build gets the same content"} with input as f.dockerfile([f.arg("BASE=alpine:3.20"), f.from("${BASE}")])
}

test_build_variable_without_default_is_denied if {
	policy.deny == {"FROM ${BASE}: the image comes from a build variable without a default, so its digest cannot be checked; give the variable a default pinned by digest"} with input as f.dockerfile([f.arg("BASE"), f.from("${BASE}")])
}

test_message_override if {
	policy.deny == {"pin alpine:3.20"} with input as f.dockerfile([f.from("alpine:3.20")])
		with data.idp.parameters as f.parameters("base-image-digest", {"message": "pin {image}"})
}

test_exempt_images if {
	count(policy.deny) == 0 with input as f.dockerfile([f.from("registry.internal.example.com/base/python:3.12-2026.01")])
		with data.idp.parameters as f.parameters("base-image-digest", {"exempt": ["registry.internal.example.com/*"]})
}
