package terraform.buckets

import rego.v1

violation contains {"msg": msg, "address": rc.address} if {
	some rc in input.resource_changes
	rc.type == "aws_s3_bucket"
	rc.change.after.acl in {"public-read", "public-read-write"}
	msg := sprintf("%s: the bucket is public (acl %s)", [rc.address, rc.change.after.acl])
}

warn contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_s3_bucket"
	not rc.change.after.tags.team
	msg := sprintf("%s: tag the bucket with its team", [rc.address])
}
