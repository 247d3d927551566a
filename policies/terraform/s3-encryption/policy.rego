# METADATA
# title: S3 buckets are encrypted with an approved algorithm
# description: |-
#   Denies a bucket that the plan creates or updates without an
#   aws_s3_bucket_server_side_encryption_configuration (or the legacy inline
#   server_side_encryption_configuration block), and an encryption configuration
#   whose default algorithm is not allowed. Set allowed_algorithms to
#   ["aws:kms", "aws:kms:dsse"] to require customer-managed KMS encryption.
# custom:
#   version: 1.0.0
#   severity: high
package idp.terraform.s3_encryption

import rego.v1

import data.idp.terraform.lib

defaults := {"allowed_algorithms": ["AES256", "aws:kms", "aws:kms:dsse"]}

p := lib.params("s3-encryption", defaults)

deny contains msg if {
	some bucket in lib.changed_of({"aws_s3_bucket"})
	not lib.exempt(p, bucket.address)
	not encrypted(bucket)
	msg := lib.message(p, "missing_encryption", "{address}: the bucket has no aws_s3_bucket_server_side_encryption_configuration; add one with sse_algorithm {algorithms}", {"address": bucket.address, "algorithms": concat(" or ", p.allowed_algorithms)})
}

encrypted(bucket) if {
	some configuration in lib.remaining
	configuration.type == "aws_s3_bucket_server_side_encryption_configuration"
	lib.linked(configuration, "bucket", bucket)
}

# The legacy inline block (AWS provider v3), when the code sets it: later
# versions read S3's default encryption back into it for every bucket.
encrypted(bucket) if {
	lib.configured(bucket, ["server_side_encryption_configuration"])
	some configuration in lib.as_array(lib.after(bucket, ["server_side_encryption_configuration"]))
	some rule in lib.as_array(configuration.rule)
	count(lib.as_array(rule.apply_server_side_encryption_by_default)) > 0
}

deny contains msg if {
	some configuration in lib.changed_of({"aws_s3_bucket_server_side_encryption_configuration"})
	not lib.exempt(p, configuration.address)
	some rule in lib.as_array(lib.after(configuration, ["rule"]))
	some by_default in lib.as_array(rule.apply_server_side_encryption_by_default)
	algorithm := by_default.sse_algorithm
	is_string(algorithm)
	not algorithm in p.allowed_algorithms
	msg := lib.message(p, "algorithm", "{address}: sse_algorithm \"{algorithm}\" is not allowed; use {algorithms}", {"address": configuration.address, "algorithm": algorithm, "algorithms": concat(" or ", p.allowed_algorithms)})
}
