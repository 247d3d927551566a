package lib.idp.core_test

import data.lib.idp.core

test_parameters_default_to_empty if {
	core.parameters == {} with input as {"review": {"object": {}}}
	core.parameters == {} with input as {"review": {"object": {}}, "parameters": null}
}

test_message_override if {
	core.message("own") == "own" with input as {"parameters": {}}
	core.message("own") == "own" with input as {"parameters": {"message": ""}}
	core.message("own") == "custom" with input as {"parameters": {"message": "custom"}}
}

test_namespace_prefers_the_request if {
	core.namespace == "req" with input as {"review": {"namespace": "req", "object": {"metadata": {"namespace": "obj"}}}}
	core.namespace == "obj" with input as {"review": {"object": {"metadata": {"namespace": "obj"}}}}
	core.namespace == "" with input as {"review": {"object": {"metadata": {}}}}
}

test_namespace_labels_from_inventory if {
	inventory := {"cluster": {"v1": {"Namespace": {"shop-prod": {"metadata": {"labels": {"env": "prod"}}}}}}}
	core.namespace_labels("shop-prod") == {"env": "prod"} with data.inventory as inventory
	core.namespace_labels("other") == {} with data.inventory as inventory
}

test_api_group if {
	core.api_group({"apiVersion": "v1"}) == ""
	core.api_group({"apiVersion": "apps/v1"}) == "apps"
}

test_describe if {
	core.describe({"kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}}) == "Pod ns/p"
	core.describe({"kind": "Namespace", "metadata": {"name": "ns"}}) == "Namespace ns" with input as {"review": {}}
	core.describe({"kind": "Pod", "metadata": {"generateName": "web-"}}) == "Pod ns/web-*" with input as {"review": {"namespace": "ns"}}
}
