# METADATA
# title: S3 buckets keep object versions
# description: |-
#   Denies a bucket that the plan creates or updates without an
#   aws_s3_bucket_versioning resource (or the legacy inline versioning block)
#   enabling versioning, and a versioning configuration whose status is not
#   "Enabled". Buckets that should not keep versions (caches, scratch space) go in
#   the `exempt` parameter.
# custom:
#   version: 1.0.0
#   severity: medium
package idp.terraform.s3_versioning

import rego.v1

import data.idp.terraform.lib

p := lib.params("s3-versioning", {})

deny contains msg if {
	some bucket in lib.changed_of({"aws_s3_bucket"})
	not lib.exempt(p, bucket.address)
	not versioned(bucket)
	msg := lib.message(p, "missing_versioning", "{address}: the bucket has no aws_s3_bucket_versioning; add one with status \"Enabled\" so deleted and overwritten objects can be recovered", {"address": bucket.address})
}

# Any versioning resource counts here: one that does not enable versioning is
# reported by the rule below, against its own address.
versioned(bucket) if {
	some versioning in lib.remaining
	versioning.type == "aws_s3_bucket_versioning"
	lib.linked(versioning, "bucket", bucket)
}

# The legacy inline block (AWS provider v3), when the code sets it.
versioned(bucket) if {
	lib.configured(bucket, ["versioning"])
	some versioning in lib.as_array(lib.after(bucket, ["versioning"]))
	versioning.enabled == true
}

deny contains msg if {
	some versioning in lib.changed_of({"aws_s3_bucket_versioning"})
	not lib.exempt(p, versioning.address)
	some configuration in lib.as_array(lib.after(versioning, ["versioning_configuration"]))
	status := configuration.status
	is_string(status)
	status != "Enabled"
	msg := lib.message(p, "not_enabled", "{address}: versioning status is \"{status}\"; set it to \"Enabled\"", {"address": versioning.address, "status": status})
}
