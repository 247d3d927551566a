package idprequiredlabels_test

import data.idprequiredlabels

_deployment(labels) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "shop", "labels": labels},
}

_input(labels, parameters) := {"review": {"object": _deployment(labels)}, "parameters": parameters}

_all := {"owner": "alice", "team": "shop", "app.kubernetes.io/name": "web"}

test_default_labels_present if {
	count(idprequiredlabels.violation) == 0 with input as _input(_all, {})
}

test_default_labels_missing if {
	result := idprequiredlabels.violation with input as _input({"owner": "alice"}, {})
	{v.details.missing_label | some v in result} == {"team", "app.kubernetes.io/name"}
	some v in result
	v.msg == `Deployment shop/web must have the label "team"`
}

test_no_labels_at_all if {
	obj := json.remove(_deployment({}), ["metadata/labels"])
	count(idprequiredlabels.violation) == 3 with input as {"review": {"object": obj}}
}

test_configured_labels_and_patterns if {
	params := {"labels": [{"key": "owner", "allowedRegex": "[a-z]+"}, {"key": "cost-center", "allowedRegex": "cc-[0-9]{4}"}]}
	count(idprequiredlabels.violation) == 0 with input as _input({"owner": "alice", "cost-center": "cc-1234"}, params)
	result := idprequiredlabels.violation with input as _input({"owner": "alice", "cost-center": "cc-12345"}, params)
	[v] := [v | some v in result]
	v.details.label == "cost-center"
	v.details.value == "cc-12345"
}

test_pattern_must_match_the_whole_value if {
	params := {"labels": [{"key": "owner", "allowedRegex": "alice"}]}
	count(idprequiredlabels.violation) == 1 with input as _input({"owner": "alice-evil"}, params)
}

test_message_override if {
	result := idprequiredlabels.violation with input as _input({}, {"message": "label it, see https://wiki/labels"})
	count(result) == 3
	every v in result {
		v.msg == "label it, see https://wiki/labels"
		v.details.missing_label
	}
}
