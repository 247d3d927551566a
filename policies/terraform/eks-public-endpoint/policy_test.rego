package idp.terraform.eks_public_endpoint_test

import rego.v1

import data.idp.terraform.eks_public_endpoint as policy
import data.idp.terraform.lib.fixtures as f

cluster(vpc_config) := f.create("aws_eks_cluster.main", {"name": "main", "version": "1.33", "vpc_config": [object.union({"endpoint_private_access": true, "subnet_ids": ["subnet-0a", "subnet-0b"]}, vpc_config)]})

# public_access_cidrs is Optional+Computed: left unset, it is unknown until EKS fills in 0.0.0.0/0.
unset_cidrs(vpc_config) := object.union(cluster(vpc_config), {"change": {"after_unknown": {"vpc_config": [{"public_access_cidrs": true}]}}})

test_private_endpoint_is_allowed if {
	count(policy.deny) == 0 with input as f.plan([cluster({"endpoint_public_access": false, "public_access_cidrs": ["0.0.0.0/0"]})])
}

test_public_endpoint_restricted_to_networks_is_allowed if {
	plan := f.plan([cluster({"endpoint_public_access": true, "public_access_cidrs": ["203.0.113.0/24"]})])
	count(policy.deny) == 0 with input as plan
	count(policy.warn) == 0 with input as plan
}

test_public_endpoint_open_to_anywhere_is_denied if {
	policy.deny == {"aws_eks_cluster.main: the public API endpoint is reachable from 0.0.0.0/0 (public_access_cidrs); set vpc_config.public_access_cidrs to your networks or endpoint_public_access to false"} with input as f.plan([cluster({"endpoint_public_access": true, "public_access_cidrs": ["203.0.113.0/24", "0.0.0.0/0"]})])
}

test_public_endpoint_with_unset_cidrs_is_denied if {
	policy.deny == {"aws_eks_cluster.main: the public API endpoint is reachable from anywhere (public_access_cidrs is not set, so EKS allows 0.0.0.0/0); set vpc_config.public_access_cidrs to your networks or endpoint_public_access to false"} with input as f.plan_with_config([unset_cidrs({"endpoint_public_access": true})], [f.config("aws_eks_cluster.main", {"vpc_config": [{"endpoint_public_access": {"constant_value": true}}]})])
}

test_public_endpoint_defaults_to_on if {
	count(policy.deny) == 1 with input as f.plan([cluster({"public_access_cidrs": []})])
}

test_cidrs_known_only_after_apply_warn if {
	plan := f.plan_with_config([unset_cidrs({"endpoint_public_access": true})], [f.config("aws_eks_cluster.main", {"vpc_config": [{"public_access_cidrs": f.refs(["local.office_cidrs"])}]})])
	count(policy.deny) == 0 with input as plan
	policy.warn == {"aws_eks_cluster.main: public_access_cidrs is only known after apply; make sure it does not include 0.0.0.0/0"} with input as plan
}

test_every_public_endpoint_can_be_denied if {
	policy.deny == {"aws_eks_cluster.main: the public API endpoint is on; set vpc_config.endpoint_public_access to false and reach the cluster privately"} with input as f.plan([cluster({"endpoint_public_access": true, "public_access_cidrs": ["203.0.113.0/24"]})])
		with data.idp.parameters as f.parameters("eks-public-endpoint", {"deny_public_endpoint": true})
}

test_message_override if {
	policy.deny == {"K8S-2: aws_eks_cluster.main open to ::/0 (public_access_cidrs)"} with input as f.plan([cluster({"endpoint_public_access": true, "public_access_cidrs": ["::/0"]})])
		with data.idp.parameters as f.parameters("eks-public-endpoint", {"message": "K8S-2: {address} open to {reason}"})
}

test_exempt_cluster if {
	count(policy.deny) == 0 with input as f.plan([cluster({"endpoint_public_access": true, "public_access_cidrs": ["0.0.0.0/0"]})])
		with data.idp.parameters as f.parameters("eks-public-endpoint", {"exempt": ["aws_eks_cluster.*"]})
}
