# METADATA
# title: EKS API endpoints are not open to the internet
# description: |-
#   Denies an aws_eks_cluster whose public API endpoint is on (the default) and
#   reachable from anywhere: public_access_cidrs empty, containing 0.0.0.0/0 or ::/0,
#   or left unset (EKS then allows 0.0.0.0/0). When the CIDRs come from a value only
#   known after apply, warns instead. Set deny_public_endpoint to deny every public
#   endpoint, restricted or not.
# custom:
#   version: 1.0.0
#   severity: high
package idp.terraform.eks_public_endpoint

import rego.v1

import data.idp.terraform.lib

defaults := {"deny_public_endpoint": false}

p := lib.params("eks-public-endpoint", defaults)

deny contains msg if {
	some cluster in public_clusters
	not p.deny_public_endpoint
	some reason in open_reasons(cluster)
	msg := lib.message(p, "open", "{address}: the public API endpoint is reachable from {reason}; set vpc_config.public_access_cidrs to your networks or endpoint_public_access to false", {"address": cluster.address, "reason": reason})
}

deny contains msg if {
	some cluster in public_clusters
	p.deny_public_endpoint
	msg := lib.message(p, "public", "{address}: the public API endpoint is on; set vpc_config.endpoint_public_access to false and reach the cluster privately", {"address": cluster.address})
}

warn contains msg if {
	some cluster in public_clusters
	not p.deny_public_endpoint
	lib.unknown(cluster, ["vpc_config", 0, "public_access_cidrs"])
	lib.configured(cluster, ["vpc_config", 0, "public_access_cidrs"])
	msg := lib.message(p, "unverified", "{address}: public_access_cidrs is only known after apply; make sure it does not include 0.0.0.0/0", {"address": cluster.address})
}

public_clusters contains cluster if {
	some cluster in lib.changed_of({"aws_eks_cluster"})
	not lib.exempt(p, cluster.address)
	some vpc_config in lib.as_array(lib.after(cluster, ["vpc_config"]))
	object.get(vpc_config, "endpoint_public_access", true) != false
}

open_reasons(cluster) := {sprintf("%s (public_access_cidrs)", [cidr]) |
	some cidr in cidrs(cluster)
	endswith(cidr, "/0")
} if {
	not lib.unknown(cluster, ["vpc_config", 0, "public_access_cidrs"])
	count(cidrs(cluster)) > 0
}

# Known but empty: EKS fills in 0.0.0.0/0.
open_reasons(cluster) := {"anywhere (public_access_cidrs is empty, so EKS allows 0.0.0.0/0)"} if {
	not lib.unknown(cluster, ["vpc_config", 0, "public_access_cidrs"])
	count(cidrs(cluster)) == 0
}

# Unknown because the code leaves it unset: EKS fills in 0.0.0.0/0.
open_reasons(cluster) := {"anywhere (public_access_cidrs is not set, so EKS allows 0.0.0.0/0)"} if {
	lib.unknown(cluster, ["vpc_config", 0, "public_access_cidrs"])
	not lib.configured(cluster, ["vpc_config", 0, "public_access_cidrs"])
}

cidrs(cluster) := [cidr | some vpc_config in lib.as_array(lib.after(cluster, ["vpc_config"])); some cidr in lib.as_array(object.get(vpc_config, "public_access_cidrs", []))]
